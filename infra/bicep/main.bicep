// Azure deployment of the agents backend (Functions on Flex Consumption + Durable Functions + Storage queues
// + Cosmos DB + Azure OpenAI) and its single-page app (Static Web Apps, Entra sign-in with code + PKCE).
// Run with `azd up`; the outputs at the bottom become azd environment values read by scripts/azd/*.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of everything except the Static Web App. Must offer Flex Consumption and the model below.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Region of the Static Web App, which is offered in a few regions only (the site itself is served globally).')
@allowed(['westus2', 'centralus', 'eastus2', 'westeurope', 'eastasia'])
param webLocation string = 'eastus2'

@description('Object id of the developer running azd (AZURE_PRINCIPAL_ID). Gets data-plane roles so the app can run locally against these resources. Empty: none.')
param principalId string = ''

@description('Azure OpenAI model to deploy.')
param modelName string = 'gpt-4o-mini'

@description('Version of that model.')
param modelVersion string = '2024-07-18'

@description('Deployment type: GlobalStandard (pay per token, Microsoft-routed) or Standard (regional).')
param modelSkuName string = 'GlobalStandard'

@minValue(1)
@description('Capacity in thousands of tokens per minute; limited by the subscription quota for the model in this region.')
param modelCapacity int = 30

@description('Entra tenant that signs users in. Must be the tenant of the subscription: the app registrations are created there.')
param entraTenantId string = tenant().tenantId

@description('Application ID URI of the API app. Empty: api://<tenant id>/agents-api-<token>, a format Entra accepts under its identifier-URI restrictions.')
param entraApiAppIdUri string = ''

@description('Grant tenant-wide consent to the SPA during deployment. Needs a deployer allowed to grant consent (e.g. Cloud Application Administrator); otherwise users consent at first sign-in.')
param entraGrantAdminConsent bool = false

@description('Extra browser origins allowed to call the API, comma separated (the Static Web App origin is always allowed). The default lets a local `npm run dev` call this deployment; set to empty for production.')
param allowedOrigins string = 'http://localhost:5173'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${functionAppName}'
var aiServicesName = 'ai-${resourceToken}' // also the custom subdomain: https://<name>.openai.azure.com
var cosmosDatabaseName = 'agents'
var durableTaskHubName = 'agents'
// The persist queue and its poison queue (a message lands there after 5 failed deliveries; a trigger reads it).
// Durable Functions creates its own control and work-item queues.
var queueNames = ['persist', 'persist-poison']
// Containers whose documents may expire (TTL on, no default: documents carry their own ttl). Keep in step with
// Containers.WithTimeToLive in src/Application/Storage/Cosmos/Containers.cs.
var cosmosTtlContainerNames = ['runs', 'events', 'activity']
var cosmosContainerNames = [
  'agents'
  'threads'
  'messages'
  'runs'
  'events'
  'usage'
  'apikeys'
  'limits'
  'policies'
  'activity'
]

// Deterministic endpoints, so settings and outputs do not depend on module output shapes.
var storageAccountName = 'st${resourceToken}'
var storageQueueServiceUri = 'https://${storageAccountName}.queue.${environment().suffixes.storage}/'
var storageBlobServiceUri = 'https://${storageAccountName}.blob.${environment().suffixes.storage}/'
var storageTableServiceUri = 'https://${storageAccountName}.table.${environment().suffixes.storage}/'
// The resource: runs go through Azure.AI.OpenAI (deployment routes), the gateway through its OpenAI-compatible /openai/v1/.
var modelEndpoint = 'https://${aiServicesName}.openai.azure.com/'

var extraOrigins = filter(map(split(allowedOrigins, ','), origin => trim(origin)), origin => !empty(origin))

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

// ---------------------------------------------------------------- identity and monitoring

// The one identity the Function App uses for everything (storage, Cosmos DB, model, telemetry).
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.5.0' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.15.0' = {
  name: 'log-analytics'
  scope: rg
  params: {
    name: 'log-${resourceToken}'
    location: location
    tags: tags
    skuName: 'PerGB2018'
    dataRetention: 30
  }
}

module appInsights 'br/public:avm/res/insights/component:0.7.1' = {
  name: 'app-insights'
  scope: rg
  params: {
    name: 'appi-${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    applicationType: 'web'
    kind: 'web'
    retentionInDays: 30
    disableLocalAuth: true // ingestion needs an Entra token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING)
  }
}

// ---------------------------------------------------------------- data

module storage 'br/public:avm/res/storage/storage-account:0.32.0' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    skuName: 'Standard_LRS'
    kind: 'StorageV2'
    allowSharedKeyAccess: false // identity-based connections only
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    // Flex Consumption without a VNet reaches storage over the public endpoint, so the firewall stays open
    // (recent module versions deny by default); access is still limited to Entra principals with a data role.
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    blobServices: {
      containers: [{ name: deploymentContainerName }]
    }
    queueServices: {
      queues: map(queueNames, queueName => { name: queueName })
    }
    // Tables need no declaration: Durable Functions creates its instance and history tables itself.
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    containerNames: cosmosContainerNames
    ttlContainerNames: cosmosTtlContainerNames
  }
}

