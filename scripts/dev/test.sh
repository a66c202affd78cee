# ./dev test: every test, against a private local stack on free ports; exits non-zero on any failure.
DIR="$(mktemp -d "${TMPDIR:-/tmp}/agents-test.XXXXXX")"
trap 'stop_started "$DIR"; rm -rf "$DIR"' EXIT
# The tests run the Functions app on func-host (Core Tools' `func` cannot be driven by them).
AGENTS_FUNCTIONS_HOST_DIR="$(functions_host_dir)" || { no_functions_host tests; exit 1; }
export AGENTS_FUNCTIONS_HOST_DIR
install_node_packages "$ROOT/local"
install_node_packages "$ROOT/tests/sdk"
install_chromium
build_dotnet Debug
build_web
# The chat app's end-to-end tests serve the app on a port the OIDC provider must accept as a redirect URI, so the
# port is chosen first and registered when the stack starts.
E2E_PORT="$(free_port)"
log "starting a private stack on free ports"
OIDC_EXTRA_REDIRECT_URIS="http://127.0.0.1:$E2E_PORT/auth/callback" start_stack "$DIR" free
SIM_PORT="$(free_port)"
while [ "$SIM_PORT" = "$E2E_PORT" ]; do SIM_PORT="$(free_port)"; done
start_bg "$DIR" simulator dotnet "$ROOT/src/ModelSimulator/bin/Debug/net10.0/Agents.ModelSimulator.dll" --urls "http://127.0.0.1:$SIM_PORT"
wait_http "http://127.0.0.1:$SIM_PORT/health" 60
export AGENTS_TEST_ENV_FILE="$DIR/stack.env"
export AGENTS_TEST_MODEL_ENDPOINT="http://127.0.0.1:$SIM_PORT/v1/"
export AGENTS_TEST_WEB_ROOT="$ROOT/src/Web/dist"
export AGENTS_TEST_OIDC_DATA_DIR="$DIR/stack"
export AGENTS_TEST_E2E_PORT="$E2E_PORT"
export AGENTS_TEST_WEB_SERVER="$ROOT/local/web-server.mjs"
status=0
if [ -f "$ROOT/src/Web/package.json" ]; then
  log "chat app unit tests"
  (cd "$ROOT/src/Web" && npm test --silent) || status=1
fi
log "dotnet test"
# -m:1: one test project at a time (each integration test class starts Functions hosts; 2 cores are easily swamped)
dotnet test "$ROOT/Agents.sln" --no-build -m:1 -nologo -v quiet --logger "console;verbosity=normal" "$@" || status=1
if [ $# -eq 0 ]; then
  log "the official OpenAI and Anthropic SDKs against the gateway"
  (cd "$ROOT/tests/sdk" && npm run --silent test:stack) || status=1
fi
exit $status
