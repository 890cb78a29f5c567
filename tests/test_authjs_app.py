"""The embedded Auth.js apps' machinery (e2e/support/app/authjs.py): a build kept while sources and lockfile are
unchanged, errors that name what to do, `next start` readiness without timers, and a stop that ends the process
group. A stand-in for Next.js (a small Node script at node_modules/next/dist/bin/next) keeps these tests fast;
the real apps run in `make e2e-authjs`."""

from __future__ import annotations

import os
import shutil
import socket

import httpx
import pytest

from e2e.support.app.authjs import AUTHJS_APPS, AuthjsApp, AuthjsAppError, AuthjsAppServer, ensure_built, is_built
from emulators.common.server import bind_socket

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (node) on PATH")

# `next build` writes .next/BUILD_ID and counts its builds; `next start -H host -p port` prints Next's "Ready in"
# line once listening and answers /api/auth/session with null, like Auth.js signed out.
FAKE_NEXT = r"""
const fs = require("fs");
const http = require("http");
const [command, ...rest] = process.argv.slice(2);
if (command === "build") {
  if (fs.existsSync("fail-build")) { console.log("Error: Turbopack build failed: app/page.js"); process.exit(1); }
  fs.mkdirSync(".next", { recursive: true });
  fs.writeFileSync(".next/BUILD_ID", "build");
  fs.appendFileSync("node_modules/builds.log", "built\n");
} else if (command === "start") {
  if (fs.existsSync("fail-start")) { console.error("Error: MissingSecret: Please define a `secret`"); process.exit(1); }
  const host = rest[rest.indexOf("-H") + 1];
  const port = Number(rest[rest.indexOf("-p") + 1]);
  http.createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    const body = request.url === "/api/auth/session" ? null : { issuer: process.env.AUTH_LOGTO_ISSUER };
    response.end(JSON.stringify(body));
  }).listen(port, host, () => console.log(" \u2713 Ready in 5ms"));
}
"""


@pytest.fixture
def app(tmp_path) -> AuthjsApp:
    directory = tmp_path / "authjs-v5"
    (directory / "app").mkdir(parents=True)
    (directory / "app" / "page.js").write_text("export default function Home() { return null; }\n")
    (directory / "package.json").write_text('{"name": "fake", "private": true}\n')
    (directory / "package-lock.json").write_text('{"lockfileVersion": 3}\n')
    next_bin = directory / "node_modules" / "next" / "dist" / "bin" / "next"
    next_bin.parent.mkdir(parents=True)
    next_bin.write_text(FAKE_NEXT)
    (directory / "node_modules" / "next-auth").mkdir()
    (directory / "node_modules" / "next-auth" / "package.json").write_text("{}\n")
    return AuthjsApp("authjs-v5", "Auth.js v5 app", 5, directory)


def builds(app: AuthjsApp) -> int:
    log = app.directory / "node_modules" / "builds.log"
    return len(log.read_text().splitlines()) if log.is_file() else 0


def test_a_build_is_kept_until_a_source_or_the_lockfile_changes(app: AuthjsApp) -> None:
    assert not is_built(app)
    assert ensure_built(app) is not None
    assert (builds(app), is_built(app)) == (1, True)

    assert ensure_built(app) is None  # unchanged: kept
    (app.directory / "node_modules" / "left-pad.js").write_text("// installed, not a source\n")
    (app.directory / ".next" / "cache.bin").write_text("written by next\n")
    assert ensure_built(app) is None
    assert builds(app) == 1

    (app.directory / "app" / "page.js").write_text("export default function Home() { return 'changed'; }\n")
    assert ensure_built(app) is not None
    (app.directory / "package-lock.json").write_text('{"lockfileVersion": 3, "packages": {}}\n')
    assert ensure_built(app) is not None
    assert builds(app) == 3


def test_a_failed_build_says_so_with_its_output_and_is_not_kept(app: AuthjsApp) -> None:
    ensure_built(app)
    (app.directory / "fail-build").write_text("")
    with pytest.raises(AuthjsAppError) as failed:
        ensure_built(app)
    assert "`next build` of the Auth.js v5 app failed (exit 1)" in str(failed.value)
    assert "Turbopack build failed: app/page.js" in str(failed.value)
    assert not is_built(app)  # a source changed and its build failed: nothing stale is started
    (app.directory / "fail-build").unlink()
    assert ensure_built(app) is not None


def test_missing_npm_packages_name_the_make_target(app: AuthjsApp) -> None:
    shutil.rmtree(app.directory / "node_modules")
    with pytest.raises(AuthjsAppError, match=r"not installed in .*/node_modules: run `make authjs-v5` \(npm ci"):
        ensure_built(app)


def test_the_server_listens_on_its_site_with_its_settings_and_stop_ends_its_process_group(app: AuthjsApp) -> None:
    ensure_built(app)
    sock, site = bind_socket("localhost", 0, purpose="test app")
    sock.close()
    server = AuthjsAppServer(app, site, {"AUTH_LOGTO_ISSUER": "http://127.0.0.1:3001/oidc"})
    server.start(timeout=30)
    try:
        assert httpx.get(f"{site.base_url}/api/auth/session").json() is None
        assert httpx.get(f"{site.base_url}/").json() == {"issuer": "http://127.0.0.1:3001/oidc"}
        pid = server._process.pid  # noqa: SLF001 - the process group the test checks
    finally:
        server.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", site.port)) != 0


def test_a_server_that_exits_at_start_reports_what_it_printed(app: AuthjsApp) -> None:
    ensure_built(app)
    (app.directory / "fail-start").write_text("")
    sock, site = bind_socket("localhost", 0, purpose="test app")
    sock.close()
    with pytest.raises(AuthjsAppError) as failed:
        AuthjsAppServer(app, site, {}).start(timeout=30)
    message = str(failed.value)
    assert f"the Auth.js v5 app did not start on {site.base_url} (`next start`, exit 1)" in message
    assert "MissingSecret" in message


def test_the_bundled_apps_read_their_guides_settings() -> None:
    v5, v4 = AUTHJS_APPS["authjs-v5"], AUTHJS_APPS["authjs-v4"]
    assert v5.environment("http://localhost:3000", "http://127.0.0.1:3001", "id", "secret", "auth") == {
        "AUTH_URL": "http://localhost:3000",
        "AUTH_SECRET": "auth",
        "AUTH_LOGTO_ISSUER": "http://127.0.0.1:3001/oidc",
        "AUTH_LOGTO_ID": "id",
        "AUTH_LOGTO_SECRET": "secret",
    }
    assert v4.environment("http://localhost:3000", "http://127.0.0.1:3001", "id", "secret", "auth") == {
        "NEXTAUTH_URL": "http://localhost:3000",
        "NEXTAUTH_SECRET": "auth",
        "AUTH_LOGTO_WELL_KNOWN": "http://127.0.0.1:3001/oidc/.well-known/openid-configuration",
        "AUTH_LOGTO_ID": "id",
        "AUTH_LOGTO_SECRET": "secret",
    }
    # What Logto's guides configure, read from the apps themselves.
    v5_config = (v5.directory / "auth.js").read_text()
    for line in ('type: "oidc"', "issuer: process.env.AUTH_LOGTO_ISSUER", '"openid offline_access profile email"'):
        assert line in v5_config
    v4_config = (v4.directory / "auth-options.js").read_text()
    for line in (
        'type: "oauth"',
        "wellKnown: process.env.AUTH_LOGTO_WELL_KNOWN",
        'id_token_signed_response_alg: "ES384"',
    ):
        assert line in v4_config
    for app in (v5, v4):
        assert (app.directory / "package-lock.json").is_file()
