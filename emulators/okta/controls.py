"""Emulator controls under /_emulator/ (none of them exist on a real Okta org)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.okta import saml, seed
from emulators.okta.config import GENERATIONS, LAYOUTS, UNKNOWN_USER_BEHAVIOURS
from emulators.okta.org import Org


async def _json(request: Request) -> dict[str, Any] | JSONResponse:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return JSONResponse({"error": "body is not JSON"}, status_code=400)
    if not isinstance(data, dict):
        return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
    return data


async def health(request: Request) -> Response:
    org: Org = request.app.state.org
    return JSONResponse({"status": "ok", "issuer": org.config.issuer, **org.runtime.as_dict()})


async def get_log(request: Request) -> Response:
    """?path= filters; with ?await_count=n (and path) it first waits until n such requests were answered (up to
    ?await_seconds=, default 10; 409 after that), so a test waits on an event rather than polling. ?since=EPOCH:
    every retained request begun since then, also those a DELETE hid (the hop timeline reads these)."""
    org: Org = request.app.state.org
    path = request.query_params.get("path")
    wanted = request.query_params.get("await_count")
    if wanted is not None:
        try:
            count, limit = int(wanted), float(request.query_params.get("await_seconds", "10"))
        except ValueError:
            return JSONResponse({"error": "await_count must be an integer, await_seconds a number"}, status_code=400)
        if not path:
            return JSONResponse({"error": "await_count needs path"}, status_code=400)
        if not await run_in_threadpool(org.log.wait_for, path, count, limit):
            return JSONResponse({"error": f"fewer than {count} requests to {path}"}, status_code=409)
    since = request.query_params.get("since")
    try:
        entries = org.log.entries(float(since) if since is not None else None)
    except ValueError:
        return JSONResponse({"error": "since must be a number (epoch seconds)"}, status_code=400)
    if path:
        entries = [e for e in entries if e["path"] == path]
    return JSONResponse(entries)


async def clear_log(request: Request) -> Response:
    request.app.state.org.log.clear()
    return Response(status_code=204)


async def reset(request: Request) -> Response:
    org: Org = request.app.state.org
    org.reset()
    return JSONResponse({"status": "reset"})


async def load_seed(request: Request) -> Response:
    org: Org = request.app.state.org
    data = await _json(request)
    if isinstance(data, JSONResponse):
        return data
    try:
        counts = seed.load(org.state, data)
    except seed.SeedError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(counts)


FAULT_TYPES = {
    "down": (bool, dict),
    "hang_paths": list,
    "slow_seconds": (int, float),
    "token_error": (dict, type(None)),
    "email_unverified": bool,
    "clock_skew_seconds": (int, float),
    "saml_response": (dict, type(None)),
}


async def faults(request: Request) -> Response:
    org: Org = request.app.state.org
    current = org.state.faults
    if request.method == "DELETE":
        org.clear_faults()
        return JSONResponse(org.state.faults.as_dict())
    if request.method == "POST":
        data = await _json(request)
        if isinstance(data, JSONResponse):
            return data
        unknown = set(data) - set(FAULT_TYPES)
        if unknown:
            return JSONResponse(
                {"error": f"unknown faults: {sorted(unknown)}; known: {sorted(FAULT_TYPES)}"}, status_code=400
            )
        for key, value in data.items():
            if not isinstance(value, FAULT_TYPES[key]) or (key == "slow_seconds" and isinstance(value, bool)):
                return JSONResponse({"error": f"bad value for {key}"}, status_code=400)
            problem = _fault_problem(key, value)
            if problem:
                return JSONResponse({"error": problem}, status_code=400)
        if saml.fault_error(data.get("saml_response")):
            return JSONResponse({"error": saml.fault_error(data.get("saml_response"))}, status_code=400)
        for key, value in data.items():
            setattr(current, key, value)
        if "hang_paths" in data:
            org.release_held()  # requests held under the previous list go on
    return JSONResponse(current.as_dict())


def _fault_problem(key: str, value: Any) -> str | None:
    if key == "down" and isinstance(value, dict):
        unknown = set(value) - {"status", "retry_after", "paths"}
        status, retry_after = value.get("status", 503), value.get("retry_after")
        if unknown:
            return f"down: unknown keys {sorted(unknown)}; known: paths, retry_after, status"
        if not isinstance(status, int) or isinstance(status, bool) or not (status == 429 or 500 <= status <= 599):
            return "down.status must be 429 or a 5xx status"
        if retry_after is not None and (
            not isinstance(retry_after, int) or isinstance(retry_after, bool) or retry_after < 0
        ):
            return "down.retry_after must be a number of seconds or null"
        paths = value.get("paths")
        if paths is not None and not (isinstance(paths, list) and all(isinstance(p, str) for p in paths)):
            return "down.paths must be a list of paths"
    if key == "hang_paths" and not all(isinstance(p, str) and p.startswith("/") for p in value):
        return "hang_paths must be a list of paths starting with /"
    return None


SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "widget_generation": GENERATIONS,
    "layout": LAYOUTS,
    "unknown_user_behaviour": UNKNOWN_USER_BEHAVIOURS,
    "missing_state_behaviour": ("redirect", "error_page"),
}
BOOLEAN_SETTINGS = ("email_verified", "reject_client_id_with_basic", "show_lockout_failures",
                    "self_service_registration", "self_service_unlock", "okta_verify_fastpass", "email_authenticator")  # fmt: skip
POSITIVE_INTS = ("password_lockout_attempts", "factor_lockout_attempts", "factor_lockout_window_seconds")


def _setting_error(key: str, value: Any) -> str | None:
    if key in SETTING_CHOICES:
        return None if value in SETTING_CHOICES[key] else f"{key} must be one of {list(SETTING_CHOICES[key])}"
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if key == "rate_limit_per_minute":
        return None if value is None or (is_int and value >= 1) else f"{key} must be a positive integer or null"
    if key in POSITIVE_INTS:
        return None if is_int and value >= 1 else f"{key} must be a positive integer"
    if key == "totp_valid_window":
        return None if is_int and 0 <= value <= 10 else f"{key} must be an integer from 0 to 10"
    if key in BOOLEAN_SETTINGS:
        return None if isinstance(value, bool) else f"{key} must be true or false"
    return f"unknown setting {key}"


async def settings(request: Request) -> Response:
    org: Org = request.app.state.org
    if request.method == "POST":
        data = await _json(request)
        if isinstance(data, JSONResponse):
            return data
        for key, value in data.items():
            error = _setting_error(key, value)
            if error:
                return JSONResponse({"error": error}, status_code=400)
        for key, value in data.items():
            setattr(org.runtime, key, value)
        if "rate_limit_per_minute" in data:
            org.state.rate_window.clear()
    return JSONResponse(org.runtime.as_dict())


async def rotate_keys(request: Request) -> Response:
    org: Org = request.app.state.org
    kid = org.keys.rotate()
    return JSONResponse({"kid": kid, "keys": [k["kid"] for k in org.keys.jwks()["keys"]]})


async def clock(request: Request) -> Response:
    org: Org = request.app.state.org
    if request.method == "POST":
        data = await _json(request)
        if isinstance(data, JSONResponse):
            return data
        if "freeze" in data and not isinstance(data["freeze"], bool):
            return JSONResponse({"error": "freeze must be true or false"}, status_code=400)
        if data.get("freeze") is False:  # run again first, so that an offset given with it is exact
            org.clock.freeze(False)
        if "advance" in data:
            org.clock.advance(float(data["advance"]))
        if "offset" in data:
            org.clock.set_offset(float(data["offset"]))
        if data.get("freeze") is True:
            org.clock.freeze(True)
    return JSONResponse(org.clock.as_dict())


async def sessions(request: Request) -> Response:
    org: Org = request.app.state.org
    return JSONResponse(
        [{"id": s.id[:6] + "…", "user_id": s.user_id, "amr": s.amr} for s in org.state.sessions.values()]
    )


def routes() -> list[Route]:
    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/log", get_log, methods=["GET"]),
        Route("/_emulator/log", clear_log, methods=["DELETE"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/seed", load_seed, methods=["POST"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/settings", settings, methods=["GET", "POST"]),
        Route("/_emulator/keys/rotate", rotate_keys, methods=["POST"]),
        Route("/_emulator/clock", clock, methods=["GET", "POST"]),
        Route("/_emulator/sessions", sessions, methods=["GET"]),
    ]
