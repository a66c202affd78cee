# ./dev up [--detach]: the whole local stack and the portable host, at the Functions host's default port.
DIR="$ROOT/.data/dev"
API="http://127.0.0.1:7071"
if wait_http "$API/api/health/ready" 1; then
  log "already running at $API (./dev down stops it)"
  exit 0
fi
install_node_packages "$ROOT/local"
build_dotnet Debug
build_web
stop_started "$DIR"
log "starting Azurite, the Cosmos DB emulator and the OIDC provider"
start_stack "$DIR" default
log "starting the model simulator and the host"
start_bg "$DIR" simulator dotnet "$ROOT/src/ModelSimulator/bin/Debug/net10.0/Agents.ModelSimulator.dll" --urls http://127.0.0.1:8091
ASPNETCORE_ENVIRONMENT=Local WebApp__Root="$ROOT/src/Web/dist" \
  start_bg "$DIR" host dotnet "$ROOT/src/Host/bin/Debug/net10.0/Agents.Host.dll" --urls "$API" --contentRoot "$ROOT/src/Host"
if ! wait_http "$API/api/health/ready" 180; then
  log "the host is not ready; its log:"
  tail -n 40 "$DIR/host.log" >&2
  stop_started "$DIR"
  exit 1
fi
cat <<INFO

  Chat app            $API/
  API                 $API/api/v1   (OpenAPI: $API/api/openapi/v1.json)
  Health              $API/api/health/ready
  Model simulator     http://127.0.0.1:8091/v1
  OIDC provider       $AGENTS_OIDC_ISSUER   (alice/alice-pw is admin, bob/bob-pw)
  Cosmos DB emulator  $AGENTS_COSMOS_ENDPOINT
  Azurite queues      $AGENTS_AZURITE_QUEUE
  Logs                ${DIR#$ROOT/}/*.log
  Token for curl      ./dev token alice

INFO
if [ "${1:-}" = "--detach" ]; then
  log "running in the background; ./dev down stops it"
  exit 0
fi
trap 'log "stopping"; stop_started "$DIR"; exit 0' INT TERM
log "Ctrl+C stops everything"
while kill -0 "$(cat "$DIR/host.pid")" 2>/dev/null; do sleep 1; done
log "the host exited; its log is in ${DIR#$ROOT/}/host.log"
stop_started "$DIR"
exit 1
