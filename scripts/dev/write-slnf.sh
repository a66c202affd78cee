#!/usr/bin/env bash
# Regenerates Agents.Local.slnf: every project of Agents.sln except src/Functions, which cannot be restored on
# machines without the Azure Functions worker packages (see docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
projects=$(dotnet sln Agents.sln list | tail -n +3 | grep -v '^src/Functions/' | sort | sed 's/.*/      "&"/' | paste -sd, - | sed 's/,/,\n/g')
cat > Agents.Local.slnf <<JSON
{
  "solution": {
    "path": "Agents.sln",
    "projects": [
$projects
    ]
  }
}
JSON
