"""Emulator controls under /_emulator/ (none of them exist on a real Okta org)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.okta import seed
from emulators.okta.config import GENERATIONS, LAYOUTS

if TYPE_CHECKING:
    from emulators.okta.app import Org


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
    org: Org = request.app.state.org
    entries = org.log.entries()
    path = request.query_params.get("path")
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
    "down": bool,
    "slow_seconds": (int, float),
    "token_error": (dict, type(None)),
    "email_unverified": bool,
    "clock_skew_seconds": (int, float),
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
        for key, value in data.items():
            setattr(current, key, value)
    return JSONResponse(current.as_dict())


SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "widget_generation": GENERATIONS,
    "layout": LAYOUTS,
    "unknown_user_behaviour": ("error", "message"),
    "missing_state_behaviour": ("redirect", "error_page"),
}
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
    if key in ("email_verified", "reject_client_id_with_basic"):
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
