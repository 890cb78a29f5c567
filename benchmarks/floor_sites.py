"""The floor of the SSO journey: the same hops over trivial pages, for benchmarks/journey.py to divide by.

    .venv/bin/python benchmarks/floor_sites.py     # prints one JSON line {"app_url", "broker_url", "idp_url"}

Three sites on loopback, each a Starlette app served by uvicorn as the emulators are (emulators/common/server.py),
in a process of their own as the embedded stack is. They answer the browser with the hop shape of the embedded
J1 sign-in and sign-out (benchmarks/journey.py prints both timelines' hop counts, so the shapes can be compared):

  app    GET /  ·  POST /api/auth/signin → 302        broker GET /oidc/auth → 303 /sign-in  ·  GET /sign-in
  broker fetch GET sso-connectors (after a 300 ms debounce, as Logto's identifier input)  ·  PUT experience
         · POST authorization-uri → the browser goes to the IdP
  idp    GET /oauth2/v1/authorize: a page that loads the real Okta Sign-In Widget bundle (JS and CSS, in a fresh
         context each time) and then shows two trivial forms: POST introspect, POST identify, POST answer
         · GET /login/token/redirect → 302 broker /callback/<id>
  broker GET /callback/<id>: POST verify (back channel: IdP discovery, token, JWKS, userinfo) · POST
         identification (on the first sign-in also PUT interaction-event and POST identification, as Logto
         registers the person) · POST submit · GET /oidc/auth/<uid> → 303
         /consent → 303 /oidc/auth/<uid> → 303 app callback
  app    GET /api/auth/callback/logto (back channel: broker token, JWKS) → 302 /  ·  fetch /api/auth/session
  sign-out: POST /api/auth/signout → 302 broker GET /oidc/session/end (a page that posts itself) → POST confirm
         → 302 app /  ·  fetch /api/auth/session

No keys, no tokens worth the name, no checks: what is left is what any journey of this shape costs on this
machine and this browser (page loads, redirects, fetches, the debounce, the widget bundle).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulators.common.server import ServerThread, bind_socket  # noqa: E402
from emulators.okta.config import DEFAULT_WIDGET_DIR, check_widget  # noqa: E402

NO_STORE = {"Cache-Control": "no-store"}
CONNECTOR = "floor-connector"


def page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body>{body}</body></html>",
        headers=NO_STORE,
    )


def static_page(title: str, body: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return page(title, body)

    return endpoint


def app_site(broker: str) -> Starlette:
    async def home(request: Request) -> Response:
        if request.cookies.get("session") == "in":
            form = '<form method="post" action="/api/auth/signout"><button>Sign Out</button></form>'
        else:
            form = '<form method="post" action="/api/auth/signin"><button>Sign In</button></form>'
        return page("Floor app", form)

    async def sign_in(request: Request) -> Response:
        return RedirectResponse(f"{broker}/oidc/auth?client_id=floor&state=s", 302)

    async def callback(request: Request) -> Response:
        async with httpx.AsyncClient() as client:
            await client.post(f"{broker}/oidc/token")
            await client.get(f"{broker}/oidc/jwks")
        response = RedirectResponse("/", 302)
        response.set_cookie("session", "in", httponly=True, samesite="lax")
        return response

    async def session(request: Request) -> Response:
        signed_in = request.cookies.get("session") == "in"
        return JSONResponse({"user": {"email": "floor@example.com"}} if signed_in else None)

    async def id_token(request: Request) -> Response:  # the sample app's test route, read by the same assertions
        return JSONResponse({"header": {"alg": "ES384"}, "claims": {"aud": "floor"}})

    async def sign_out(request: Request) -> Response:
        response = RedirectResponse(f"{broker}/oidc/session/end", 302)
        response.delete_cookie("session")
        return response

    return Starlette(
        routes=[
            Route("/", home),
            Route("/api/auth/signin", sign_in, methods=["POST"]),
            Route("/api/auth/callback/logto", callback),
            Route("/api/auth/session", session),
            Route("/api/test/id-token", id_token),
            Route("/api/auth/signout", sign_out, methods=["POST"]),
        ]
    )


# Logto's identifier input looks the domain up 300 ms after the last keystroke; a submit follows the label.
SIGN_IN_PAGE = """
<form id="f"><input name="identifier" autocomplete="off"><button type="submit">Sign in</button></form>
<script>
  const input = document.querySelector('input'), button = document.querySelector('button');
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const answer = await fetch('/api/experience/sso-connectors?email=' + encodeURIComponent(input.value));
      if ((await answer.json()).length) button.textContent = 'Single Sign-On';
    }, 300);
  });
  document.getElementById('f').addEventListener('submit', async (event) => {
    event.preventDefault();
    await fetch('/api/experience', { method: 'PUT' });
    const answer = await fetch('/api/experience/verification/sso/c/authorization-uri', { method: 'POST' });
    location.assign((await answer.json()).authorizationUri);
  });
</script>"""

CALLBACK_PAGE = """
<p>One moment</p>
<script>
  (async () => {
    const post = (path, method = 'POST') => fetch(path, { method }).then((answer) => answer.json());
    await post('/api/experience/verification/sso/c/verify');
    if ((await post('/api/experience/identification')).registration) {  // the first sign-in registers the user
      await post('/api/experience/interaction-event', 'PUT');
      await post('/api/experience/identification');
    }
    location.assign((await post('/api/experience/submit')).redirectTo);
  })();
