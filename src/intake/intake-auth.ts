import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { HwcError } from '../domain/errors';
import * as jose from 'jose';
import type { JWTPayload } from 'jose';

/** Who sent a request: an API key's label (e.g. 'key#1') or the Entra client id (azp/appid). */
export interface SenderIdentity {
  kind: 'api-key' | 'entra';
  id: string;
}

/** A static API key, for local use and tests. `schools: 'all'` lets it send for every school. */
export interface ApiKey {
  label: string;
  key: string;
  schools: string[] | 'all';
}

export interface EntraAuthOptions {
  /** The tenant (directory) id; tokens must carry it as `tid`. */
  tenantId: string;
  /** The API's application id URI or client id, as it appears in `aud`. */
  audience: string | string[];
  /** Default: the v2 issuer, https://login.microsoftonline.com/{tenant}/v2.0. */
  issuer?: string | string[];
  /** Default: https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys. */
  jwksUrl?: string;
  /** The app role a sender system must hold, in `roles`. Default 'Signals.Send'. */
  requiredRole?: string;
  /** Allowed clock skew for exp/nbf. Default 60 seconds. */
  clockToleranceSeconds?: number;
  /**
   * A token with a key id (kid) that is not in the fetched key set makes the keys be fetched again
   * at once, but at most once per this many seconds. Default 5.
   */
  keyRefetchIntervalSeconds?: number;
}

export interface IntakeAuthOptions {
  apiKeys: ApiKey[];
  entra?: EntraAuthOptions;
  /** The realm in WWW-Authenticate challenges. Default 'handle-with-care-intake'. */
  realm?: string;
}

export const API_KEY_HEADER = 'x-api-key';
export const MIN_API_KEY_LENGTH = 16;
export const DEFAULT_REQUIRED_ROLE = 'Signals.Send';
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;
export const DEFAULT_KEY_REFETCH_INTERVAL_SECONDS = 5;
export const DEFAULT_REALM = 'handle-with-care-intake';

export function defaultEntraIssuer(tenantId: string): string {
  return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

export function defaultEntraJwksUrl(tenantId: string): string {
  return `https://login.microsoftonline.com/${tenantId}/discovery/v2.0/keys`;
}

const SCHOOL_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const PRINTABLE_NO_SPACE = /^[\x21-\x7e]+$/;

/**
 * Parses INTAKE_API_KEYS (or another setting of the same syntax, named in errors): comma-separated
 * entries, each `key` (every school) or `key:school-a|school-b` (only those schools). Labels are
 * positional: 'key#1', 'key#2', ... Errors name the setting and the label, never the key.
 */
export function parseApiKeys(raw: string | undefined, setting = 'INTAKE_API_KEYS'): ApiKey[] {
  if (raw === undefined || raw.trim() === '') return [];
  const keys: ApiKey[] = [];
  raw.split(',').forEach((entry, index) => {
    const label = `key#${index + 1}`;
    const text = entry.trim();
    const fail = (problem: string): never => {
      throw new HwcError(
        'config.invalid',
        `${setting}: ${label} ${problem} (expected 'key' or 'key:school-a|school-b', comma-separated)`,
      );
    };
    if (text === '') fail('is empty');
    const colon = text.indexOf(':');
    const key = colon < 0 ? text : text.slice(0, colon);
    if (key.length < MIN_API_KEY_LENGTH) fail(`is shorter than ${MIN_API_KEY_LENGTH} characters`);
    if (!PRINTABLE_NO_SPACE.test(key)) fail('contains spaces or characters other than printable ASCII');
    let schools: string[] | 'all' = 'all';
    if (colon >= 0) {
      schools = text
        .slice(colon + 1)
        .split('|')
        .map((s) => s.trim());
      // The part after ':' could be a mistyped key, so it is not echoed either.
      if (schools.some((s) => s === '')) fail('has an empty school id in its list');
      if (schools.some((s) => !SCHOOL_ID.test(s)))
        fail('lists a school id that is not lowercase letters, digits and dashes');
    }
    const twin = keys.find((k) => k.key === key);
    if (twin) fail(`repeats the key of ${twin.label}`);
    keys.push({ label, key, schools });
  });
  return keys;
}

export type AuthResult =
  | { ok: true; sender: SenderIdentity; schools: readonly string[] | 'all' }
  | {
      ok: false;
      /** 'unauthenticated' → 401; 'unavailable' → 503 (the signing keys could not be fetched). */
      kind: 'unauthenticated' | 'unavailable';
      /** Safe to show to the sender: never contains the credential. */
      detail: string;
      /** A short code for the log, e.g. 'api-key.mismatch', 'token.expired'. */
      reason: string;
      /** Values for WWW-Authenticate (401 only). */
      challenges: string[];
    };

export interface IntakeAuthenticator {
  authenticate(headers: IncomingHttpHeaders): Promise<AuthResult>;
  /** The WWW-Authenticate challenges for a request that sent no credentials. */
  readonly challenges: string[];
}

interface StoredKey {
  label: string;
  digest: Buffer;
  schools: readonly string[] | 'all';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

const UNAVAILABLE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

function joseCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_') ? code : undefined;
}

/** Maps a jose error to a log reason and a detail that is safe to show. */
function describeJoseError(error: unknown): { reason: string; detail: string } {
  const code = joseCode(error);
  if (code === 'ERR_JWT_EXPIRED') return { reason: 'token.expired', detail: 'The bearer token has expired.' };
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = (error as { claim?: unknown }).claim;
    const known: Record<string, string> = {
      iss: 'The bearer token was not issued by the expected tenant (iss).',
      aud: 'The bearer token is not meant for this API (aud).',
      nbf: 'The bearer token is not valid yet (nbf).',
      exp: 'The bearer token has no expiry (exp).',
    };
    const name = typeof claim === 'string' ? claim : 'unknown';
    return {
      reason: `token.claim-${/^[a-z]{2,10}$/.test(name) ? name : 'unknown'}`,
      detail: known[name] ?? 'A claim of the bearer token is not valid.',
    };
  }
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    return { reason: 'token.signature', detail: 'The signature of the bearer token is not valid.' };
  if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS')
    return {
      reason: 'token.unknown-key',
      detail: "The bearer token is not signed with one of the tenant's keys.",
    };
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED' || code === 'ERR_JOSE_NOT_SUPPORTED')
    return { reason: 'token.algorithm', detail: 'The bearer token must be signed with RS256.' };
  return { reason: 'token.malformed', detail: 'The bearer token is not a valid JWT.' };
}

