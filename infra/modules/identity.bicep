// The bot's identity: one user-assigned managed identity is the Azure Bot's app (msaAppType
// UserAssignedMSI), signs in to Azure Managed Redis, reads the Key Vault secrets and calls Microsoft
// Graph. No client secret exists anywhere, so none can leak or expire.

@description('Name of the user-assigned managed identity.')
param name string

param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
output tenantId string = identity.properties.tenantId
