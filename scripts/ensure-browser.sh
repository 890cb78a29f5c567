#!/usr/bin/env bash
# Make a Chromium available to Playwright, in this order (e2e/support/browser.py picks in the same order):
#   1. CHROMIUM_PATH, if set;
#   2. Playwright's own Chromium: already installed, or installed now with `playwright install chromium`
#      (tried once per virtual env: where it cannot download, e.g. offline, it is not tried on every make);
#   3. the system's Chromium (chromium, chromium-browser, google-chrome), installing Debian's `chromium` package
#      when running as root with apt;
#   4. otherwise stop, saying what to install.
set -uo pipefail
PY=${1:-.venv/bin/python}

if [ -n "${CHROMIUM_PATH:-}" ]; then
  [ -x "$CHROMIUM_PATH" ] && { echo "browser: CHROMIUM_PATH=$CHROMIUM_PATH"; exit 0; }
  echo "browser: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2; exit 1
fi

playwright_has_chromium() {
  "$PY" -c 'import sys; from e2e.support.browser import playwright_chromium_installed as ok; sys.exit(0 if ok() else 1)' 2>/dev/null
}
system_chromium() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }

NO_DOWNLOAD="$(dirname "$PY")/../.playwright-chromium-download-failed"

if playwright_has_chromium; then echo "browser: Playwright's Chromium"; exit 0; fi
if [ ! -e "$NO_DOWNLOAD" ]; then
  echo "browser: trying 'playwright install chromium'"
  if timeout 300 "$PY" -m playwright install chromium >"$(dirname "$PY")/../playwright-install.log" 2>&1 && playwright_has_chromium; then
    echo "browser: Playwright's Chromium installed"; exit 0
  fi
  touch "$NO_DOWNLOAD"
  echo "browser: Playwright could not download its Chromium (no internet?; see $(realpath "$(dirname "$PY")/../playwright-install.log"))"
else
  echo "browser: Playwright's Chromium could not be downloaded before (delete $(realpath "$NO_DOWNLOAD") to try again)"
fi
if [ -n "$(system_chromium)" ]; then echo "browser: system Chromium at $(system_chromium)"; exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "browser: installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/tmp/apt-chromium.log 2>&1 && apt-get install -y -qq chromium >>/tmp/apt-chromium.log 2>&1; then
    echo "browser: system Chromium at $(system_chromium)"; exit 0
  fi
  echo "browser: 'apt-get install chromium' failed; see /tmp/apt-chromium.log" >&2
fi

cat >&2 <<'MSG'
browser: no Chromium is available. Install one of:
  - Playwright's:   .venv/bin/python -m playwright install --with-deps chromium   (needs internet)
  - the system's:   sudo apt-get install chromium   (Debian)  /  sudo apt-get install chromium-browser (Ubuntu)
or set CHROMIUM_PATH to a Chromium or Chrome binary.
MSG
exit 1
