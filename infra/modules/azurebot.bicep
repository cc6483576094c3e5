// The Azure Bot registration and its Teams channel, in the shape of the Microsoft 365 Agents
// Toolkit's botRegistration/azurebot.bicep, with the managed identity as the bot's app.

@maxLength(42)
@description('Name of the Azure Bot resource (4-42 characters, globally unique).')
param name string

@maxLength(42)
param displayName string

@description('''Where the Bot Service keeps and processes the bot's data. 'global' (as Microsoft's
templates do) or 'westeurope': a regional bot, which Microsoft documents as keeping the Bot
Service's personal data within the EU boundary ("Regionalization in Azure AI Bot Service").
Choosing it is the board's privacy decision; see infra/README.md.''')
@allowed([
  'global'
  'westeurope'
])
param location string = 'global'

@allowed([
  'F0'
  'S1'
])
@description('F0 is free and covers the standard channels, Teams among them; S1 only adds premium channels.')
param sku string = 'F0'

param identityResourceId string
param identityClientId string
param identityTenantId string

@description('Host name of the bot, without scheme: Teams posts to https://<host>/api/messages.')
param botHost string

param tags object = {}

resource botService 'Microsoft.BotService/botServices@2022-09-15' = {
  name: name
  location: location
  kind: 'azurebot'
  tags: tags
  sku: {
    name: sku
  }
  properties: {
    displayName: displayName
    endpoint: 'https://${botHost}/api/messages'
    msaAppType: 'UserAssignedMSI'
    msaAppId: identityClientId
    msaAppMSIResourceId: identityResourceId
    msaAppTenantId: identityTenantId
  }
}

// Connect the bot to Microsoft Teams; a channel lives where its bot lives.
resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: botService
  name: 'MsTeamsChannel'
  location: location
  properties: {
    channelName: 'MsTeamsChannel'
  }
}

output name string = botService.name
