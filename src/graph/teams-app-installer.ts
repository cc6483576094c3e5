import type { TeamsAppInstaller } from '../app/ports';
import { HwcError } from '../domain/errors';
import type { Logger } from '../logging/logger';
import { GraphError, type GraphClient } from './graph-client';

/**
 * Installs the Teams app for a colleague the bot has never talked to, so it may open a chat with
 * them (Microsoft Graph, app-only, TeamsAppInstallation.ReadWriteSelfForUser.All):
 *   POST /users/{userId}/teamwork/installedApps
 *   { "teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogAppId}" }
 * 201 means installed, 409 that it already was; anything else rejects with a TeamsAppInstallError.
 *
 * The catalog app id is not the manifest's id for an app the school published to its own app
 * catalog (it is for Teams Store apps). Give it directly (TEAMS_APP_CATALOG_ID), or give the
 * manifest id (TEAMS_APP_ID) and it is looked up once with
 *   GET /appCatalogs/teamsApps?$filter=externalId eq '{manifestId}'   (AppCatalog.Read.All)
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The app could not be installed for a person: they cannot be reached in Teams by the bot. */
export class TeamsAppInstallError extends HwcError {
  constructor(
    message: string,
    /** The HTTP status Graph answered with; 0 when there was no answer or no catalog app. */
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super('delivery.unreachable', message, options);
    this.name = 'TeamsAppInstallError';
  }

  /** For errorSummary() in src/logging, which logs `statusCode`. */
  get statusCode(): number {
    return this.status;
  }
}

export type TeamsAppReference = { catalogAppId: string } | { manifestAppId: string };

export interface GraphTeamsAppInstallerOptions {
  client: GraphClient;
  app: TeamsAppReference;
  log?: Logger;
}

interface CatalogApp {
  id: string;
  externalId?: string | null;
  distributionMethod?: string | null;
}

export class GraphTeamsAppInstaller implements TeamsAppInstaller {
  private catalogAppId: Promise<string> | undefined;

  constructor(private readonly options: GraphTeamsAppInstallerOptions) {
    const { app } = options;
    if ('manifestAppId' in app && !GUID.test(app.manifestAppId)) {
      throw new HwcError(
        'config.invalid',
        'TEAMS_APP_ID: expected a GUID (the id in the Teams app manifest)',
      );
    }
    if ('catalogAppId' in app) this.catalogAppId = Promise.resolve(app.catalogAppId);
  }

  async installFor(userId: string): Promise<void> {
    const { client, log } = this.options;
    const catalogAppId = await this.resolveCatalogAppId();
    try {
      await client.post(`/users/${encodeURIComponent(userId)}/teamwork/installedApps`, {
        'teamsApp@odata.bind': `${client.baseUrl}/appCatalogs/teamsApps/${encodeURIComponent(catalogAppId)}`,
      });
      // No user id in logs or messages: which colleague is told about a case is itself sensitive.
      log?.info({ event: 'teams-app.installed' }, 'Teams app installed for a user');
    } catch (error) {
      if (error instanceof GraphError && error.status === 409) return;
      const status = error instanceof GraphError ? error.status : 0;
      throw new TeamsAppInstallError(
        `Installing the Teams app for a user failed: ${error instanceof GraphError ? error.message : 'unexpected error'}`,
        status,
        { cause: error },
      );
    }
  }

  /** The catalog id, looked up once from the manifest id; a failed lookup is tried again next time. */
  private resolveCatalogAppId(): Promise<string> {
    if (!this.catalogAppId) {
      const lookup = this.lookUpCatalogAppId();
      this.catalogAppId = lookup;
      lookup.catch(() => {
        if (this.catalogAppId === lookup) this.catalogAppId = undefined;
      });
    }
    return this.catalogAppId;
  }

  private async lookUpCatalogAppId(): Promise<string> {
    const { client, app, log } = this.options;
    if (!('manifestAppId' in app)) throw new Error('unreachable: no manifest id');
    let apps: CatalogApp[];
    try {
      apps = await client.getAll<CatalogApp>('/appCatalogs/teamsApps', {
        $filter: `externalId eq '${app.manifestAppId}'`,
      });
    } catch (error) {
      const status = error instanceof GraphError ? error.status : 0;
      throw new TeamsAppInstallError(
        `Looking up the Teams app ${app.manifestAppId} in the app catalog failed: ${error instanceof GraphError ? error.message : 'unexpected error'}`,
        status,
        { cause: error },
      );
    }
    const found = apps.find((a) => a.distributionMethod?.toLowerCase() === 'organization') ?? apps[0];
    if (!found) {
      throw new TeamsAppInstallError(
        `The Teams app ${app.manifestAppId} (TEAMS_APP_ID) is not in the organization's app catalog; publish it there first, or set TEAMS_APP_CATALOG_ID`,
        0,
      );
    }
    log?.info(
      { event: 'teams-app.catalog-id', manifestAppId: app.manifestAppId, catalogAppId: found.id },
      'Teams app found in the app catalog',
    );
    return found.id;
  }
}
