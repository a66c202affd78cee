# ./dev bench [all|streaming|identity] [-- ARGS]: builds Release and runs the benchmarks of docs/benchmarks.md, each
# rewriting its own section there. ARGS go to the streaming benchmark (`-- --help` lists them). The streaming benchmark
# starts and stops its own private stack, model simulator and host on free ports; nothing is left running.
which=all
case "${1:-}" in all | streaming | identity) which="$1"; shift ;; esac
if [ "${1:-}" = "--" ]; then shift; fi
DIR="$(mktemp -d "${TMPDIR:-/tmp}/agents-bench.XXXXXX")"
trap 'rm -rf "$DIR"' EXIT

install_node_packages "$ROOT/local"
build_dotnet Release
# 1,000 subscribers hold ~1,000 sockets on each side; the .NET runtime raises its soft limit to the hard one, node does not.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

status=0
if [ "$which" != identity ]; then
  log "streaming benchmark (time to first token; memory per open stream)"
  AGENTS_BENCH_COMMAND="./dev bench streaming${*:+ -- $*}" \
    dotnet "$ROOT/bench/Agents.Benchmarks.Streaming/bin/Release/net10.0/Agents.Benchmarks.Streaming.dll" --repo "$ROOT" "$@" || status=1
fi
if [ "$which" != streaming ]; then
  log "identity benchmark (BenchmarkDotNet, short job)"
  load_before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
  if dotnet run -c Release --no-build --project "$ROOT/bench/Agents.Benchmarks.Identity" -- --filter '*' --job short --artifacts "$DIR/identity"; then
    {
      echo "Measured $(date -u '+%Y-%m-%d %H:%M') UTC at commit \`$(git -C "$ROOT" rev-parse --short HEAD)\`;" \
        "load average before: ${load_before}; after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)."
      echo "Command: \`./dev bench identity\` (\`dotnet run -c Release --project bench/Agents.Benchmarks.Identity -- --filter '*' --job short\`)."
      echo
      cat "$DIR"/identity/results/*-report-github.md
    } >"$DIR/identity.md"
    write_section "$ROOT/docs/benchmarks.md" identity "$DIR/identity.md" && log "wrote the Identity section of docs/benchmarks.md"
  else
    status=1
  fi
fi
exit $status
