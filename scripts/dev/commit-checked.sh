#!/usr/bin/env bash
# Developer aid while several people edit one working tree: commits the given paths only after checking that HEAD plus
# exactly those paths builds (in a scratch worktree). Usage: scripts/dev/commit-checked.sh "message" path...
set -euo pipefail
cd "$(dirname "$0")/../.."
message="$1"; shift
wt="$(mktemp -d)/wt"
git worktree add -q "$wt" HEAD
trap 'git worktree remove --force "$wt"' EXIT
for path in "$@"; do
  if [ -e "$path" ]; then mkdir -p "$wt/$(dirname "$path")"; rm -rf "$wt/$path"; cp -r "$path" "$wt/$path"; else rm -rf "$wt/$path"; fi
done
find "$wt" -name bin -o -name obj -o -name node_modules | xargs rm -rf 2>/dev/null || true
(cd "$wt" && dotnet build Agents.sln -nologo -v quiet -clp:ErrorsOnly) || { echo "not committed: the build fails" >&2; exit 1; }
git add -- "$@"
git commit -qm "$message"
git log --oneline -1
