"""SSO connector providers as GET /api/sso-connector-providers lists them."""

from __future__ import annotations

import base64
from typing import Any


def _svg(text: str, color: str) -> str:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
        f'<circle cx="12" cy="12" r="11" fill="{color}"/>'
        f'<text x="12" y="16" font-size="10" text-anchor="middle" fill="#fff" font-family="sans-serif">{text}</text>'
        "</svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


PROVIDERS: list[dict[str, Any]] = [
    {"providerName": "OIDC", "providerType": "oidc", "name": "OIDC", "color": "#5D34F2",
     "description": "Modern protocol built on OAuth 2.0 for user authentication in web and mobile apps."},
    {"providerName": "SAML", "providerType": "saml", "name": "SAML", "color": "#E2542B",
     "description": "XML-based open standard for web browser single sign-on."},
    {"providerName": "AzureAD", "providerType": "saml", "name": "Microsoft Entra ID (SAML)", "color": "#0078D4",
     "description": "Microsoft's cloud-based identity and access management service (SAML)."},
    {"providerName": "GoogleWorkspace", "providerType": "oidc", "name": "Google Workspace", "color": "#4285F4",
     "description": "Google Workspace enterprise sign-in (OIDC)."},
    {"providerName": "Okta", "providerType": "oidc", "name": "Okta", "color": "#00297A",
     "description": "Okta Workforce Identity (OIDC)."},
    {"providerName": "AzureAdOidc", "providerType": "oidc", "name": "Microsoft Entra ID (OIDC)", "color": "#0078D4",
     "description": "Microsoft's cloud-based identity and access management service (OIDC)."},
]  # fmt: skip
OIDC_PROVIDERS = {p["providerName"] for p in PROVIDERS if p["providerType"] == "oidc"}


def provider(name: str) -> dict[str, Any] | None:
    return next((p for p in PROVIDERS if p["providerName"] == name), None)


def provider_logo(name: str, *, dark: bool = False) -> str:
    found = provider(name)
    color = found["color"] if found else "#888888"
    return _svg(name[:2], "#222222" if dark else color)


def provider_listing() -> list[dict[str, Any]]:
    return [
        {
            "providerName": p["providerName"],
            "providerType": p["providerType"],
            "logo": provider_logo(p["providerName"]),
            "logoDark": provider_logo(p["providerName"], dark=True),
            "description": p["description"],
            "name": p["name"],
        }
        for p in PROVIDERS
    ]
