#!/bin/sh
# azd postprovision hook (posix). azd exports the environment's values, including the Bicep outputs of
# infra/bicep/main.bicep, as variables before running it. Writes two generated, git-ignored files:
#
#   src/Functions/local.settings.json  `func start` against the Azure resources, signed in as you
#                                       (az login); the data-plane roles come from AZURE_PRINCIPAL_ID.
#   src/Web/public/config.json         the SPA's runtime config; Vite copies public/ into dist/, and
#                                       azure.yaml packages after provisioning, so the deployed site gets it.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)

missing=''
for name in AZURE_TENANT_ID AZURE_STORAGE_ACCOUNT_NAME STORAGE_BLOB_SERVICE_URI STORAGE_QUEUE_SERVICE_URI \
  STORAGE_TABLE_SERVICE_URI COSMOS_ENDPOINT COSMOS_DATABASE MODEL_ENDPOINT MODEL_DEPLOYMENT \
  DURABLE_TASK_HUB_NAME ENTRA_AUTHORITY ENTRA_API_CLIENT_ID ENTRA_API_APP_ID_URI ENTRA_API_SCOPE \
  ENTRA_REQUIRED_SCOPE ENTRA_SPA_CLIENT_ID API_BASE_URL; do
  eval "value=\${$name:-}"
  [ -n "$value" ] || missing="$missing $name"
done
if [ -n "$missing" ]; then
  echo "postprovision: missing azd environment values:$missing" >&2
  echo "postprovision: run 'azd provision' (or 'azd env refresh') and try again." >&2
  exit 1
fi

# JSON string escaping for the few characters that could appear in these values.
j() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

# Replaces $1 with the content of $2, keeping the previous file as $1.bak when it differed.
install_file() {
  if [ -f "$1" ] && ! cmp -s "$1" "$2"; then
    cp "$1" "$1.bak"
    echo "postprovision: previous $(basename "$1") kept as $(basename "$1").bak"
  fi
  chmod 644 "$2" # mktemp creates 0600
  mv "$2" "$1"
  echo "postprovision: wrote ${1#"$root"/}"
}

# A local run gets its own Durable task hub, so it never picks up the deployed app's orchestrations.
# Note: the queue triggers (run-requests, persist) are shared with the deployed app.
mkdir -p "$root/src/Functions"
tmp=$(mktemp)
cat >"$tmp" <<EOF
{
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
    "AzureWebJobsStorage__accountName": "$(j "$AZURE_STORAGE_ACCOUNT_NAME")",
    "AzureWebJobsStorage__blobServiceUri": "$(j "$STORAGE_BLOB_SERVICE_URI")",
    "AzureWebJobsStorage__queueServiceUri": "$(j "$STORAGE_QUEUE_SERVICE_URI")",
    "AzureWebJobsStorage__tableServiceUri": "$(j "$STORAGE_TABLE_SERVICE_URI")",
    "Cosmos__Endpoint": "$(j "$COSMOS_ENDPOINT")",
    "Cosmos__Database": "$(j "$COSMOS_DATABASE")",
    "Model__Endpoint": "$(j "$MODEL_ENDPOINT")",
    "Model__Deployment": "$(j "$MODEL_DEPLOYMENT")",
    "Model__UseEntraId": "true",
    "Identity__Providers__0__Name": "entra",
    "Identity__Providers__0__Kind": "Entra",
    "Identity__Providers__0__TenantId": "$(j "$AZURE_TENANT_ID")",
    "Identity__Providers__0__Audiences__0": "$(j "$ENTRA_API_APP_ID_URI")",
    "Identity__Providers__0__Audiences__1": "$(j "$ENTRA_API_CLIENT_ID")",
    "Identity__Providers__0__RequiredScope": "$(j "$ENTRA_REQUIRED_SCOPE")",
    "Runs__SweepSchedule": "0 */5 * * * *",
    "DurableTask__HubName": "$(j "${DURABLE_TASK_HUB_NAME}local")"
  },
  "Host": {
    "LocalHttpPort": 7071,
    "CORS": "http://localhost:5173",
    "CORSCredentials": false
  }
}
EOF
install_file "$root/src/Functions/local.settings.json" "$tmp"

mkdir -p "$root/src/Web/public"
tmp=$(mktemp)
cat >"$tmp" <<EOF
{
  "apiBaseUrl": "$(j "$API_BASE_URL")",
  "auth": {
    "authority": "$(j "$ENTRA_AUTHORITY")",
    "clientId": "$(j "$ENTRA_SPA_CLIENT_ID")",
    "scopes": ["openid", "profile", "offline_access", "$(j "$ENTRA_API_SCOPE")"],
    "redirectPath": "/auth/callback"
  }
}
EOF
install_file "$root/src/Web/public/config.json" "$tmp"
