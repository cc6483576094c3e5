// Azure Managed Redis for the open cases and what the instances share (docs/operations.md, "What
// the bot needs from Redis"). The bot signs in with Microsoft Entra as its managed identity; access
// keys are off, so there is no Redis password anywhere.

param name string
param location string
param tags object = {}

@description('Azure Managed Redis SKU. Balanced_B0 holds far more than a board needs (docs/operations.md, "Sizing").')
param sku string = 'Balanced_B0'

@description('Principal (object) id of the managed identity that gets data access.')
param identityPrincipalId string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    minimumTlsVersion: '1.2'
    // A replica, so a failover keeps the open cases (docs/operations.md, "When Redis restarts").
    highAvailability: 'Enabled'
    // Reached over TLS with Entra sign-in only; a private endpoint needs the App Service in a
    // virtual network, which this template does not build.
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    // TLS only (rediss://), on port 10000.
    clientProtocol: 'Encrypted'
    port: 10000
    // The bot connects to one endpoint and does not follow cluster redirects, so never OSSCluster.
    // NoCluster fits the small sizes; EnterpriseCluster would work too.
    clusteringPolicy: 'NoCluster'
    // An evicted case would be a signal lost without a trace; the bot refuses any other policy.
    evictionPolicy: 'NoEviction'
    // Microsoft Entra sign-in only.
    accessKeysAuthentication: 'Disabled'
    // No persistence: whether cases may be written to the service's disk is the privacy
    // officer's choice (docs/operations.md); add `persistence` here if the board chooses it.
  }
}

// Data access for the bot's identity (the built-in 'default' access policy).
resource dataAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = {
  parent: database
  name: uniqueString(database.id, identityPrincipalId)
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: identityPrincipalId
    }
  }
}

output name string = cluster.name
output hostName string = cluster.properties.hostName
output port int = database.properties.port
