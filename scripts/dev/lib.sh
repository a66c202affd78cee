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
  dotnet build "$ROOT/Agents.sln" -c "${1:-Debug}" -nologo -v quiet -clp:ErrorsOnly
}

build_web() {
  if [ -f "$ROOT/src/Web/package.json" ]; then
    install_node_packages "$ROOT/src/Web"
    log "building the chat app"
    (cd "$ROOT/src/Web" && npm run build --silent >/dev/null)
  fi
}

# functions_host_dir: prints the folder holding func-host, the Azure Functions host built from source that stands in
# for Core Tools where `func` cannot be installed; fails if there is none.
functions_host_dir() {
  local dir="${AGENTS_FUNCTIONS_HOST:-$ROOT/../shared/functions-host}"
  if [ -x "$dir/func-host" ]; then (cd "$dir" && pwd); else return 1; fi
}

# no_functions_host [tests]: says that there is no Functions host and how to get one (the tests need func-host).
no_functions_host() {
  local looked="looked in ${AGENTS_FUNCTIONS_HOST:-$ROOT/../shared/functions-host}"
  if [ "${1:-}" = tests ]; then
    echo "The tests run the Functions app on func-host: set AGENTS_FUNCTIONS_HOST to a folder holding it ($looked)." >&2
  else
    echo "No Azure Functions host: install Azure Functions Core Tools v4 (\`func\` on PATH), or set" \
      "AGENTS_FUNCTIONS_HOST to a folder holding func-host ($looked)." >&2
  fi
}

# write_local_settings FILE SAMPLE: writes the Functions app's local.settings.json from the sample, with the addresses
# of the running stack (stack.env, exported by start_stack) and of the model simulator (MODEL_ENDPOINT) in it.
write_local_settings() {
  log "writing ${1#$ROOT/} from ${2#$ROOT/}"
  node -e '
    const fs = require("fs");
    const [file, sample] = process.argv.slice(1);
    const settings = JSON.parse(fs.readFileSync(sample, "utf8"));
    const v = settings.Values, env = process.env;
    // The sample names the default ports; only a stack elsewhere changes anything.
    const storage = env.AGENTS_STORAGE_CONNECTION;
    if (storage) v.AzureWebJobsStorage = storage; // the host storage and the app queues: one connection for the triggers and the sends
    if (env.AGENTS_COSMOS_ENDPOINT) v.Cosmos__Endpoint = env.AGENTS_COSMOS_ENDPOINT;
    if (env.AGENTS_OIDC_ISSUER) v.Identity__Providers__0__Issuer = env.AGENTS_OIDC_ISSUER;
    if (env.MODEL_ENDPOINT) v.Model__Endpoint = env.MODEL_ENDPOINT;
    fs.writeFileSync(file, JSON.stringify(settings, null, 2) + "\n");
  ' "$1" "$2"
}

# settings_env FILE: prints the Values of a local.settings.json as NAME=VALUE lines, NUL-separated, for `env`.
settings_env() {
  node -e '
    const values = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).Values ?? {};
    for (const [k, v] of Object.entries(values)) process.stdout.write(`${k}=${v}\0`);
  ' "$1"
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

# running PID: the process is there and not a zombie (an orphan waiting for init to reap it).
running() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]; }

# wait_ready DIR NAME URL SECONDS: waits until URL answers 200, as long as the process NAME (of start_bg) runs.
wait_ready() {
  local pid deadline=$((SECONDS + $4))
  pid="$(cat "$1/$2.pid")"
  until curl -fsS -o /dev/null --max-time 2 "$3" 2>/dev/null; do
    if ! running "$pid" || [ $SECONDS -ge $deadline ]; then return 1; fi
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

# stop_pids SECONDS PIDFILE...: asks those processes to stop, all at once, and after each has exited (or SECONDS have
# passed) kills what is left of its process group. Only the leader gets SIGTERM, as the host's launcher intends: the
# Functions host stops its worker itself (in ~3 s; longer while an invocation is in flight).
stop_pids() {
  local deadline=$((SECONDS + $1)) pidfile pid pids=()
  shift
  for pidfile in "$@"; do
    [ -e "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -TERM "$pid" 2>/dev/null; then pids+=("$pid"); fi
    rm -f "$pidfile"
  done
  for pid in "${pids[@]}"; do
    while running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
}

# stop_started DIR: stops every process started with start_bg in DIR. The local stack goes last: the Functions host
# needs its storage to shut down (without Azurite it hangs retrying).
stop_started() {
  local dir="$1" pidfile others=()
  for pidfile in "$dir"/*.pid; do
    [ "$pidfile" = "$dir/stack.pid" ] || others+=("$pidfile")
  done
  stop_pids 10 "${others[@]}"
  stop_pids 5 "$dir/stack.pid"
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

# write_section FILE NAME CONTENT: replaces what is between <!-- NAME:begin ... --> and <!-- NAME:end --> in FILE.
write_section() {
  node -e '
    const fs = require("fs");
    const [file, name, from] = process.argv.slice(1);
    const text = fs.readFileSync(file, "utf8");
    const open = text.match(new RegExp(`<!-- ${name}:begin[^>]*-->`));
    const end = text.indexOf(`<!-- ${name}:end -->`);
    if (!open || end < open.index) { console.error(`no ${name} markers in ${file}`); process.exit(1); }
    const body = fs.readFileSync(from, "utf8").trim();
    fs.writeFileSync(file, text.slice(0, open.index) + open[0] + "\n" + body + "\n" + text.slice(end));
  ' "$1" "$2" "$3"
}
