"""Logto's error bodies: Management/Experience API ({code, message, data?}) and OIDC ({code, message, error, ...})."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

OIDC_MESSAGES = {
    "invalid_client": "An OIDC error occurred: oidc.invalid_client.",
    "invalid_request": "Request is invalid.",
    "invalid_redirect_uri": "`redirect_uri` did not match any of the client's registered `redirect_uris`.",
    "invalid_grant": "Grant request is invalid.",
    "unsupported_grant_type": "Unsupported `grant_type` requested.",
    "invalid_target": "Invalid resource indicator.",
    "invalid_token": "Invalid token provided.",
    "invalid_scope": "Invalid scope requested.",
}
NO_STORE = {"Cache-Control": "no-store"}


class LogtoError(Exception):
    """An API error as Logto's koa error handler renders it."""

    def __init__(self, status: int, code: str, message: str, *, data: Any = None, details: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.data = data
        self.details = details

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code}
        if self.data is not None:
            body["data"] = self.data
        if self.details is not None:
            body["details"] = self.details
        body["message"] = self.message
        return body

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status)


class OidcError(Exception):
    """An oidc-provider error as Logto renders it (JSON body with Logto's `code` and `message` first)."""

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        status: int = 400,
        code: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.code = code or f"oidc.{error}"
        self.message = message or OIDC_MESSAGES.get(error, f"An OIDC error occurred: oidc.{error}.")
        self.headers = headers or {}

    def body(self, *, state: str | None = None, iss: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.error == "invalid_grant":
            body["error_uri"] = "https://openid.sh/debug/invalid_grant"
        body["error"] = self.error
        if self.description is not None:
            body["error_description"] = self.description
        if state is not None:
            body["state"] = state
        if iss is not None:
            body["iss"] = iss
        return body

    def response(self, *, state: str | None = None, iss: str | None = None, cors: bool = False) -> Response:
        headers = {**NO_STORE, **self.headers}
        if cors:
            headers["Access-Control-Allow-Origin"] = "*"
            headers["Access-Control-Expose-Headers"] = "WWW-Authenticate"
        return JSONResponse(self.body(state=state, iss=iss), status_code=self.status, headers=headers)


def zod_error(issues: list[dict[str, Any]], where: str = "body") -> LogtoError:
    """guard.invalid_input as Logto's koaGuard renders a ZodError."""
    details = "\n".join(_issue_detail(issue) for issue in issues)
    return LogtoError(
        400,
        "guard.invalid_input",
        f"The request {where} is invalid.",
        data={"issues": issues, "name": "ZodError"},
        details=details,
    )


def _issue_detail(issue: dict[str, Any]) -> str:
    path = ".".join(str(p) for p in issue.get("path", []))
    code = issue.get("code")
    if code == "invalid_type":
        text = f"Expected {issue.get('expected')} but received {issue.get('received')}."
    else:
        text = issue.get("message", "Invalid input")
    return f'Error in key path "{path}": ({code}) {text}'


def required(path: list[Any], expected: str = "string") -> dict[str, Any]:
    return {"code": "invalid_type", "expected": expected, "received": "undefined", "path": path, "message": "Required"}


def wrong_type(path: list[Any], expected: str, received: str) -> dict[str, Any]:
    return {
        "code": "invalid_type",
        "expected": expected,
        "received": received,
        "path": path,
        "message": f"Expected {expected}, received {received}",
    }


def invalid_enum(path: list[Any], received: Any, options: list[str]) -> dict[str, Any]:
    quoted = " | ".join(f"'{o}'" for o in options)
    return {
        "received": received,
        "code": "invalid_enum_value",
        "options": options,
        "path": path,
        "message": f"Invalid enum value. Expected {quoted}, received '{received}'",
    }


def js_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
