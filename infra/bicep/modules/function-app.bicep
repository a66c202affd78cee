// The API: a .NET isolated Function App on the Flex Consumption plan (FC1).
//
// Plain resources rather than avm/res/web/site: Flex Consumption is configured through functionAppConfig,
// whose shape in the AVM module has changed between versions; the resource type itself is stable and short.
// Everything reaches Storage, Cosmos DB, Azure OpenAI and Application Insights as the user-assigned
// identity: there is no key or connection string in the settings below.

param name string
param planName string
param location string = resourceGroup().location
param tags object = {}

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity (DefaultAzureCredential and the Functions host pick it by this id).')
param identityClientId string

@description('Storage account of the Functions host (AzureWebJobsStorage) and of the deployment package.')
param storageAccountName string

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

param applicationInsightsConnectionString string

@description('Application settings read by the app itself (Cosmos__*, Model__*, Identity__*, ...).')
param appSettings object

@description('Browser origins allowed to call the API (platform CORS).')
param allowedOrigins string[]

@description('.NET version of the isolated worker; 10.0 is listed for Flex Consumption (Get-AzFunctionAppFlexConsumptionRuntime).')
param dotnetVersion string = '10.0'

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on scale-out; also bounds the cost of a runaway queue.')
param maximumInstanceCount int = 40

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// Host settings: identity-based AzureWebJobsStorage (blob for leases, queue for triggers and Durable control
// queues, table for Durable history) and Entra-authenticated Application Insights ingestion.
var hostSettings = {
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: allowedOrigins
        supportCredentials: false // the SPA sends a bearer token, not cookies
      }
      appSettings: map(items(union(appSettings, hostSettings)), setting => {
        name: setting.key
        value: setting.value
      })
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: dotnetVersion
      }
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
