import { ClientSecretCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

/**
 * How the bot signs in to Microsoft Graph, app-only: with a client secret of an app registration
 * in the school's tenant, or as a user-assigned managed identity (no secret to rotate). The
 * application permissions (EduRoster.Read.All, TeamsAppInstallation.ReadWriteSelfForUser.All,
 * AppCatalog.Read.All) are granted to that app or identity; see docs/directory.md.
 */
export type GraphCredentialSettings =
  | { kind: 'client-secret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'managed-identity'; clientId: string };

export function createGraphCredential(settings: GraphCredentialSettings): TokenCredential {
  return settings.kind === 'client-secret'
    ? new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret)
    : new ManagedIdentityCredential({ clientId: settings.clientId });
}
