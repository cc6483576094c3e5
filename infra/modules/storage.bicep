// Where the schools file and the roster CSVs live in production: an Azure Files share that the App
// Service mounts read-write at /mounts/config (the bot only reads it). The admin uploads
// schools.yaml and, for schools with `directory: {type: roster-csv}`, the CSV exports beside it;
// their paths in schools.yaml are relative to the schools file (docs/directory.md).

@maxLength(24)
@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
param name string

param location string
param tags object = {}

param shareName string = 'config'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    // App Service mounts Azure Files with the account key only, so shared key access stays on. The
    // key is read at deployment (listKeys in appservice.bicep), never written in a file. The
    // portal and the CLI are told to use Entra sign-in by default.
    allowSharedKeyAccess: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
  }
}

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    // A schools file deleted or overwritten by mistake can be brought back for a week.
    shareDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource share 'Microsoft.Storage/storageAccounts/fileServices/shares@2023-05-01' = {
  parent: fileService
  name: shareName
  properties: {
    // A schools file and a few rosters: kilobytes to megabytes.
    shareQuota: 1
    enabledProtocols: 'SMB'
  }
}

output name string = account.name
output shareName string = share.name
