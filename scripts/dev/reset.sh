# ./dev reset [--keys]: wipes the local data of `./dev up` (Azurite's queues, blobs, tables and Durable task hub, and the
# Cosmos DB emulator's databases) together, so the two never disagree; stops the stack first if it runs. The OIDC
# provider's signing keys go too with --keys (tokens issued before then stop validating). local.settings.json stays.
DIR="$ROOT/.data/dev"
case "${1:-}" in
  "") keys=false ;;
  --keys) keys=true ;;
  *) echo "usage: ./dev reset [--keys]" >&2; exit 2 ;;
esac
if [ -d "$DIR" ]; then
  log "stopping what ./dev up started"
  stop_started "$DIR"
fi
wiped=()
for part in azurite cosmos; do
  if [ -e "$DIR/stack/$part" ]; then rm -rf "${DIR:?}/stack/$part"; wiped+=("$part"); fi
done
if $keys && [ -e "$DIR/stack/oidc" ]; then rm -rf "${DIR:?}/stack/oidc"; wiped+=("the OIDC provider's keys"); fi
if [ ${#wiped[@]} -eq 0 ]; then
  log "no local data to wipe in ${DIR#$ROOT/}/stack"
else
  log "wiped ${DIR#$ROOT/}/stack: ${wiped[*]}"
fi
