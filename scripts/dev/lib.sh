# Shared steps of the dev commands: installing what is missing, starting and stopping processes.

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs the .NET SDK's missing pieces? No: the SDK is on the machine. This installs npm packages and builds.
install_node_packages() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "npm ci in ${dir#$ROOT/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_dotnet() {
  log "dotnet build (${1:-Debug})"
  dotnet build "$ROOT/Agents.Local.slnf" -c "${1:-Debug}" -nologo -v quiet -clp:ErrorsOnly
}

build_web() {
  if [ -f "$ROOT/src/Web/package.json" ]; then
    install_node_packages "$ROOT/src/Web"
    log "building the chat app"
    (cd "$ROOT/src/Web" && npm run build --silent >/dev/null)
  fi
}

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
install_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    log "apt-get install chromium"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq chromium >/dev/null
  fi
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# wait_http URL SECONDS: waits until URL answers 200.
wait_http() {
  local url="$1" deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then return 1; fi
    sleep 0.5
  done
}

# start_bg DIR NAME COMMAND...: starts a process in the background, logging to DIR/NAME.log, remembering its pid.
start_bg() {
  local dir="$1" name="$2"
  shift 2
  mkdir -p "$dir"
  setsid "$@" >"$dir/$name.log" 2>&1 < /dev/null &
  echo $! >"$dir/$name.pid"
}

# stop_started DIR: stops every process started with start_bg in DIR (their whole process group).
stop_started() {
  local dir="$1" pidfile pid
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  done
}

# start_stack DIR PORTS: starts the node local stack (Azurite, Cosmos emulator, OIDC) and loads its env file.
start_stack() {
  local dir="$1" ports="$2"
  rm -f "$dir/stack.env"
  start_bg "$dir" stack node "$ROOT/local/stack.mjs" --data-dir "$dir/stack" --ports "$ports" --env-out "$dir/stack.env"
  local deadline=$((SECONDS + 90))
  until [ -s "$dir/stack.env" ]; do
    if ! kill -0 "$(cat "$dir/stack.pid")" 2>/dev/null; then
      cat "$dir/stack.log" >&2
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then echo "the local stack did not start in 90 s" >&2; cat "$dir/stack.log" >&2; return 1; fi
    sleep 0.3
  done
  # Values may hold spaces (the OIDC scope): export line by line rather than sourcing the file.
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in *=*) export "$line" ;; esac
  done <"$dir/stack.env"
}