/**
 * The tenant's signing keys, fetched again at once when a token names a key id (kid) that is not
 * among them: the tenant publishes a new key, and a sender's token may be signed with it moments
 * later.
 *
 * jose's own refetch on an unknown kid waits until `cooldownDuration` (30 s) has passed since the
 * last successful fetch, so a token signed with a newly published key was refused for up to 30 s;
 * a shorter cooldown would still refuse it for that long right after any fetch. So jose's refetch
 * is switched off (an infinite cooldown; its regular refresh after `cacheMaxAge` stays) and done
 * here instead, limited to one per interval counted from the last refetch *attempt*: a flood of
 * tokens with made-up kids costs at most one fetch per interval, also while the tenant's endpoint
 * fails (jose's cooldown only starts on success). The first unknown kid refetches at once, even
 * right after the first fetch. Callers arriving while a fetch is in flight wait for that one.
 */
function tenantSigningKeys(url: URL, refetchIntervalMs: number): jose.JWTVerifyGetKey {
  const remote = jose.createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: Infinity });
  let lastRefetch = -Infinity;
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (joseCode(error) !== 'ERR_JWKS_NO_MATCHING_KEY') throw error;
      if (!remote.reloading) {
        // Monotonic, so a clock set back cannot hold refetches off (or let a flood through).
        const at = performance.now();
        if (at - lastRefetch < refetchIntervalMs) throw error;
        lastRefetch = at;
      }
      await remote.reload();
      return remote(header, token);
    }
  };
}

/**
 * Checks the credentials of an intake request: an API key in X-API-Key (compared in constant
 * time against every configured key) or a Microsoft Entra bearer token (client credentials,
 * verified against the tenant's signing keys, with the required app role).
 */
