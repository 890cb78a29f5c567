"""One module per grant type of the token endpoint, as node-oidc-provider has them (lib/actions/grants/): each
exposes `grant(tenant, app, params) -> dict`, the JSON answer, and raises OidcError to refuse."""
