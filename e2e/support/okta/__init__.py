"""The Okta party: its Management API client, the embedded Okta's controls, a user's TOTP codes."""
