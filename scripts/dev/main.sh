#!/usr/bin/env bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/dev/lib.sh"

cmd="${1:-help}"
shift || true
case "$cmd" in
  up) source "$ROOT/scripts/dev/up.sh" ;;
  down) stop_started "$ROOT/.data/dev" ;;
  reset) source "$ROOT/scripts/dev/reset.sh" ;;
  test) source "$ROOT/scripts/dev/test.sh" ;;
  token) node "$ROOT/local/dev-token.mjs" "${1:?usage: ./dev token alice|bob}" --issuer "${AGENTS_OIDC_ISSUER:-http://127.0.0.1:8090}" "${@:2}" ;;
  bench) source "$ROOT/scripts/dev/bench.sh" ;;
  faults) source "$ROOT/scripts/dev/faults.sh" ;;
  openapi) source "$ROOT/scripts/dev/openapi.sh" ;;
  *) sed -n '2,11p' "$ROOT/dev"; [ "$cmd" = help ] ;;
esac
