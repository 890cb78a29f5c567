"""The provider's cookies read back: the `_session` cookie to a live Session and the `_interaction` cookie to a
pending Interaction (node-oidc-provider lib/shared/session.js; the interaction cookie maps each app to its
interaction uid, with a `_legacy` entry that this emulator reads)."""

from __future__ import annotations

import json
from urllib.parse import unquote

from starlette.requests import Request

from emulators.logto.state import Interaction, Session
from emulators.logto.tenant import Tenant


def current_session(tenant: Tenant, request: Request) -> Session | None:
    """The signed-in session of this browser, or None when absent, expired or its user is gone."""
    sid = tenant.cookies.get(request, "_session")
    if not sid:
        return None
    session = tenant.state.sessions.get(sid)
    if session is None or session.expires_at < tenant.state.clock.now():
        return None
    if session.account_id not in tenant.state.users:
        return None
    return session


def interaction_from_cookie(tenant: Tenant, request: Request) -> Interaction | None:
    """The interaction this browser is in the middle of, or None when the cookie is absent, bad or expired."""
    raw = tenant.cookies.get(request, "_interaction")
    if not raw:
        return None
    try:
        mapping = json.loads(unquote(raw))
    except ValueError:
        return None
    if not isinstance(mapping, dict):
        return None
    uid = mapping.get("_legacy")
    interaction = tenant.state.interactions.get(uid) if isinstance(uid, str) else None
    if interaction is None or interaction.expires_at < tenant.state.clock.now():
        return None
    return interaction
