import type { TokenCredential } from '@azure/identity';
import type { TeamsAppInstaller } from '../app/ports';
import type { Logger } from '../logging/logger';
import { GraphClient, type GraphClientOptions } from './graph-client';
import { createGraphCredential, type GraphCredentialSettings } from './graph-credential';
import { GraphTeamsAppInstaller, type TeamsAppReference } from './teams-app-installer';

/** Microsoft Graph as configured (src/config/app-config.ts reads it from the environment). */
export interface GraphSettings {
  /** GRAPH_BASE_URL, default https://graph.microsoft.com/v1.0. */
  baseUrl: string;
  credential: GraphCredentialSettings;
  /** TEAMS_APP_CATALOG_ID or TEAMS_APP_ID; without either the app is not installed for anyone. */
  teamsApp?: TeamsAppReference;
}

export interface GraphServices {
  client: GraphClient;
  /** Undefined when neither TEAMS_APP_CATALOG_ID nor TEAMS_APP_ID is set. */
  installer?: TeamsAppInstaller;
}

export interface GraphServicesOptions {
  log?: Logger;
  /** Instead of the credential the settings describe (tests). */
  credential?: TokenCredential;
  /** Retry and timeout settings of the client (tests). */
  client?: Omit<GraphClientOptions, 'credential' | 'baseUrl'>;
}

/**
 * The Graph client and the Teams app installer, or undefined when Graph is not configured (local
 * mode without an app id): then there is no installer and no graph-education directory.
 */
export function createGraphServices(
  settings: GraphSettings | undefined,
  options: GraphServicesOptions = {},
): GraphServices | undefined {
  if (!settings) return undefined;
  const client = new GraphClient({
    ...options.client,
    credential: options.credential ?? createGraphCredential(settings.credential),
    baseUrl: settings.baseUrl,
  });
  const installer = settings.teamsApp
    ? new GraphTeamsAppInstaller({
        client,
        app: settings.teamsApp,
        ...(options.log ? { log: options.log } : {}),
      })
    : undefined;
  return { client, ...(installer ? { installer } : {}) };
}
