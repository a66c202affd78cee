// Every role assignment of the deployment, in one place.
//
// Two principals get data-plane access: the Function App's user-assigned identity, and (optionally) the
// developer who ran `azd up` (principalId), so that `func start` on their machine can use the same Azure
// resources with their own Entra sign-in. No one gets keys: local auth is disabled on Storage, Cosmos DB,
// Azure OpenAI and Application Insights.
//
// Names are guid(scope, principal, role) so a redeployment finds the same assignment instead of failing
// with "RoleAssignmentExists".

@description('Principal id of the Function App identity.')
param appPrincipalId string

@description('Principal id of the developer (AZURE_PRINCIPAL_ID). Empty: no developer access.')
param developerPrincipalId string = ''

param storageAccountName string
param cosmosAccountName string
param aiServicesName string
param applicationInsightsName string

// Built-in Azure role definition ids.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner: host leases, Durable blobs, Flex deployment package
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor: run-requests/persist, Durable control and work-item queues
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor: Durable instance and history tables
var cognitiveServicesOpenAIUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd' // Cognitive Services OpenAI User: call model deployments
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher: send telemetry when local auth is off

// Cosmos DB has its own data-plane RBAC, separate from Azure roles.
var cosmosBuiltInDataContributor = '00000000-0000-0000-0000-000000000002' // Cosmos DB Built-in Data Contributor: read/write items, query

// The app identity is created by this deployment: principalType avoids a race with Entra replication.
// The developer may be a user or a service principal (CI), so their type is left for ARM to look up.
var app = { id: appPrincipalId, type: 'ServicePrincipal' }
var developer = { id: developerPrincipalId, type: null }
var principals = empty(developerPrincipalId) ? [app] : [app, developer]

var storageAssignments = flatten(map(principals, p => [
  { principal: p, role: storageBlobDataOwner }
  { principal: p, role: storageQueueDataContributor }
  { principal: p, role: storageTableDataContributor }
]))

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource aiServices 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: aiServicesName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' existing = {
  name: cosmosAccountName
}

resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for a in storageAssignments: {
    name: guid(storage.id, a.principal.id, a.role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', a.role)
      principalId: a.principal.id
      principalType: a.principal.type
    }
  }
]

resource openAiRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for p in principals: {
    name: guid(aiServices.id, p.id, cognitiveServicesOpenAIUser)
    scope: aiServices
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAIUser)
      principalId: p.id
      principalType: p.type
    }
  }
]

// Only the app sends telemetry to Azure; a developer's local run does not.
resource telemetryRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource cosmosRoles 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for p in principals: {
    parent: cosmos
    name: guid(cosmos.id, p.id, cosmosBuiltInDataContributor)
    properties: {
      roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosBuiltInDataContributor}'
      principalId: p.id
      scope: cosmos.id
    }
  }
]
