"""HTML the browser sees: the hosted sign-in page (the real widget, bootstrapped with a state token) and
Okta's error page."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from emulators.okta.config import WIDGET_VERSION
from emulators.okta.org import Org
from emulators.okta.state import Transaction

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
# Okta serves the widget from its CDN under this path; the emulator serves it from its own origin.
WIDGET_PATH = f"/assets/js/sdk/okta-signin-widget/{WIDGET_VERSION}"
NO_STORE = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache", "X-Frame-Options": "SAMEORIGIN"}


def widget_assets(generation: str) -> tuple[str, str]:
    if generation == "gen3":
        return f"{WIDGET_PATH}/js/okta-sign-in.next.js", f"{WIDGET_PATH}/css/okta-sign-in.next.css"
    return f"{WIDGET_PATH}/js/okta-sign-in.min.js", f"{WIDGET_PATH}/css/okta-sign-in.min.css"


def hosted_page(org: Org, txn: Transaction) -> HTMLResponse:
    js_url, css_url = widget_assets(org.runtime.widget_generation)
    widget_config: dict[str, object] = {
        "baseUrl": org.config.issuer,
        "stateToken": txn.state_token,
        "logo": f"{WIDGET_PATH}/img/logo_widgico.png",
        "logoText": org.config.org_name,
        "assets": {"baseUrl": WIDGET_PATH},
        "helpLinks": {"help": f"{org.config.issuer}/help/login"},
    }
    if txn.login_hint:
        widget_config["username"] = txn.login_hint
    html = TEMPLATES.get_template("hosted.html").render(
        org_name=org.config.org_name, js_url=js_url, css_url=css_url, widget_config=widget_config
    )
    return HTMLResponse(html, headers=NO_STORE)


def error_page(org: Org, status: int, error_code: str, description: str) -> HTMLResponse:
    summary = HTTPStatus(status).phrase
    html = TEMPLATES.get_template("error.html").render(
        org_name=org.config.org_name,
        status=status,
        error_summary=summary,
        error_code=error_code,
        description=description,
        home_url=org.config.issuer + "/",
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def blank_page(org: Org) -> HTMLResponse:
    """The org's root: a page with the org's title (the dashboard is not emulated)."""
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{org.config.org_name}</title>'
        "</head><body></body></html>",
        headers=NO_STORE,
    )
