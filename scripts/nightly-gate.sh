#!/usr/bin/env bash
# The nightly workflow's gate: decide from the live settings in the environment whether the live run can start.
#
#   none of the live settings set   -> run=false, exit 0: a skipped run (forks; an environment not set up yet)
#   the nightly's set complete      -> run=true,  exit 0
#   some set, the rest missing      -> run=false, exit 1: a misconfigured nightly must not turn green by skipping
#
# "Complete" is the README's nightly check (real Logto + real Okta): LOGTO_ENDPOINT with M2M credentials or an app
# of your own, OKTA_ISSUER with an API token or a client of your own, E2E_SSO_EMAIL and E2E_OKTA_PASSWORD. The
# suite validates the values themselves (URLs, formats) before any browser starts; this only checks presence.
# Empty or blank counts as unset, as in the suite's settings (GitHub passes an unset secret as an empty string).
# Writes `run=true|false` to $GITHUB_OUTPUT and the reason to $GITHUB_STEP_SUMMARY when those are set; names
# only, never a value.
set -uo pipefail

ENVIRONMENT=${NIGHTLY_ENVIRONMENT:-live-tenant}

# Every setting the README documents for a real party (e2e/support/settings.py SETTING_NAMES less the embedded
# Okta's page options, the embedded timeout and the machine's own E2E_HOST_MAP/E2E_CA_FILE/E2E_DOTENV).
# tests/test_workflows.py keeps this list and the workflow's env in step with the suite.
LIVE_SETTINGS=(
  LOGTO_ENDPOINT LOGTO_APP_ID LOGTO_APP_SECRET LOGTO_M2M_APP_ID LOGTO_M2M_APP_SECRET LOGTO_MANAGEMENT_API_RESOURCE
  OKTA_ISSUER OKTA_API_TOKEN OKTA_CLIENT_ID OKTA_CLIENT_SECRET
  E2E_SSO_EMAIL E2E_OKTA_USERNAME E2E_OKTA_PASSWORD E2E_OKTA_TOTP_SECRET
  APP_BASE_URL E2E_LIVE_TIMEOUT_MS
)

if [ "${1:-}" = "--list" ]; then printf '%s\n' "${LIVE_SETTINGS[@]}"; exit 0; fi

is_set() { local value=${!1:-}; [ -n "${value//[[:space:]]/}" ]; }
both_set() { is_set "$1" && is_set "$2"; }

output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "run=$1" >> "$GITHUB_OUTPUT"; fi; }
summary() { if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '%s\n' "$@" >> "$GITHUB_STEP_SUMMARY"; fi; printf '%s\n' "$@"; }

present=()
for name in "${LIVE_SETTINGS[@]}"; do is_set "$name" && present+=("$name"); done

if [ ${#present[@]} -eq 0 ]; then
  output false
  echo "::notice title=nightly-live skipped::none of the live settings is set in the environment '$ENVIRONMENT'"
  summary "## Nightly live run: skipped" "" \
    "None of the live settings is set as a secret (or variable) of the GitHub environment \`$ENVIRONMENT\`," \
    "so there is no tenant to run against (a fork, or the environment is not set up yet)." "" \
    "To run it, set at least: \`LOGTO_ENDPOINT\`, \`LOGTO_M2M_APP_ID\`, \`LOGTO_M2M_APP_SECRET\`, \`OKTA_ISSUER\`," \
    "\`OKTA_API_TOKEN\`, \`E2E_SSO_EMAIL\`, \`E2E_OKTA_PASSWORD\` (README: \"Run against your tenant\", \"CI\")."
  exit 0
fi

missing=()
is_set LOGTO_ENDPOINT || missing+=("LOGTO_ENDPOINT")
both_set LOGTO_M2M_APP_ID LOGTO_M2M_APP_SECRET || both_set LOGTO_APP_ID LOGTO_APP_SECRET \
  || missing+=("LOGTO_M2M_APP_ID and LOGTO_M2M_APP_SECRET (or LOGTO_APP_ID and LOGTO_APP_SECRET)")
is_set OKTA_ISSUER || missing+=("OKTA_ISSUER")
is_set OKTA_API_TOKEN || both_set OKTA_CLIENT_ID OKTA_CLIENT_SECRET \
  || missing+=("OKTA_API_TOKEN (or OKTA_CLIENT_ID and OKTA_CLIENT_SECRET)")
is_set E2E_SSO_EMAIL || missing+=("E2E_SSO_EMAIL")
is_set E2E_OKTA_PASSWORD || missing+=("E2E_OKTA_PASSWORD")

if [ ${#missing[@]} -gt 0 ]; then
  output false
  joined=$(printf '%s; ' "${missing[@]}")
  echo "::error title=nightly-live not started::the environment '$ENVIRONMENT' lacks: ${joined%; }"
  summary "## Nightly live run: not started" "" \
    "The GitHub environment \`$ENVIRONMENT\` sets some live settings but not all that the nightly check needs." \
    "" "Missing:" "" "${missing[@]/#/- }" "" "Set: ${present[*]}"
  exit 1
fi

output true
summary "## Nightly live run" "" "Settings given (names only): ${present[*]}"
