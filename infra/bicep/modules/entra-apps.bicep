// Entra ID app registrations for the API and the single-page app, created by the deployment itself
// through the Microsoft Graph Bicep extension (alias defined in ../bicepconfig.json).
//
// Graph resources are keyed by `uniqueName` and upserted, so redeploying is idempotent. Two rules follow
// from how Entra treats scopes and app roles:
// - Never edit an enabled scope or role in place: Entra rejects it ("Permission (scope or role) cannot be
//   deleted or updated unless disabled first"). Set isEnabled: false, deploy, then change or remove it.
// - The scope and role ids are guid()s of the app's unique name, so they stay stable across deployments.
//
// `azd down` does not delete these registrations (they are not in the resource group); see docs/deploy.md.
extension microsoftGraphV1

@description('Entra tenant that issues tokens; the apps are created in the tenant of the deployment.')
param tenantId string

@description('Short, stable suffix that makes the unique names unique in the tenant (the resourceToken).')
param suffix string

@description('Shown in the Entra admin center, e.g. "Agents (dev)".')
param displayNamePrefix string

@description('Application ID URI of the API. Empty: api://<tenantId>/agents-api-<suffix>.')
param apiAppIdUri string = ''

@description('Redirect URIs of the SPA (code + PKCE).')
param spaRedirectUris string[]

@description('Grant tenant-wide consent for the SPA (API scope + openid/profile/offline_access). Needs an admin deployer.')
param grantAdminConsent bool = false

var apiUniqueName = 'agents-api-${suffix}'
var spaUniqueName = 'agents-spa-${suffix}'

// api://<tenantId>/<string> is one of the formats Entra accepts even when a tenant restricts custom
// identifier URIs, and it does not need the app's own appId (unknown until the app exists).
var identifierUri = empty(apiAppIdUri) ? 'api://${tenantId}/${apiUniqueName}' : apiAppIdUri

var accessScopeValue = 'Agents.Access'
var accessScopeId = guid(apiUniqueName, accessScopeValue)
var adminRoleValue = 'Agents.Admin'
var adminRoleId = guid(apiUniqueName, adminRoleValue)

var graphAppId = '00000003-0000-0000-c000-000000000000' // Microsoft Graph, the same in every tenant

// The deploying user or pipeline owns what it creates, so it can later assign roles and delete the apps.
var owners = { relationships: [deployer().objectId] }

resource apiApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: apiUniqueName
  displayName: '${displayNamePrefix} API'
  signInAudience: 'AzureADMyOrg'
  identifierUris: [identifierUri]
  owners: owners
  api: {
    // v2 access tokens: issuer https://login.microsoftonline.com/<tid>/v2.0 and aud = the API's client id.
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: accessScopeId
        value: accessScopeValue
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use the Agents API'
        adminConsentDescription: 'Lets the app call the Agents API on behalf of the signed-in user.'
        userConsentDisplayName: 'Use the Agents API'
        userConsentDescription: 'Lets the app call the Agents API on your behalf.'
      }
    ]
  }
  appRoles: [
    {
      id: adminRoleId
      value: adminRoleValue
      displayName: 'Agents administrator'
      description: 'Manages agents, API keys, limits and policies for everyone.'
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
  ]
}

resource apiSp 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: apiApp.appId
  owners: owners
}

resource spaApp 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: spaUniqueName
  displayName: '${displayNamePrefix} web'
  signInAudience: 'AzureADMyOrg'
  owners: owners
  spa: {
    redirectUris: spaRedirectUris
  }
  // Declared so that "Grant admin consent" (portal or `az ad app permission admin-consent`) covers every
  // scope the SPA asks for at sign-in.
  requiredResourceAccess: [
    {
      resourceAppId: apiApp.appId
      resourceAccess: [
        { id: accessScopeId, type: 'Scope' } // Agents.Access
      ]
    }
    {
      resourceAppId: graphAppId
      resourceAccess: [
        { id: '37f7f235-527c-4136-accd-4a02d197296e', type: 'Scope' } // openid
        { id: '14dad69e-099b-42c9-810b-d002981feec1', type: 'Scope' } // profile
        { id: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182', type: 'Scope' } // offline_access
      ]
    }
  ]
}

resource spaSp 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: spaApp.appId
  owners: owners
}

// Optional admin consent. Without it each user consents once at first sign-in, which only works where the
// tenant lets users consent; otherwise an admin grants consent in the portal (see docs/deploy.md).
resource graphSp 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource spaToApiConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: spaSp.id
  resourceId: apiSp.id
  consentType: 'AllPrincipals'
  scope: accessScopeValue
}

resource spaToGraphConsent 'Microsoft.Graph/oauth2PermissionGrants@v1.0' = if (grantAdminConsent) {
  clientId: spaSp.id
  resourceId: graphSp.id
  consentType: 'AllPrincipals'
  scope: 'openid profile offline_access'
}

output apiClientId string = apiApp.appId
output apiAppIdUri string = identifierUri
output apiServicePrincipalId string = apiSp.id
output apiScope string = '${identifierUri}/${accessScopeValue}'
output requiredScope string = accessScopeValue
output adminRoleId string = adminRoleId
output spaClientId string = spaApp.appId