</script>"""

END_SESSION_PAGE = (
    '<form method="post" action="/oidc/session/end/confirm"></form><script>document.forms[0].submit()</script>'
)


def broker_site(idp: str, app: str) -> Starlette:
    async def authorize(request: Request) -> Response:
        return RedirectResponse("/sign-in", 303)

    async def resume(request: Request) -> Response:
        step = request.path_params["uid"]
        return RedirectResponse("/consent" if step == "first" else f"{app}/api/auth/callback/logto?code=c", 303)

    async def consent(request: Request) -> Response:
        return RedirectResponse("/oidc/auth/second", 303)

    async def sso_connectors(request: Request) -> Response:
        return JSONResponse([{"id": CONNECTOR}])

    async def authorization_uri(request: Request) -> Response:
        return JSONResponse({"authorizationUri": f"{idp}/oauth2/v1/authorize?client_id=floor&state=s"})

    async def verify(request: Request) -> Response:
        async with httpx.AsyncClient() as client:  # as the connector: discovery, code for tokens, keys, userinfo
            await client.get(f"{idp}/.well-known/openid-configuration")
            await client.post(f"{idp}/oauth2/v1/token")
            await client.get(f"{idp}/oauth2/v1/keys")
            await client.get(f"{idp}/oauth2/v1/userinfo")
        return JSONResponse({})

    async def ok(request: Request) -> Response:
        return JSONResponse({})

    registered: list[bool] = []

    async def identification(request: Request) -> Response:
        """As Logto's: the first sign-in of a person finds no user, and registers one (then identifies again)."""
        if registered:
            return JSONResponse({})
        registered.append(True)
        return JSONResponse({"registration": True})

    async def submit(request: Request) -> Response:
        return JSONResponse({"redirectTo": "/oidc/auth/first"})

    async def end_session_confirm(request: Request) -> Response:
        return RedirectResponse(f"{app}/", 302)

    return Starlette(
        routes=[
            Route("/oidc/auth", authorize),
            Route("/oidc/auth/{uid}", resume),
            Route("/consent", consent),
            Route("/sign-in", static_page("Sign in to your account", SIGN_IN_PAGE)),
            Route("/api/experience/sso-connectors", sso_connectors),
            Route("/api/experience", ok, methods=["PUT"]),
            Route("/api/experience/verification/sso/c/authorization-uri", authorization_uri, methods=["POST"]),
            Route("/callback/{connector}", static_page("Signing in", CALLBACK_PAGE)),
            Route("/api/experience/verification/sso/c/verify", verify, methods=["POST"]),
            Route("/api/experience/identification", identification, methods=["POST"]),
            Route("/api/experience/interaction-event", ok, methods=["PUT"]),
            Route("/api/experience/submit", submit, methods=["POST"]),
            Route("/oidc/token", ok, methods=["POST"]),
            Route("/oidc/jwks", ok),
            Route("/oidc/session/end", static_page("Signing out", END_SESSION_PAGE)),
            Route("/oidc/session/end/confirm", end_session_confirm, methods=["POST"]),
        ]
    )


# The widget bundle is loaded and run (window.OktaSignIn defined) before two trivial forms stand in for its pages.
IDP_PAGE = """
<link href="/widget/css/okta-sign-in.min.css" rel="stylesheet">
<div id="okta-sign-in"><form><input name="identifier"><input type="submit" data-type="save" value="Next"></form></div>
<script src="/widget/js/okta-sign-in.min.js"></script>
<script>
  const form = document.querySelector('form');
  const idx = (step) => fetch('/idp/idx/' + step, { method: 'POST' }).then((answer) => answer.json());
  let step = 'identify';
  idx('introspect').then(() => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (step === 'identify') {
        await idx('identify');
        step = 'challenge/answer';
        form.querySelector('input').outerHTML = '<input name="credentials.passcode" type="password">';
      } else {
        location.assign((await idx(step)).redirect);
      }
    });
    document.body.dataset.ready = typeof OktaSignIn;
  });
</script>"""


def idp_site(broker: str) -> Starlette:
    async def idx(request: Request) -> Response:
        return JSONResponse({"redirect": "/login/token/redirect"})

    async def redirect_back(request: Request) -> Response:
        return RedirectResponse(f"{broker}/callback/{CONNECTOR}?code=c&state=s", 302)

    async def ok(request: Request) -> Response:
        return JSONResponse({})

    widget_dir = DEFAULT_WIDGET_DIR
    return Starlette(
        routes=[
            Route("/oauth2/v1/authorize", static_page("Floor IdP - Sign In", IDP_PAGE)),
            Route("/idp/idx/{step:path}", idx, methods=["POST"]),
            Route("/login/token/redirect", redirect_back),
            Route("/.well-known/openid-configuration", ok),
            Route("/oauth2/v1/token", ok, methods=["POST"]),
            Route("/oauth2/v1/keys", ok),
            Route("/oauth2/v1/userinfo", ok),
            Mount("/widget", StaticFiles(directory=widget_dir)),
        ]
    )


def main() -> int:
    check_widget(DEFAULT_WIDGET_DIR)
    sockets = {name: bind_socket("127.0.0.1", 0, purpose=f"floor {name}") for name in ("app", "broker", "idp")}
    url = {name: site.base_url for name, (_, site) in sockets.items()}
    apps = {
        "app": app_site(url["broker"]),
        "broker": broker_site(url["idp"], url["app"]),
        "idp": idp_site(url["broker"]),
    }
    servers = [ServerThread(apps[name], sock, site, name=f"floor {name}") for name, (sock, site) in sockets.items()]
    for server in servers:
        server.start()
    print(json.dumps({f"{name}_url": value for name, value in url.items()}), flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
