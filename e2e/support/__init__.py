"""What the suite runs on, shared by e2e/ and tests/: settings and their preflight, the stack of parties and
what is provisioned on them, the browser's launch, and one package per party with its clients:

- logto/: the Management API client (admin.py) and the embedded Logto's /_emulator/ controls (controls.py);
- okta/: the Management API client, the embedded Okta's controls, TOTP codes of a user's authenticator;
- app/: the real Auth.js apps (authjs.py), your own app against the embedded Logto (own_app.py), the sample
  app's test clock (controls.py);
- artifacts/: what may never be shared (secret_fields.py), collecting it from the browser (network_watch.py)
  and scrubbing it from every artifact (scrub.py).
"""
