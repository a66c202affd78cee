# azd postprovision hook (Windows; also runs under pwsh elsewhere). azd exports the environment's values,
# including the Bicep outputs of infra/bicep/main.bicep, as environment variables before running it.
# Writes the same two generated, git-ignored files as postprovision.sh:
#
#   src/Functions/local.settings.json  `func start` against the Azure resources, signed in as you
#                                       (az login); the data-plane roles come from AZURE_PRINCIPAL_ID.
#   src/Web/public/config.json         the SPA's runtime config; Vite copies public/ into dist/, and
#                                       azure.yaml packages after provisioning, so the deployed site gets it.
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

$required = @(
    'AZURE_TENANT_ID', 'AZURE_STORAGE_ACCOUNT_NAME', 'STORAGE_BLOB_SERVICE_URI', 'STORAGE_QUEUE_SERVICE_URI',
    'STORAGE_TABLE_SERVICE_URI', 'COSMOS_ENDPOINT', 'COSMOS_DATABASE', 'MODEL_ENDPOINT', 'MODEL_DEPLOYMENT',
    'DURABLE_TASK_HUB_NAME', 'ENTRA_AUTHORITY', 'ENTRA_API_CLIENT_ID', 'ENTRA_API_APP_ID_URI', 'ENTRA_API_SCOPE',
    'ENTRA_REQUIRED_SCOPE', 'ENTRA_SPA_CLIENT_ID', 'API_BASE_URL'
)
$values = @{}
$missing = @()
foreach ($name in $required) {
    $value = [Environment]::GetEnvironmentVariable($name)
    if ([string]::IsNullOrEmpty($value)) { $missing += $name } else { $values[$name] = $value }
}
if ($missing.Count -gt 0) {
    Write-Error ("postprovision: missing azd environment values: {0}. Run 'azd provision' (or 'azd env refresh') and try again." -f ($missing -join ', '))
}

# Replaces $Path with $Json, keeping the previous file as $Path.bak when it differed.
function Install-JsonFile([string] $Path, [string] $Json) {
    New-Item -ItemType Directory -Force -Path (Split-Path $Path) | Out-Null
    if ((Test-Path $Path) -and (([string](Get-Content -Raw $Path)).Trim() -ne $Json.Trim())) {
        Copy-Item $Path "$Path.bak" -Force
        Write-Host "postprovision: previous $(Split-Path -Leaf $Path) kept as $(Split-Path -Leaf $Path).bak"
    }
    Set-Content -Path $Path -Value $Json -Encoding utf8NoBOM
    Write-Host "postprovision: wrote $([IO.Path]::GetRelativePath($root, $Path))"
}

# A local run gets its own Durable task hub, so it never picks up the deployed app's orchestrations.
# Note: the queue triggers (run-requests, persist) are shared with the deployed app.
$localSettings = [ordered]@{
    IsEncrypted = $false
    Values      = [ordered]@{
        FUNCTIONS_WORKER_RUNTIME                = 'dotnet-isolated'
        AzureWebJobsStorage__accountName        = $values.AZURE_STORAGE_ACCOUNT_NAME
        AzureWebJobsStorage__blobServiceUri     = $values.STORAGE_BLOB_SERVICE_URI
        AzureWebJobsStorage__queueServiceUri    = $values.STORAGE_QUEUE_SERVICE_URI
        AzureWebJobsStorage__tableServiceUri    = $values.STORAGE_TABLE_SERVICE_URI
        Cosmos__Endpoint                        = $values.COSMOS_ENDPOINT
        Cosmos__Database                        = $values.COSMOS_DATABASE
        Model__Endpoint                         = $values.MODEL_ENDPOINT
        Model__Deployment                       = $values.MODEL_DEPLOYMENT
        Model__UseEntraId                       = 'true'
        Identity__Providers__0__Name            = 'entra'
        Identity__Providers__0__Kind            = 'Entra'
        Identity__Providers__0__TenantId        = $values.AZURE_TENANT_ID
        Identity__Providers__0__Audiences__0    = $values.ENTRA_API_APP_ID_URI
        Identity__Providers__0__Audiences__1    = $values.ENTRA_API_CLIENT_ID
        Identity__Providers__0__RequiredScope   = $values.ENTRA_REQUIRED_SCOPE
        Runs__SweepSchedule                     = '0 */5 * * * *'
        DurableTask__HubName                    = "$($values.DURABLE_TASK_HUB_NAME)local"
    }
    Host        = [ordered]@{
        LocalHttpPort   = 7071
        CORS            = 'http://localhost:5173'
        CORSCredentials = $false
    }
}
Install-JsonFile (Join-Path $root 'src/Functions/local.settings.json') ($localSettings | ConvertTo-Json -Depth 5)

$webConfig = [ordered]@{
    apiBaseUrl = $values.API_BASE_URL
    auth       = [ordered]@{
        authority    = $values.ENTRA_AUTHORITY
        clientId     = $values.ENTRA_SPA_CLIENT_ID
        scopes       = @('openid', 'profile', 'offline_access', $values.ENTRA_API_SCOPE)
        redirectPath = '/auth/callback'
    }
}
Install-JsonFile (Join-Path $root 'src/Web/public/config.json') ($webConfig | ConvertTo-Json -Depth 5)
