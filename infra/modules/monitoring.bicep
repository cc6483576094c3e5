// Log Analytics and a workspace-based Application Insights: the bot's telemetry (requests, calls
// to Teams, Graph and Redis) and, through the App Service's diagnostic settings, its JSON log,
// which docs/operations.md ("What to monitor") says what to alert on. None of it names a pupil.

param logAnalyticsName string
param appInsightsName string
param location string
param tags object = {}

@description('Days the logs are kept. 30 is the free retention; the log holds ids and counts only.')
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    RetentionInDays: retentionInDays
  }
}

output workspaceId string = workspace.id
output appInsightsName string = appInsights.name
// Not a secret: it only lets a sender write telemetry into this resource.
output connectionString string = appInsights.properties.ConnectionString
