"""Load users and apps from a seed document (a file, or the body of POST /_emulator/seed).

Format:
    {"users": [{"login", "email", "firstName", "lastName", "password", "id"?, "status"?, "totpSecret"?,
                "emailVerified"?}],
     "apps": [{"label", "redirect_uris", "post_logout_redirect_uris"?, "client_id"?, "client_secret"?,
               "grant_types"?, "assigned_users"?: [login or id, ...]}]}
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from emulators.okta.state import App, Factor, OrgState, User, okta_id


class SeedError(ValueError):
    pass


def load_file(state: OrgState, path: Path) -> dict[str, int]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read seed file {path}: {exc}") from None
    return load(state, data)


def load(state: OrgState, data: Any) -> dict[str, int]:
    if not isinstance(data, dict):
        raise SeedError("the seed must be a JSON object with 'users' and/or 'apps'")
    now = state.now()
    users, apps = data.get("users", []), data.get("apps", [])
    if not isinstance(users, list) or not isinstance(apps, list):
        raise SeedError("'users' and 'apps' must be lists")
    with state.lock:
        for index, item in enumerate(users):
            missing = [k for k in ("login", "email", "firstName", "lastName") if not item.get(k)]
            if missing:
                raise SeedError(f"users[{index}] lacks {', '.join(missing)}")
            if state.user_by_login(item["login"]):
                raise SeedError(f"users[{index}]: login {item['login']} already exists")
            user = User(
                id=item.get("id") or okta_id("00u"),
                login=item["login"],
                email=item["email"],
                first_name=item["firstName"],
                last_name=item["lastName"],
                password=item.get("password"),
                status=item.get("status", "ACTIVE"),
                created=now,
                activated=now,
                status_changed=now,
                last_updated=now,
                password_changed=now if item.get("password") else None,
                email_verified=bool(item.get("emailVerified", True)),
            )
            if item.get("totpSecret"):
                factor = Factor(
                    id=okta_id("uft"),
                    factor_type="token:software:totp",
                    provider="GOOGLE",
                    secret=item["totpSecret"],
                    status="ACTIVE",
                    created=now,
                    last_updated=now,
                )
                user.factors[factor.id] = factor
            state.users[user.id] = user
        for index, item in enumerate(apps):
            if not item.get("label") or not isinstance(item.get("redirect_uris"), list):
                raise SeedError(f"apps[{index}] needs a label and redirect_uris")
            app_id = item.get("client_id") or okta_id("0oa")
            app = App(
                id=app_id,
                label=item["label"],
                client_secret=item.get("client_secret") or secrets.token_urlsafe(48)[:64],
                redirect_uris=list(item["redirect_uris"]),
                post_logout_redirect_uris=list(item.get("post_logout_redirect_uris", [])),
                grant_types=list(item.get("grant_types", ["authorization_code"])),
                created=now,
                last_updated=now,
                secret_created=now,
                secret_id=okta_id("ocs"),
            )
            for key in item.get("assigned_users", []):
                user = state.user_by_id_or_login(key)
                if user is None:
                    raise SeedError(f"apps[{index}]: assigned user {key} is not in the seed")
                app.assigned[user.id] = now
            state.apps[app.id] = app
    return {"users": len(users), "apps": len(apps)}
