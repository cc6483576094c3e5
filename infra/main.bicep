// Handle with Care for Teams: everything one school board needs in one resource group (one
// Microsoft 365 tenant, one Azure subscription, its schools in one schools file). Shaped like the
// Microsoft 365 Agents Toolkit's infra/azure.bicep with botRegistration/azurebot.bicep.
//
//   az deployment group create -g <resource group> -f infra/main.bicep -p @infra/main.parameters.json
//
// It holds no secret: the admin puts the secrets in Key Vault afterwards (infra/README.md).

targetScope = 'resourceGroup'

@minLength(3)
@maxLength(20)
@description('Short lowercase slug of the board, used in resource names: letters, digits and dashes (e.g. bestuur-voorbeeld).')
param boardName string

param location string = resourceGroup().location

@maxLength(42)
@description('The bot\'s name as the Azure Bot resource shows it.')
param botDisplayName string

@description('App Service plan SKU.')
param appServiceSku string = 'P0v3'

@minValue(1)
@description('App Service instances; two, so a deploy or a crash leaves one running (docs/operations.md).')
param instanceCount int = 2

@description('Azure Managed Redis SKU.')
param redisSku string = 'Balanced_B0'

@description('Optional custom host name of the bot (e.g. hwc.bestuur-voorbeeld.nl), bound to the App Service separately; empty: the azurewebsites.net host.')
param botDomain string = ''

@description('The Teams app id (a GUID of the board\'s own, the same as for npm run package).')
param teamsAppId string

@description('Application (client) id of the intake API\'s app registration: the `aud` of the v2 tokens senders get for it (docs/deploy.md, step 3).')
param intakeAudience string

@description('CIDRs of the sender systems (and statistics readers) allowed to reach the bot. Empty (default): no address restriction; see infra/README.md.')
param intakeAllowedAddresses array = []

@description('Where the Bot Service keeps its data: global, or westeurope for a regional bot within the EU boundary (infra/README.md).')
@allowed([
  'global'
  'westeurope'
])
param botLocation string = 'global'

@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('Whether the Key Vault holds an `intake-api-keys` secret for INTAKE_API_KEYS (static sender keys). Off: senders use Entra tokens only.')
param useIntakeApiKeys bool = false

@description('Whether the Key Vault holds a `stats-api-keys` secret for STATS_API_KEYS. Off: statistics are read with Entra tokens only.')
param useStatsApiKeys bool = false

var tags = {
  app: 'handle-with-care-teams'
  board: boardName
}
var base = 'hwc-${boardName}'
// Names that must be unique in all of Azure get a short hash of the resource group.
var suffix = take(uniqueString(resourceGroup().id, boardName), 6)
var compactBoard = toLower(take(replace(boardName, '-', ''), 16))
var appServiceName = 'app-${base}-${suffix}'
var botHost = empty(botDomain) ? '${appServiceName}.azurewebsites.net' : botDomain
var mountPath = '/mounts/config'
var tenantId = tenant().tenantId

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${base}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${base}'
    appInsightsName: 'appi-${base}'
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: 'kv${compactBoard}${suffix}'
    location: location
    tags: tags
    identityPrincipalId: identity.outputs.principalId
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: 'redis-${base}-${suffix}'
    location: location
    tags: tags
    sku: redisSku
    identityPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: 'st${compactBoard}${suffix}'
    location: location
    tags: tags
  }
}

// Secret names in Key Vault (letters, digits and dashes only); the admin sets their values with
// `az keyvault secret set`. App Service resolves each reference as the bot's identity.
var secretNames = {
  caseEncryptionKeys: 'case-encryption-keys'
  intakeIdempotencySecret: 'intake-idempotency-secret'
  intakeApiKeys: 'intake-api-keys'
  statsApiKeys: 'stats-api-keys'
}
var vaultUri = keyVault.outputs.vaultUri
var kvCaseEncryptionKeys = '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretNames.caseEncryptionKeys}/)'
var kvIdempotencySecret = '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretNames.intakeIdempotencySecret}/)'
var kvIntakeApiKeys = '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretNames.intakeApiKeys}/)'
var kvStatsApiKeys = '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretNames.statsApiKeys}/)'

