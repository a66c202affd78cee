# ./dev faults [kill|cosmos|storage|instances|model|fuzz|all] [-- ARGS]: builds Release and runs the fault suite (bench/Agents.Faults), each scenario
# on a private stack, model simulator and Functions host on free ports, and writes each scenario's figures into its
# section of docs/reliability.md. ARGS go to the suite (`-- --help` lists them: --runs, --kills, --seed, --outage-seconds). Exits
# non-zero when a scenario broke a promise; its figures are written all the same.
which=all
case "${1:-}" in all | kill | cosmos | storage | instances | model | fuzz) which="$1"; shift ;; esac
if [ "${1:-}" = "--" ]; then shift; fi
DIR="$(mktemp -d "${TMPDIR:-/tmp}/agents-faults.XXXXXX")"
trap 'rm -rf "$DIR"' EXIT
AGENTS_FUNCTIONS_HOST_DIR="$(functions_host_dir)" || { no_functions_host tests; exit 1; }
export AGENTS_FUNCTIONS_HOST_DIR
install_node_packages "$ROOT/local"
build_dotnet Release
status=0
log "fault suite: $which"
dotnet "$ROOT/bench/Agents.Faults/bin/Release/net10.0/Agents.Faults.dll" "$which" --out "$DIR/report" "$@" || status=1
for section in kill cosmos storage instances model fuzz; do
  if [ -f "$DIR/report.$section.md" ]; then
    write_section "$ROOT/docs/reliability.md" "faults-$section" "$DIR/report.$section.md" && log "wrote the $section section of docs/reliability.md"
  fi
done
exit $status
