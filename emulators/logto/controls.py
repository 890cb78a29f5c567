"""Emulator controls under /_emulator/ (not part of Logto's API)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.logto.oidc.faults import CALLBACK_FAULTS, ID_TOKEN_FAULTS, TOKEN_FAULTS
from emulators.logto.tenant import Tenant

KNOWN_FAULTS = (
    *ID_TOKEN_FAULTS,
    *CALLBACK_FAULTS,
    *TOKEN_FAULTS,
    "upstream.unreachable",  # each use refuses one discovery request attempt (ECONNREFUSED; got retries it twice)
    "upstream.token_unreachable",  # each use refuses one token request (ECONNREFUSED; a POST is never retried)
)


async def health(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse({"status": "ok", "issuer": tenant.state.config.issuer})


async def reset(request: Request) -> Response:
    """Back to the empty tenant (bootstrap M2M app and default sign-in experience); clears the log."""
    tenant: Tenant = request.app.state.tenant
    tenant.state.reset()
    tenant.log.clear()
    tenant.state.clock.reset()
    if tenant.state.config.seed_file is not None:
        tenant.state.load_seed_file(tenant.state.config.seed_file)
    return JSONResponse({"reset": True})


async def seed(request: Request) -> Response:
    """Body: a seed document, or {"path": "<file>"}."""
    tenant: Tenant = request.app.state.tenant
    try:
        data: Any = json.loads(await request.body() or b"{}")
        if isinstance(data, dict) and set(data) == {"path"}:
            data = json.loads(Path(data["path"]).read_text())
        if not isinstance(data, dict):
            raise ValueError("seed must be a JSON object")
        counts = tenant.state.load_seed(data)
    except (ValueError, OSError, KeyError, TypeError) as exc:
        return JSONResponse({"error": "invalid_seed", "message": str(exc)}, status_code=400)
    return JSONResponse({"loaded": counts})


async def list_faults(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    return JSONResponse({"armed": tenant.state.faults, "known": list(KNOWN_FAULTS)})


async def add_fault(request: Request) -> Response:
    """Body: {"fault": "<name>", "times": <n> | null}; times defaults to 1, null = until cleared."""
    tenant: Tenant = request.app.state.tenant
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    name = body.get("fault") if isinstance(body, dict) else None
    if name not in KNOWN_FAULTS:
        return JSONResponse({"error": "unknown_fault", "known": list(KNOWN_FAULTS)}, status_code=400)
    times = body.get("times", 1)
    if times is not None and (not isinstance(times, int) or times < 1):
        return JSONResponse({"error": "invalid_times"}, status_code=400)
    with tenant.state.lock:
        tenant.state.faults[name] = times
    return JSONResponse({"armed": tenant.state.faults})


async def clear_faults(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    with tenant.state.lock:
        tenant.state.faults.clear()
    return JSONResponse({"armed": {}})


async def get_log(request: Request) -> Response:
    """What the tenant received since the last DELETE; ?since=EPOCH: every retained request begun since then,
    also those a DELETE hid (the hop timeline reads these)."""
    tenant: Tenant = request.app.state.tenant
    since = request.query_params.get("since")
    try:
        return JSONResponse(tenant.log.entries(float(since) if since is not None else None))
    except ValueError:
        return JSONResponse({"error": "since must be a number (epoch seconds)"}, status_code=400)


async def clear_log(request: Request) -> Response:
    tenant: Tenant = request.app.state.tenant
    tenant.log.clear()
    return Response(status_code=204)


def _clock_state(tenant: Tenant) -> dict[str, Any]:
    return tenant.state.clock.as_dict()


async def get_clock(request: Request) -> Response:
    """{"now", "offset", "frozen", "timers": [{"id", "label", "seconds", "due_in", "done"}], "last_timer_id"}:
    the waits in progress (got's retry delays, jose's JWKS timeout), each with its full length and what is
    left of it."""
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(_clock_state(tenant))


async def set_clock(request: Request) -> Response:
    """Body: {"advance": seconds} or {"offset": seconds}, and/or {"freeze": true|false}; with "await_timers":
    n, first wait until n waits have begun (in progress or over: those whose label contains "await_label", if
    given, numbered above "await_after", a "last_timer_id" read before; up to "await_seconds", default 10 s of
    real time; 409 if they never begin), so a test cuts a retry delay short when the emulator is in it, and a
    short one that ran out meanwhile does not fail the test."""
    tenant: Tenant = request.app.state.tenant
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": "expected a JSON object"}, status_code=400)
    clock = tenant.state.clock
    freeze = body.get("freeze")
    if freeze is not None and not isinstance(freeze, bool):
        return JSONResponse({"error": "freeze must be true or false"}, status_code=400)
    advance, offset = body.get("advance"), body.get("offset")
    if not isinstance(advance, int | float) and not isinstance(offset, int | float) and freeze is None:
        return JSONResponse({"error": "expected advance, offset or freeze"}, status_code=400)
    wanted = body.get("await_timers")
    awaited = None
    if wanted is not None:
        limit = body.get("await_seconds", 10)
        label = body.get("await_label", "")
        after = body.get("await_after", 0)
        valid = all(isinstance(v, int) and not isinstance(v, bool) for v in (wanted, after)) and wanted >= 1
        if not valid or not isinstance(limit, int | float) or not isinstance(label, str):
            return JSONResponse(
                {"error": "await_timers must be a positive integer, await_after an integer, await_seconds a "
                          "number, await_label a string"},
                status_code=400,
            )  # fmt: skip
        awaited = await run_in_threadpool(clock.wait_for_timers, wanted, float(limit), label, after)
        if awaited is None:
            return JSONResponse(
                {
                    "error": "no_timers",
                    **_clock_state(tenant),
                },
                status_code=409,
            )
    if freeze is False:  # run again first, so that an offset given with it is exact
        clock.freeze(False)
    if isinstance(advance, int | float):
        clock.advance(advance)
    elif isinstance(offset, int | float):
        clock.set_offset(offset)
    if freeze is True:
        clock.freeze(True)
    state = _clock_state(tenant)
    if awaited is not None:
        state["awaited"] = awaited  # the waits found, as they were before the clock moved
    return JSONResponse(state)


async def state(request: Request) -> Response:
    """A summary for debugging failed tests (no secrets)."""
    tenant: Tenant = request.app.state.tenant
    return JSONResponse(
        {
            "applications": [{"id": a["id"], "name": a["name"], "type": a["type"]} for a in tenant.state.applications.values()],
            "ssoConnectors": [{"id": c["id"], "connectorName": c["connectorName"], "domains": c["domains"]}
                              for c in tenant.state.connectors.values()],
            "users": [{"id": u["id"], "primaryEmail": u["primaryEmail"]} for u in tenant.state.users.values()],
            "sessions": len(tenant.state.sessions),
            "interactions": len(tenant.state.interactions),
            "faults": tenant.state.faults,
        }
    )  # fmt: skip


def routes() -> list[Route]:
    return [
        Route("/_emulator/health", health, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/seed", seed, methods=["POST"]),
        Route("/_emulator/faults", list_faults, methods=["GET"]),
        Route("/_emulator/faults", add_fault, methods=["POST"]),
        Route("/_emulator/faults", clear_faults, methods=["DELETE"]),
        Route("/_emulator/log", get_log, methods=["GET"]),
        Route("/_emulator/log", clear_log, methods=["DELETE"]),
        Route("/_emulator/clock", get_clock, methods=["GET"]),
        Route("/_emulator/clock", set_clock, methods=["POST"]),
        Route("/_emulator/state", state, methods=["GET"]),
    ]