// Every app setting of the bot, one per line as NAME: value. Each is documented in .env.sample,
// except the App Service platform's own (test/infra/bicep-settings.test.ts checks both). An empty
// value counts as unset for the bot. PORT is not here: App Service sets it, and the bot reads it.
var appSettings = {
  NODE_ENV: 'production'
  // The bot listens on every interface of its container; App Service's front end is the only way in.
  HOST: '0.0.0.0'
  LOG_LEVEL: 'info'
  MicrosoftAppType: 'UserAssignedMSI'
  MicrosoftAppId: identity.outputs.clientId
  MicrosoftAppTenantId: tenantId
  SCHOOLS_FILE: '${mountPath}/schools.yaml'
  REDIS_URL: 'rediss://${redis.outputs.hostName}:10000'
  REDIS_ENTRA_CLIENT_ID: identity.outputs.clientId
  CASE_ENCRYPTION_KEYS: kvCaseEncryptionKeys
  INTAKE_IDEMPOTENCY_SECRET: kvIdempotencySecret
  INTAKE_API_KEYS: useIntakeApiKeys ? kvIntakeApiKeys : ''
  INTAKE_ENTRA_AUDIENCE: intakeAudience
  INTAKE_ENTRA_TENANT_ID: tenantId
  INTAKE_ENTRA_ROLE: 'Signals.Send'
  STATS_API_KEYS: useStatsApiKeys ? kvStatsApiKeys : ''
  STATS_ENTRA_ROLE: 'Stats.Read'
  BOT_DOMAIN: botHost
  TEAMS_APP_ID: teamsAppId
  // Graph: no GRAPH_* settings, so Graph uses the bot's managed identity (MicrosoftAppId with
  // UserAssignedMSI); its application permissions are granted to identityPrincipalId.
  // One proxy in front (App Service's front end); docs/operations.md says why.
  TRUST_PROXY_HOPS: '1'
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  // Platform: run the deployed zip as a read-only package, and build nothing on the server.
  WEBSITE_RUN_FROM_PACKAGE: '1'
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'false'
}

module appService 'modules/appservice.bicep' = {
  name: 'appservice'
  params: {
    name: appServiceName
    planName: 'asp-${base}'
    location: location
    tags: tags
    sku: appServiceSku
    instanceCount: instanceCount
    identityId: identity.outputs.id
    appSettings: appSettings
    storageAccountName: storage.outputs.name
    shareName: storage.outputs.shareName
    mountPath: mountPath
    intakeAllowedAddresses: intakeAllowedAddresses
    workspaceId: monitoring.outputs.workspaceId
  }
}

module bot 'modules/azurebot.bicep' = {
  name: 'azurebot'
  params: {
    name: 'bot-${base}-${suffix}'
    displayName: botDisplayName
    location: botLocation
    sku: botSku
    identityResourceId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    identityTenantId: identity.outputs.tenantId
    botHost: botHost
    tags: tags
  }
}

output appServiceName string = appService.outputs.name
output appServiceHostName string = appService.outputs.defaultHostName
output botId string = identity.outputs.clientId
output identityClientId string = identity.outputs.clientId
@description('Grant the Microsoft Graph application permissions (docs/directory.md) to this principal.')
output identityPrincipalId string = identity.outputs.principalId
output keyVaultName string = keyVault.outputs.name
@description('The Key Vault secrets the admin sets with az keyvault secret set; the optional ones only when used.')
output keyVaultSecretNames object = secretNames
output storageAccountName string = storage.outputs.name
output fileShareName string = storage.outputs.shareName
output redisHostName string = redis.outputs.hostName
output appInsightsName string = monitoring.outputs.appInsightsName
output botServiceName string = bot.outputs.name
