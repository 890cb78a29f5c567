"""The claims of a Logto user per granted scope, the same for the ID token and for /oidc/me."""

from __future__ import annotations

from typing import Any


def user_claims(user: dict[str, Any], scopes: set[str]) -> dict[str, Any]:
    """Claims in Logto's order (sub, then per scope); nulls kept, undefined dropped."""
    claims: dict[str, Any] = {"sub": user["id"]}
    if "profile" in scopes:
        profile = user.get("profile") or {}
        claims["name"] = user.get("name")
        claims["picture"] = user.get("avatar")
        for key, claim in (
            ("familyName", "family_name"),
            ("givenName", "given_name"),
            ("middleName", "middle_name"),
            ("nickname", "nickname"),
            ("profile", "profile"),
            ("website", "website"),
            ("gender", "gender"),
            ("birthdate", "birthdate"),
            ("zoneinfo", "zoneinfo"),
            ("locale", "locale"),
        ):
            if profile.get(key) is not None:
                claims[claim] = profile[key]
        preferred = profile.get("preferredUsername") or user.get("username")
        if preferred is not None:
            claims["preferred_username"] = preferred
        claims["updated_at"] = user.get("updatedAt")
        claims["username"] = user.get("username")
        claims["created_at"] = user.get("createdAt")
    if "email" in scopes:
        claims["email"] = user.get("primaryEmail")
        claims["email_verified"] = bool(user.get("primaryEmail"))
    if "phone" in scopes:
        claims["phone_number"] = user.get("primaryPhone")
        claims["phone_number_verified"] = bool(user.get("primaryPhone"))
    if "custom_data" in scopes:
        claims["custom_data"] = user.get("customData", {})
    return claims
