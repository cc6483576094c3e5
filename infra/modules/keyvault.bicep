// The Key Vault for the bot's secrets. The template creates the vault and the identity's read
// access, never a secret: the admin sets each value with `az keyvault secret set` (infra/README.md),
// so no secret is ever in this repository, a parameter file or the deployment history.

@maxLength(24)
param name string

param location string
param tags object = {}

@description('Principal (object) id of the bot\'s managed identity, which reads the secrets.')
param identityPrincipalId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Azure RBAC instead of access policies: who may read what is one role assignment, below.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // A deleted secret (the case keys) stays recoverable and cannot be purged early by anyone.
    enablePurgeProtection: true
    // App Service resolves Key Vault references over the public endpoint unless the app is in a
    // virtual network; RBAC still decides who reads.
    publicNetworkAccess: 'Enabled'
  }
}

// Key Vault Secrets User: read secret values, nothing else.
var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, secretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name
// Ends with a slash: https://<name>.vault.azure.net/
output vaultUri string = vault.properties.vaultUri
