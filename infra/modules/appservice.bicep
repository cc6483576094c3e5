// The bot's App Service: Linux, Node LTS, two or more instances behind App Service's front end,
// running `npm run bundle`'s zip as a read-only package (WEBSITE_RUN_FROM_PACKAGE=1).

param name string
param planName string
param location string
param tags object = {}

@description('App Service plan SKU; P0v3 is the smallest with room for two always-on instances.')
param sku string = 'P0v3'

@minValue(1)
@description('Instances. Two or more need Redis (REDIS_URL), which the template sets.')
param instanceCount int = 2

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('The app settings, name to value; main.bicep holds the list.')
param appSettings object

param storageAccountName string
param shareName string

@description('Where the share is mounted; SCHOOLS_FILE points into it.')
param mountPath string

@description('CIDRs of the systems that call /api/signals and /api/stats. Empty: no address restriction.')
param intakeAllowedAddresses array = []

@description('Log Analytics workspace for the App Service logs (the bot\'s JSON log on stdout).')
param workspaceId string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'linux'
  sku: {
    name: sku
    capacity: instanceCount
  }
  properties: {
    // Linux.
    reserved: true
  }
}

// With addresses given, only the Bot Connector (Teams' traffic) and those addresses get in; see
// infra/README.md for what that blocks. Without, the app's own authentication guards every route.
var restricted = !empty(intakeAllowedAddresses)
var botConnectorRule = {
  name: 'Bot Connector'
  description: 'Teams activities, delivered by the Azure Bot Service'
  action: 'Allow'
  priority: 100
  tag: 'ServiceTag'
  ipAddress: 'AzureBotService'
}
var senderRules = map(range(0, length(intakeAllowedAddresses)), i => {
  name: 'Sender ${i + 1}'
  description: 'A sender system or statistics reader'
  action: 'Allow'
  priority: 200 + i
  tag: 'Default'
  ipAddress: intakeAllowedAddresses[i]
})

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Any instance can serve any request (state is in Redis), so no sticky sessions.
    clientAffinityEnabled: false
    // Key Vault references are resolved as the bot's identity, which holds Key Vault Secrets User.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'NODE|22-lts'
      // The zip holds the built bot; no build runs on the App Service.
      appCommandLine: 'node dist/src/index.js'
      // Follow-ups (escalation, reminders, expiry) run on a timer: the process must not be idled.
      alwaysOn: true
      http20Enabled: true
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // Readiness: an instance that cannot reach Redis is taken out of rotation while the others
      // serve. When Redis is away for all, App Service removes at most half of them
      // (WEBSITE_HEALTHCHECK_MAXUNHEALTHYWORKERPERCENT) and the rest answer 'probeer het zo opnieuw'.
      healthCheckPath: '/readyz'
      ipSecurityRestrictionsDefaultAction: restricted ? 'Deny' : 'Allow'
      ipSecurityRestrictions: restricted ? concat([botConnectorRule], senderRules) : []
      // Deployments go through the SCM site with Entra sign-in (basic credentials are off below).
      scmIpSecurityRestrictionsUseMain: false
    }
  }
}

// No FTP and no basic-auth deployments: zip deploy signs in with Microsoft Entra.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

// The schools file share. App Service mounts Azure Files with the account key only; it is read
// here at deployment time and kept by the platform, never in a file.
resource mounts 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'azurestorageaccounts'
  properties: {
    config: {
      type: 'AzureFiles'
      protocol: 'Smb'
      accountName: storage.name
      shareName: shareName
      mountPath: mountPath
      accessKey: storage.listKeys().keys[0].value
    }
  }
}

resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: appSettings
  dependsOn: [
    mounts
  ]
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'logs-to-workspace'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'AppServiceConsoleLogs'
        enabled: true
      }
      {
        category: 'AppServiceHTTPLogs'
        enabled: true
      }
      {
        category: 'AppServicePlatformLogs'
        enabled: true
      }
    ]
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