export function createIntakeAuthenticator(
  options: IntakeAuthOptions,
  now: () => Date = () => new Date(),
): IntakeAuthenticator {
  const labels = new Set<string>();
  const stored: StoredKey[] = options.apiKeys.map((k) => {
    if (!k.label || labels.has(k.label))
      throw new HwcError('config.invalid', 'intake API keys need unique, non-empty labels');
    labels.add(k.label);
    if (k.key.length < MIN_API_KEY_LENGTH)
      throw new HwcError(
        'config.invalid',
        `intake API key ${k.label} is shorter than ${MIN_API_KEY_LENGTH} characters`,
      );
    return { label: k.label, digest: sha256(k.key), schools: k.schools === 'all' ? 'all' : [...k.schools] };
  });

  const realm = options.realm ?? DEFAULT_REALM;
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(realm))
    throw new HwcError(
      'config.invalid',
      'an authentication realm is printable ASCII without quotes or spaces',
    );
  const entra = options.entra;
  let verifyToken: ((token: string) => Promise<AuthResult>) | undefined;
  if (entra) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(entra.tenantId))
      throw new HwcError('config.invalid', 'the Entra tenant id for intake must be a GUID');
    const audience = entra.audience;
    if (audience.length === 0 || (Array.isArray(audience) && audience.some((a) => !a)))
      throw new HwcError('config.invalid', 'the Entra audience for intake is empty');
    const tenantId = entra.tenantId.toLowerCase();
    const issuer = entra.issuer ?? defaultEntraIssuer(entra.tenantId);
    const requiredRole = entra.requiredRole ?? DEFAULT_REQUIRED_ROLE;
    const clockTolerance = entra.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    const refetchInterval = entra.keyRefetchIntervalSeconds ?? DEFAULT_KEY_REFETCH_INTERVAL_SECONDS;
    if (!Number.isFinite(refetchInterval) || refetchInterval < 0)
      throw new HwcError(
        'config.invalid',
        'the interval between refetches of the Entra signing keys must be zero or more seconds',
      );
    const jwks = tenantSigningKeys(
      new URL(entra.jwksUrl ?? defaultEntraJwksUrl(entra.tenantId)),
      refetchInterval * 1000,
    );
    const invalid = (reason: string, detail: string): AuthResult => ({
      ok: false,
      kind: 'unauthenticated',
      reason,
      detail,
      challenges: [`Bearer realm="${realm}", error="invalid_token"`],
    });

    verifyToken = async (token) => {
      let payload: JWTPayload;
      try {
        ({ payload } = await jose.jwtVerify(token, jwks, {
          issuer,
          audience,
          algorithms: ['RS256'],
          clockTolerance,
          currentDate: now(),
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        const code = joseCode(error);
        if (code === undefined || UNAVAILABLE_CODES.has(code)) {
          return {
            ok: false,
            kind: 'unavailable',
            reason: `jwks.${code ?? 'fetch-failed'}`,
            detail: "The tenant's signing keys could not be fetched; try again later.",
            challenges: [],
          };
        }
        const { reason, detail } = describeJoseError(error);
        return invalid(reason, detail);
      }
      if (typeof payload.tid !== 'string' || payload.tid.toLowerCase() !== tenantId)
        return invalid('token.tenant', 'The bearer token is from another tenant (tid).');
      if (payload.scp !== undefined)
        return invalid(
          'token.delegated',
          'Expected an application token (client credentials), not a user token.',
        );
      const roles = payload.roles;
      if (!Array.isArray(roles) || !roles.includes(requiredRole))
        return invalid('token.role', `The bearer token lacks the app role '${requiredRole}'.`);
      const clientId =
        typeof payload.azp === 'string'
          ? payload.azp
          : typeof payload.appid === 'string'
            ? payload.appid
            : '';
      if (!clientId)
        return invalid('token.client', 'The bearer token names no client application (azp/appid).');
      return { ok: true, sender: { kind: 'entra', id: clientId }, schools: 'all' };
    };
  }

  const challenges: string[] = [];
  if (entra) challenges.push(`Bearer realm="${realm}"`);
  if (stored.length > 0) challenges.push(`ApiKey realm="${realm}", header="X-API-Key"`);
  if (challenges.length === 0) challenges.push(`Bearer realm="${realm}"`);

  const unauthenticated = (reason: string, detail: string, challenge = challenges): AuthResult => ({
    ok: false,
    kind: 'unauthenticated',
    reason,
    detail,
    challenges: challenge,
  });

  function checkApiKey(presented: string): AuthResult {
    const digest = sha256(presented);
    let match = -1;
    // Every configured key is compared, whatever matched before: no early exit.
    for (let i = 0; i < stored.length; i++) {
      const equal = timingSafeEqual(digest, stored[i]!.digest);
      match = equal && match < 0 ? i : match;
    }
    const key = stored[match];
    if (!key)
      return unauthenticated('api-key.mismatch', 'The API key is not valid.', [
        `ApiKey realm="${realm}", header="X-API-Key"`,
      ]);
    return { ok: true, sender: { kind: 'api-key', id: key.label }, schools: key.schools };
  }

  return {
    challenges,
    async authenticate(headers) {
      const apiKey = headerValue(headers[API_KEY_HEADER]);
      const authorization = headerValue(headers.authorization);
      if (apiKey !== undefined && authorization !== undefined)
        return unauthenticated('both', 'Send either an X-API-Key or a bearer token, not both.');
      if (apiKey !== undefined) {
        if (stored.length === 0)
          return unauthenticated('api-key.disabled', 'API keys are not accepted here.');
        return checkApiKey(apiKey);
      }
      if (authorization !== undefined) {
        const match = /^Bearer[ \t]+([A-Za-z0-9._~+/-]+=*)[ \t]*$/i.exec(authorization);
        if (!match) return unauthenticated('authorization.scheme', 'Expected Authorization: Bearer <token>.');
        if (!verifyToken) return unauthenticated('token.disabled', 'Bearer tokens are not accepted here.');
        return verifyToken(match[1]!);
      }
      return unauthenticated('missing', 'Send an Entra bearer token or an X-API-Key.');
    },
  };
}
