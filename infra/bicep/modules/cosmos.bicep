// Cosmos DB for NoSQL, serverless, Entra-only.
//
// A plain resource rather than avm/res/document-db/database-account: that module's defaults suit
// provisioned accounts (public network access disabled, zone redundancy on, continuous 30-day backup,
// burst capacity on) and would each need overriding for a serverless account. Declaring the handful of
// properties we need is shorter and shows exactly what is deployed.

@description('Name of the Cosmos DB account (globally unique, lowercase).')
param name string

param location string = resourceGroup().location
param tags object = {}

@description('Database the application uses (Cosmos__Database).')
param databaseName string

@description('Containers to create; each is partitioned on /pk (the application writes a synthetic key).')
param containerNames string[]

@description('Containers whose documents may expire: TTL on without a default (-1); each document carries its own ttl.')
param ttlContainerNames string[] = []

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    capabilities: [{ name: 'EnableServerless' }] // pay per request unit, no provisioned throughput
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    disableLocalAuth: true // keys are refused: the app and developers use Entra tokens and the data-plane role
    disableKeyBasedMetadataWriteAccess: true // databases and containers change only through ARM (this file)
    publicNetworkAccess: 'Enabled' // Flex Consumption without a VNet reaches Cosmos over its public endpoint
    minimalTlsVersion: 'Tls12'
    backupPolicy: {
      type: 'Periodic'
      periodicModeProperties: {
        backupIntervalInMinutes: 240
        backupRetentionIntervalInHours: 8
        backupStorageRedundancy: 'Local'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
  }
}

// No `options` (throughput): serverless containers have none.
resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for containerName in containerNames: {
    parent: database
    name: containerName
    properties: {
      resource: {
        id: containerName
        partitionKey: {
          paths: ['/pk']
          kind: 'Hash'
          version: 2 // allows partition key values longer than 100 bytes
        }
        defaultTtl: contains(ttlContainerNames, containerName) ? -1 : null
      }
    }
  }
]

output name string = account.name
output endpoint string = account.properties.documentEndpoint
