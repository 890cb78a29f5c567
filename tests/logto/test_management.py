"""Management API contract: auth, applications, SSO connectors, sign-in experience, users."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import LogtoHandle
from .upstream_idp import UpstreamIdp

RESOURCE = "https://default.logto.app/api"


def _token(client: httpx.Client, logto: LogtoHandle, **extra: str) -> str:
    data = {"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all", **extra}
    response = client.post("/oidc/token", data=data, auth=(logto.config.m2m_app_id, logto.config.m2m_app_secret))
    return response.json()["access_token"]


@pytest.fixture
def api(logto: LogtoHandle) -> httpx.Client:
    client = logto.http()
    client.headers["Authorization"] = f"Bearer {_token(client, logto)}"
    yield client
    client.close()


def _connector_body(idp: UpstreamIdp, **overrides: Any) -> dict[str, Any]:
    body = {
        "providerName": "Okta",
        "connectorName": "Okta",
        "config": {"issuer": idp.issuer, "clientId": idp.client_id, "clientSecret": idp.client_secret},
        "domains": ["Acme.Test"],
        "branding": {"displayName": "Okta"},
    }
    body.update(overrides)
    return body


def test_authentication_errors(logto: LogtoHandle) -> None:
    with logto.http() as client:
        missing = client.get("/api/applications")
        assert missing.status_code == 401
        assert missing.json() == {
            "code": "auth.authorization_header_missing",
            "message": "Authorization header is missing.",
        }
        assert "www-authenticate" not in missing.headers
        bad = client.get("/api/applications", headers={"Authorization": "Bearer not-a-jwt"})
        assert bad.status_code == 401
        assert bad.json() == {
            "code": "auth.unauthorized",
            "data": {"code": "ERR_JWS_INVALID", "name": "JWSInvalid"},
            "message": "Unauthorized. Please check credentials and its scope.",
        }
        basic = client.get("/api/applications", headers={"Authorization": "Basic eDp5"})
        assert basic.json() == {
            "code": "auth.authorization_token_type_not_supported",
            "data": {"supportedTypes": ["Bearer"]},
            "message": "Authorization type is not supported.",
        }
        no_scope = client.post("/oidc/token", data={"grant_type": "client_credentials", "resource": RESOURCE},
                               auth=(logto.config.m2m_app_id, logto.config.m2m_app_secret)).json()["access_token"]  # fmt: skip
        forbidden = client.get("/api/applications", headers={"Authorization": f"Bearer {no_scope}"})
        assert forbidden.status_code == 403
        assert forbidden.json() == {
            "code": "auth.forbidden",
            "message": "Forbidden. Please check your user roles and permissions.",
        }
        token = _token(client, logto)
        client.post("/_emulator/clock", json={"advance": 3601})
        expired = client.get("/api/applications", headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401 and expired.json()["data"]["code"] == "ERR_JWT_EXPIRED"
        unknown = client.get("/api/nosuchroute")
        assert unknown.status_code == 404 and unknown.text == "Not Found"
        assert unknown.headers["content-type"].startswith("text/plain")


def test_new_m2m_apps_get_no_management_scope(api: httpx.Client) -> None:
    app = api.post("/api/applications", json={"name": "m2m", "type": "MachineToMachine"}).json()
    secret = api.get(f"/api/applications/{app['id']}/secrets").json()[0]["value"]
    body = api.post("/oidc/token", data={"grant_type": "client_credentials", "resource": RESOURCE, "scope": "all"},
                    auth=(app["id"], secret), headers={"Authorization": ""}).json()  # fmt: skip
    assert "scope" not in body


def test_applications(api: httpx.Client) -> None:
    body = {"name": "Bookstore", "type": "Traditional",
            "oidcClientMetadata": {"redirectUris": ["http://localhost:3000/cb"], "postLogoutRedirectUris": ["http://localhost:3000/"]}}  # fmt: skip
    created = api.post("/api/applications", json=body)
    assert created.status_code == 200
    app = created.json()
    assert list(app) == ["tenantId", "id", "name", "secret", "description", "type", "oidcClientMetadata",
                         "customClientMetadata", "protectedAppMetadata", "customData", "isThirdParty", "createdAt"]  # fmt: skip
    assert len(app["id"]) == 21 and app["id"].isalnum() and app["id"].islower() or app["id"].isdigit()
    assert app["oidcClientMetadata"] == body["oidcClientMetadata"]
    [secret] = api.get(f"/api/applications/{app['id']}/secrets").json()
    assert list(secret) == ["tenantId", "applicationId", "name", "value", "createdAt", "expiresAt"]
    assert secret["name"] == "Default secret" and len(secret["value"]) == 32 and secret["expiresAt"] is None
    assert api.get(f"/api/applications/{app['id']}").json()["name"] == "Bookstore"
    patched = api.patch(f"/api/applications/{app['id']}",
                        json={"oidcClientMetadata": {"redirectUris": ["http://localhost:3000/other"]}}).json()  # fmt: skip
    assert patched["oidcClientMetadata"]["redirectUris"] == ["http://localhost:3000/other"]
    assert patched["oidcClientMetadata"]["postLogoutRedirectUris"] == ["http://localhost:3000/"]
    assert any(a["id"] == app["id"] for a in api.get("/api/applications").json())
    assert api.delete(f"/api/applications/{app['id']}").status_code == 204
    for method in ("GET", "PATCH", "DELETE"):
        response = api.request(method, f"/api/applications/{app['id']}", json={} if method == "PATCH" else None)
        assert response.status_code == 404
        assert response.json() == {"code": "entity.not_exists_with_id",
                                   "message": f"The applications with ID `{app['id']}` does not exist."}  # fmt: skip


def test_application_validation(api: httpx.Client) -> None:
    truncated = api.post("/api/applications", content=b'{"name": "x", ', headers={"content-type": "application/json"})
    assert truncated.status_code == 400 and list(truncated.json()) == ["message"]
    no_type = api.post("/api/applications", json={"name": "x"})
    assert no_type.status_code == 400
    assert no_type.json()["code"] == "guard.invalid_input"
    assert no_type.json()["message"] == "The request body is invalid."
    assert no_type.json()["data"]["issues"][0]["path"] == ["type"]
    empty = api.post("/api/applications", json={}).json()
    assert [i["path"] for i in empty["data"]["issues"]] == [["name"], ["type"]]
    assert empty["details"].startswith(
        'Error in key path "name": (invalid_type) Expected string but received undefined.'
    )
    bad_type = api.post("/api/applications", json={"name": "x", "type": "Foo"}).json()
    assert bad_type["data"]["issues"][0]["code"] == "invalid_enum_value"
    bad_uri = api.post("/api/applications", json={"name": "x", "type": "Traditional",
                       "oidcClientMetadata": {"redirectUris": ["not a url"], "postLogoutRedirectUris": []}}).json()  # fmt: skip
    assert bad_uri["data"]["issues"] == [{"code": "custom", "message": "Invalid input",
                                          "path": ["oidcClientMetadata", "redirectUris", 0]}]  # fmt: skip
    form = api.post("/api/applications", data={"name": "x", "type": "Traditional"})
    assert form.status_code == 200


def test_sso_connector_lifecycle(api: httpx.Client, idp: UpstreamIdp) -> None:
    assert api.get("/api/sso-connectors").json() == []
    providers = api.get("/api/sso-connector-providers").json()
    assert {p["providerName"] for p in providers} >= {"OIDC", "SAML", "Okta", "AzureAD", "GoogleWorkspace"}
    assert set(providers[0]) == {"providerName", "providerType", "logo", "logoDark", "description", "name"}
    created = api.post("/api/sso-connectors", json=_connector_body(idp))
    assert created.status_code == 200, created.text
    connector = created.json()
    assert list(connector) == ["tenantId", "id", "providerName", "connectorName", "config", "domains", "branding",
                               "syncProfile", "enableTokenStorage", "createdAt"]  # fmt: skip
    assert len(connector["id"]) == 12
    assert connector["domains"] == ["acme.test"]
    assert connector["config"]["trustUnverifiedEmail"] is False and connector["syncProfile"] is False
    detail = api.get(f"/api/sso-connectors/{connector['id']}").json()
    assert detail["name"] == "Okta" and detail["providerType"] == "oidc"
    assert detail["providerConfig"]["authorizationEndpoint"] == f"{idp.issuer}/authorize"
    assert detail["providerConfig"]["scope"] == "openid profile email"
    second_body = _connector_body(idp, providerName="OIDC", connectorName="Acme OIDC")
    second_body.pop("branding")
    second = api.post("/api/sso-connectors", json=second_body).json()
    assert second["branding"] == {}
    listed = api.get("/api/sso-connectors").json()
    assert [c["id"] for c in listed] == [connector["id"], second["id"]]
    patched = api.patch(f"/api/sso-connectors/{second['id']}", json={"branding": {"displayName": "Acme Login"}})
    assert patched.status_code == 200 and patched.json()["branding"] == {"displayName": "Acme Login"}
    assert api.patch(f"/api/sso-connectors/{connector['id']}", json={"connectorName": "Okta"}).status_code == 200
    assert api.delete(f"/api/sso-connectors/{second['id']}").status_code == 204
    missing = api.get("/api/sso-connectors/nosuchconn1")
    assert missing.status_code == 404
    assert missing.json()["message"] == "The sso_connectors with ID `nosuchconn1` does not exist."


def test_sso_connector_errors(api: httpx.Client, idp: UpstreamIdp) -> None:
    assert api.post("/api/sso-connectors", json=_connector_body(idp)).status_code == 200
    duplicate = api.post("/api/sso-connectors", json=_connector_body(idp))
    assert duplicate.status_code == 409
    assert duplicate.json() == {"code": "single_sign_on.duplicate_connector_name",
                                "message": "Connector name already exists. Please choose a different name."}  # fmt: skip
    public = api.post("/api/sso-connectors", json=_connector_body(idp, connectorName="g", domains=["gmail.com"]))
    assert public.status_code == 422
    assert public.json() == {"code": "single_sign_on.forbidden_domains", "data": {"data": ["gmail.com"]},
                             "message": "Public email domains are not allowed."}  # fmt: skip
    dup_domains = api.post(
        "/api/sso-connectors", json=_connector_body(idp, connectorName="d", domains=["a.test", "A.test"])
    )
    assert dup_domains.status_code == 422 and dup_domains.json()["code"] == "single_sign_on.duplicated_domains"
    unreachable = api.post("/api/sso-connectors", json=_connector_body(
        idp, connectorName="u", config={"issuer": "http://127.0.0.1:9", "clientId": "a", "clientSecret": "b"}))  # fmt: skip
    assert unreachable.status_code == 400
    body = unreachable.json()
    assert body["code"] == "connector.invalid_config" and body["message"] == "The connector's config is invalid."
    assert body["data"]["message"] == "fail_to_fetch_config"
    no_secret = api.post(
        "/api/sso-connectors", json=_connector_body(idp, connectorName="n", config={"issuer": idp.issuer})
    )
    assert no_secret.json() == {"code": "connector.invalid_config", "message": "The connector's config is invalid."}
    unknown = api.post("/api/sso-connectors", json=_connector_body(idp, connectorName="f", providerName="Foo"))
    assert unknown.status_code == 422
    assert unknown.json()["message"] == "Cannot find any available connector for type: Foo."
    no_name = api.post("/api/sso-connectors", json={"providerName": "OIDC"})
    assert no_name.status_code == 400 and no_name.json()["data"]["issues"][0]["path"] == ["connectorName"]
    bare = api.post("/api/sso-connectors", json={"providerName": "OIDC", "connectorName": "bare"})
    assert bare.status_code == 200 and bare.json()["config"] == {} and bare.json()["domains"] == []
    shared = api.post("/api/sso-connectors", json=_connector_body(idp, connectorName="shared"))
    assert shared.status_code == 200
    logto_id = shared.json()["id"]
    bad_patch = api.patch(f"/api/sso-connectors/{logto_id}", json={"config": {"issuer": "http://127.0.0.1:9"}})
    assert bad_patch.status_code == 400 and bad_patch.json()["code"] == "connector.invalid_config"


def test_sign_in_experience(api: httpx.Client) -> None:
    before = api.get("/api/sign-in-exp").json()
    assert before["singleSignOnEnabled"] is False
    assert before["signIn"]["methods"] == [{"identifier": "username", "password": True, "verificationCode": False,
                                            "isPasswordPrimary": True}]  # fmt: skip
    assert before["signInMode"] == "SignInAndRegister"
    methods = [*before["signIn"]["methods"], {"identifier": "email", "password": True, "verificationCode": False,
                                              "isPasswordPrimary": True}]  # fmt: skip
    after = api.patch("/api/sign-in-exp", json={"signIn": {"methods": methods}, "singleSignOnEnabled": True})
    assert after.status_code == 200
    assert list(after.json()) == list(before)
    assert after.json()["singleSignOnEnabled"] is True and after.json()["signIn"]["methods"] == methods
    no_factor = api.patch("/api/sign-in-exp", json={"signIn": {"methods": [
        {"identifier": "email", "password": False, "verificationCode": False, "isPasswordPrimary": True}]}})  # fmt: skip
    assert no_factor.json() == {"code": "sign_in_experiences.at_least_one_authentication_factor",
                                "message": "You have to select at least one authentication factor."}  # fmt: skip
    code = api.patch("/api/sign-in-exp", json={"signIn": {"methods": [
        {"identifier": "email", "password": False, "verificationCode": True, "isPasswordPrimary": False}]}})  # fmt: skip
    assert code.json() == {"code": "sign_in_experiences.enabled_connector_not_found",
                           "message": "Enabled Email connector not found."}  # fmt: skip
    mode = api.patch("/api/sign-in-exp", json={"signInMode": "Nope"})
    assert mode.status_code == 400 and mode.json()["data"]["issues"][0]["options"] == [
        "SignIn",
        "Register",
        "SignInAndRegister",
    ]
    assert api.patch("/api/sign-in-exp", json={"signInMode": "SignIn"}).json()["signInMode"] == "SignIn"


def test_users(api: httpx.Client) -> None:
    created = api.post(
        "/api/users", json={"primaryEmail": "carol@acme.test", "name": "Carol", "password": "Passw0rd!x"}
    )
    assert created.status_code == 200
    user = created.json()
    assert list(user) == ["id", "username", "primaryEmail", "primaryPhone", "name", "avatar", "customData", "identities",
                          "lastSignInAt", "createdAt", "updatedAt", "profile", "applicationId", "isSuspended",
                          "hasPassword"]  # fmt: skip
    assert len(user["id"]) == 12 and user["hasPassword"] is True
    exact = api.get("/api/users", params={"search.primaryEmail": "carol@acme.test", "mode.primaryEmail": "exact"})
    assert [u["id"] for u in exact.json()] == [user["id"]]
    assert exact.headers["total-number"] == "1"
    assert (
        api.get("/api/users", params={"search.primaryEmail": "CAROL@acme.test", "mode.primaryEmail": "exact"}).json()
        == []
    )
    like = api.get("/api/users", params={"search": "carol@acme.test"}).json()
    assert [u["id"] for u in like] == [user["id"]]
    none = api.get("/api/users", params={"search.primaryEmail": "nobody@nowhere.test"})
    assert none.json() == [] and none.headers["total-number"] == "0"
    links = none.headers.get_list("link")
    assert any('rel="first"' in link for link in links) and any('rel="last"' in link for link in links)
    bad_mode = api.get("/api/users", params={"search.primaryEmail": "x", "mode.primaryEmail": "nope"})
    assert bad_mode.status_code == 400 and bad_mode.json()["code"] == "request.invalid_input"
    assert api.get("/api/users", params={"page_size": "0"}).json() == {
        "code": "guard.invalid_pagination", "message": "The request pagination value is invalid."}  # fmt: skip
    with_identities = api.get(f"/api/users/{user['id']}", params={"includeSsoIdentities": "true"}).json()
    assert with_identities["ssoIdentities"] == []
    assert "ssoIdentities" not in api.get(f"/api/users/{user['id']}").json()
    duplicate = api.post("/api/users", json={"primaryEmail": "carol@acme.test"})
    assert duplicate.status_code == 422 and duplicate.json()["code"] == "user.email_already_in_use"
    assert api.delete(f"/api/users/{user['id']}").status_code == 204
    for method in ("GET", "DELETE"):
        gone = api.request(method, f"/api/users/{user['id']}")
        assert gone.status_code == 404
        assert gone.json() == {"code": "entity.not_found", "message": "The resource does not exist."}
