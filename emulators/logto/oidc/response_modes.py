"""How an authorization response reaches the client's redirect_uri: query, fragment or form_post
(node-oidc-provider lib/response_modes/query.js, fragment.js, form_post.js; RFC 9207's `iss` on errors too)."""

from __future__ import annotations

import html
from urllib.parse import urlencode

from starlette.responses import HTMLResponse, Response

from emulators.logto.errors import OidcError
from emulators.logto.web import redirect


def deliver(redirect_uri: str, mode: str, pairs: list[tuple[str, str]], *, error: bool = False) -> Response:
    """A 303 to `redirect_uri` with `pairs` in its query or fragment, or an auto-submitting form (400 on error)."""
    if mode == "form_post":
        inputs = "\n".join(f'<input type="hidden" name="{_esc(k)}" value="{_esc(v)}"/>' for k, v in pairs)
        page = (
            "<!DOCTYPE html>\n<html>\n<head>\n  <title>Submitting Callback</title>\n  <script>\n"
            "    document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit() });\n"
            f'  </script>\n</head>\n<body>\n  <form method="post" action="{_esc(redirect_uri)}">\n{inputs}\n'
            "    <noscript>\n      Your browser does not support JavaScript or you've disabled it.<br/>\n"
            '      <button autofocus type="submit">Continue</button>\n    </noscript>\n  </form>\n</body>\n</html>'
        )
        return HTMLResponse(page, status_code=400 if error else 200, headers={"Cache-Control": "no-store"})
    separator = "#" if mode == "fragment" else ("&" if "?" in redirect_uri else "?")
    return redirect(f"{redirect_uri}{separator}{urlencode(pairs)}")


def error_to_client(issuer: str, redirect_uri: str, mode: str, exc: OidcError, state: str | None) -> Response:
    """The error as the client receives it at its redirect_uri: error, error_description, state, iss."""
    pairs: list[tuple[str, str]] = [("error", exc.error)]
    if exc.description is not None:
        pairs.append(("error_description", exc.description))
    if state is not None:
        pairs.append(("state", state))
    pairs.append(("iss", issuer))
    return deliver(redirect_uri, mode, pairs, error=True)


def _esc(value: str) -> str:
    return html.escape(value, quote=True)
