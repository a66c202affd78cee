# ./dev up [--detach]: the local stack, the model simulator, the Functions app on the Functions host (Core Tools'
# `func start` when it is installed, else func-host) at its default port 7071, and the chat app served at 4280 the way
# Static Web Apps serves it, with /api proxied to the Functions app.
DIR="$ROOT/.data/dev"
API="http://127.0.0.1:7071"
WEB="http://127.0.0.1:4280"
SIMULATOR="http://127.0.0.1:8091"
APP="$ROOT/src/Functions"
SETTINGS="$APP/local.settings.json"
# Ours still running, or a Functions app answering at 7071: nothing to do (ready can take seconds while it is busy).
if running "$(cat "$DIR/functions.pid" 2>/dev/null)" || wait_http "$API/admin/host/ping" 3; then
  log "already running: the chat app at $WEB, the API at $API/api (./dev down stops it)"
  exit 0
fi
if command -v func >/dev/null 2>&1; then
  FUNC_HOST=""
else
  FUNC_HOST="$(functions_host_dir)/func-host" || { no_functions_host; exit 1; }
fi
install_node_packages "$ROOT/local"
build_dotnet Debug
build_web
stop_started "$DIR"
trap 'log "stopping"; stop_started "$DIR"; exit 130' INT TERM
log "starting Azurite, the Cosmos DB emulator and the OIDC provider"
start_stack "$DIR" default
log "starting the model simulator"
start_bg "$DIR" simulator dotnet "$ROOT/src/ModelSimulator/bin/Debug/net10.0/Agents.ModelSimulator.dll" --urls "$SIMULATOR"
if [ ! -f "$SETTINGS" ]; then
  MODEL_ENDPOINT="$SIMULATOR/v1/" write_local_settings "$SETTINGS" "$APP/local.settings.sample.json"
fi
if [ -z "$FUNC_HOST" ]; then
  log "starting the Functions app: func start (Core Tools)"
  (cd "$APP" && start_bg "$DIR" functions func start --port 7071)
else
  log "starting the Functions app on ${FUNC_HOST%/func-host}"
  # func-host reads no local.settings.json: its Values go in as environment variables, as app settings do in Azure.
  settings=()
  while IFS= read -r -d '' setting; do settings+=("$setting"); done < <(settings_env "$SETTINGS")
  start_bg "$DIR" functions env "${settings[@]}" "$FUNC_HOST" --app "$APP/bin/Debug/net10.0" --port 7071 \
    --secrets "$DIR/func/secrets" --logs "$DIR/func/logs"
fi
log "starting the chat app's server"
start_bg "$DIR" web node "$ROOT/local/web-server.mjs" --root "$ROOT/src/Web/dist" --port 4280 --api "$API" \
  --issuer "$AGENTS_OIDC_ISSUER"
# not_ready NAME WHAT: says which process did not come up, shows the end of its log and stops everything.
not_ready() {
  log "$2 is not ready; the end of ${DIR#$ROOT/}/$1.log:"
  tail -n 60 "$DIR/$1.log" >&2
  stop_started "$DIR"
  exit 1
}
wait_ready "$DIR" simulator "$SIMULATOR/health" 60 || not_ready simulator "the model simulator"
{ wait_ready "$DIR" functions "$API/api/health/ready" 180 && wait_ready "$DIR" functions "$API/admin/host/ping" 10; } ||
  not_ready functions "the Functions app"
wait_ready "$DIR" web "$WEB/config.json" 10 || not_ready web "the chat app's server"
# Something else answering on a port (a leftover of an earlier run) would pass the checks above while ours exited.
for name in simulator functions web; do running "$(cat "$DIR/$name.pid")" || not_ready "$name" "$name (it exited)"; done
cat <<INFO

  Chat app            $WEB/   (its /api goes to the Functions app)
  API                 $API/api/v1
  Health              $API/api/health/ready
  Functions host      ${FUNC_HOST:-func start (Core Tools)}   (settings: ${SETTINGS#$ROOT/})
  Model simulator     $SIMULATOR/v1
  OIDC provider       $AGENTS_OIDC_ISSUER   (alice/alice-pw is admin, bob/bob-pw)
  Cosmos DB emulator  $AGENTS_COSMOS_ENDPOINT
  Azurite queues      $AGENTS_AZURITE_QUEUE
  Logs                ${DIR#$ROOT/}/*.log, ${DIR#$ROOT/}/func/logs
  Token for curl      ./dev token alice

INFO
if [ "${1:-}" = "--detach" ]; then
  log "running in the background; ./dev down stops it"
  exit 0
fi
trap 'log "stopping"; stop_started "$DIR"; exit 0' INT TERM
log "Ctrl+C stops everything"
while running "$(cat "$DIR/functions.pid")" && running "$(cat "$DIR/web.pid")"; do sleep 1; done
log "the Functions app or the chat app's server exited; their logs are in ${DIR#$ROOT/}/functions.log and web.log"
stop_started "$DIR"
exit 1