// ---------------------------------------------------------------- model

module aiServices 'br/public:avm/res/cognitive-services/account:0.17.0' = {
  name: 'ai-services'
  scope: rg
  params: {
    name: aiServicesName
    location: location
    tags: tags
    kind: 'AIServices'
    sku: 'S0'
    customSubDomainName: aiServicesName // required for Entra tokens, and names the endpoint
    disableLocalAuth: true // no API keys: callers need Cognitive Services OpenAI User
    publicNetworkAccess: 'Enabled' // the module disables it unless told otherwise
    deployments: [
      {
        name: modelName // Model__Deployment
        model: {
          format: 'OpenAI'
          name: modelName
          version: modelVersion
        }
        sku: {
          name: modelSkuName
          capacity: modelCapacity
        }
      }
    ]
  }
}

// ---------------------------------------------------------------- web, sign-in, API

module web 'br/public:avm/res/web/static-site:0.9.3' = {
  name: 'web'
  scope: rg
  params: {
    name: 'swa-${resourceToken}'
    location: webLocation
    tags: union(tags, { 'azd-service-name': 'web' })
    sku: 'Free'
  }
}

var webUrl = 'https://${web.outputs.defaultHostname}'

module entra 'modules/entra-apps.bicep' = {
  name: 'entra-apps'
  scope: rg
  params: {
    tenantId: entraTenantId
    suffix: resourceToken
    displayNamePrefix: 'Agents (${environmentName})'
    apiAppIdUri: entraApiAppIdUri
    spaRedirectUris: [
      '${webUrl}/auth/callback'
      'http://localhost:5173/auth/callback' // Vite dev server
      'http://127.0.0.1:7071/auth/callback' // SPA served next to a local Functions host
    ]
    grantAdminConsent: entraGrantAdminConsent
  }
}

var corsOrigins = union([webUrl], extraOrigins)

// Settings read by the application code. Names match its configuration sections (__ is the section separator).
// CORS is the platform's (function-app.bicep), not an app setting.
var appSettings = {
  Cosmos__Endpoint: cosmos.outputs.endpoint
  Cosmos__Database: cosmosDatabaseName
  Model__Endpoint: modelEndpoint
  Model__Provider: 'AzureOpenAI'
  Model__Deployment: modelName
  Model__UseEntraId: 'true'
  Identity__Providers__0__Name: 'entra'
  Identity__Providers__0__Kind: 'Entra'
  Identity__Providers__0__TenantId: entraTenantId
  Identity__Providers__0__Audiences__0: entra.outputs.apiAppIdUri // aud of v1 tokens
  Identity__Providers__0__Audiences__1: entra.outputs.apiClientId // aud of v2 tokens (what this API gets)
  Identity__Providers__0__RequiredScope: entra.outputs.requiredScope
  DurableTask__HubName: durableTaskHubName
  // The run sweep (src/Functions/Runs/RunSweep.cs): every five minutes.
  Runs__SweepSchedule: '0 */5 * * * *'
}

module api 'modules/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: appInsights.outputs.connectionString
    appSettings: appSettings
    allowedOrigins: corsOrigins
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    developerPrincipalId: principalId
    storageAccountName: storage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    aiServicesName: aiServices.outputs.name
    applicationInsightsName: appInsights.outputs.name
  }
}

// ---------------------------------------------------------------- outputs (azd environment values)

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = entraTenantId
output AZURE_RESOURCE_GROUP string = rg.name

output API_BASE_URL string = 'https://${api.outputs.defaultHostName}/api'
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output WEB_URL string = webUrl

output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmosDatabaseName
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output STORAGE_QUEUE_SERVICE_URI string = storageQueueServiceUri
output STORAGE_BLOB_SERVICE_URI string = storageBlobServiceUri
output STORAGE_TABLE_SERVICE_URI string = storageTableServiceUri
output DURABLE_TASK_HUB_NAME string = durableTaskHubName

output MODEL_ENDPOINT string = modelEndpoint
output MODEL_DEPLOYMENT string = modelName

output ENTRA_AUTHORITY string = '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0' // v2 issuer
output ENTRA_API_CLIENT_ID string = entra.outputs.apiClientId
output ENTRA_API_APP_ID_URI string = entra.outputs.apiAppIdUri
output ENTRA_API_SCOPE string = entra.outputs.apiScope // what the SPA requests
output ENTRA_REQUIRED_SCOPE string = entra.outputs.requiredScope // what the API checks in scp
output ENTRA_API_SERVICE_PRINCIPAL_ID string = entra.outputs.apiServicePrincipalId
output ENTRA_ADMIN_ROLE_ID string = entra.outputs.adminRoleId
output ENTRA_SPA_CLIENT_ID string = entra.outputs.spaClientId

output APPLICATIONINSIGHTS_CONNECTION_STRING string = appInsights.outputs.connectionString
