import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HwcError, configError } from '../domain/errors';
import { schoolsFileSchema, type School } from '../domain/school';
import type { GraphSettings } from '../graph/create-graph';
import { GRAPH_BASE_URL } from '../graph/graph-client';
import { MAX_TRUSTED_PROXY_HOPS } from '../http/client-address';
import { HTTP_SERVER_DEFAULTS } from '../http/http-server';
import { parseApiKeys, type ApiKey, type EntraAuthOptions } from '../intake/intake-auth';
import { parseEncryptionKeys, type CaseKeyring } from '../store/case-cipher';

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const guid = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a GUID');

const optionalGuid = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(guid.optional());

const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url({ message: 'expected an absolute URL' }).optional());

/** Validates a setting with the syntax of INTAKE_API_KEYS; the message names the entry, never the key. */
function apiKeysSetting(setting: string) {
  return optionalText.superRefine((value, ctx) => {
    try {
      parseApiKeys(value, setting);
    } catch (error) {
      const message = error instanceof HwcError ? error.message : 'is not valid';
      ctx.addIssue({ code: 'custom', message: message.replace(`${setting}: `, '') });
    }
  });
}

/** A whole number from `min` to `max`, written as digits only; empty or unset is `fallback`. */
function wholeNumber(min: number, max: number, fallback: number) {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? String(fallback) : v))
    .pipe(
      z
        .string()
        .regex(/^\d+$/, expected)
        .transform(Number)
        .pipe(z.number().int().min(min, expected).max(max, expected)),
    );
}

/** The value of an app role in Entra ID: printable ASCII without spaces. */
const appRole = z
  .string()
  .trim()
  .min(1)
  .regex(/^[\x21-\x7e]+$/, 'expected an app role value (printable ASCII, no spaces)');

const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3978),
  /** Default: 0.0.0.0 with a MicrosoftAppId; 127.0.0.1 in local mode, which is for this machine only. */
  HOST: optionalText,
  BOT_LANGUAGE: z.enum(['auto', 'nl', 'en']).default('auto'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MicrosoftAppId: optionalGuid,
  MicrosoftAppPassword: optionalText,
  MicrosoftAppType: z.enum(['SingleTenant', 'MultiTenant', 'UserAssignedMSI']).default('SingleTenant'),
  MicrosoftAppTenantId: optionalGuid,
  ToBotFromChannelOpenIdMetadataUrl: optionalUrl,
  ToBotFromChannelTokenIssuer: optionalText,
  /** The two overrides above are a national cloud's; without it production refuses them. */
  BOT_SOVEREIGN_CLOUD: optionalText
    .pipe(z.enum(['true', 'false'], { message: 'expected true or false' }).optional())
    .transform((v) => v === 'true'),
  TEAMS_SERVICE_URL: z
    .url({ message: 'expected an absolute URL' })
    .default('https://smba.trafficmanager.net/teams/'),
  INTAKE_API_KEYS: optionalText,
  INTAKE_ENTRA_AUDIENCE: optionalText,
  INTAKE_ENTRA_TENANT_ID: optionalGuid,
  INTAKE_ENTRA_ISSUER: optionalText,
  INTAKE_ENTRA_JWKS_URL: optionalUrl,
  INTAKE_ENTRA_ROLE: z.string().trim().min(1).default('Signals.Send'),
  /** Keys for GET /api/stats, same syntax as INTAKE_API_KEYS; never the same keys. */
  STATS_API_KEYS: apiKeysSetting('STATS_API_KEYS'),
  /** The app role an Entra token needs for GET /api/stats (with the INTAKE_ENTRA_* settings). */
  STATS_ENTRA_ROLE: appRole.default('Stats.Read'),
  /** Where the anonymous monthly counts are kept between restarts; in memory only when empty. */
  STATS_FILE: optionalText,
  SCHOOLS_FILE: z
    .string({ message: 'is required: the path of the schools file (JSON or YAML)' })
    .trim()
    .min(1, 'is required: the path of the schools file (JSON or YAML)'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** How often the schools' Handle with Care mailboxes are read (docs/mail-intake.md). */
  MAIL_POLL_INTERVAL_MS: wholeNumber(5_000, 3_600_000, 30_000),
  /** The HTTP server's limits on slow and many clients (src/http/http-server.ts); see .env.sample. */
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(100, 120_000, HTTP_SERVER_DEFAULTS.headersTimeoutMs),
  HTTP_REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000, HTTP_SERVER_DEFAULTS.requestTimeoutMs),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(1000, 600_000, HTTP_SERVER_DEFAULTS.keepAliveTimeoutMs),
  HTTP_MAX_CONNECTIONS: wholeNumber(1, 100_000, HTTP_SERVER_DEFAULTS.maxConnections),
  /** Proxies in front whose X-Forwarded-For is trusted for the client's address (App Service: 1). */
  TRUST_PROXY_HOPS: wholeNumber(0, MAX_TRUSTED_PROXY_HOPS, HTTP_SERVER_DEFAULTS.trustProxyHops),
  /** Microsoft Graph (school directory, installing the app for colleagues); see .env.sample. */
  GRAPH_BASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' || v === undefined ? GRAPH_BASE_URL : v))
    .pipe(z.url({ message: 'expected an absolute URL' })),
  GRAPH_CLIENT_ID: optionalGuid,
  GRAPH_CLIENT_SECRET: optionalText,
  GRAPH_TENANT_ID: optionalGuid,
  /** The app's id in the Teams app catalog; or TEAMS_APP_ID (the manifest id) to look it up. */
  TEAMS_APP_CATALOG_ID: optionalGuid,
  /** The id in the Teams app manifest; the same setting scripts/package-app.ts builds the package with. */
  TEAMS_APP_ID: optionalGuid,
  /**
   * Azure Monitor (Application Insights); unset: no telemetry. Only its shape is checked, and the
   * message never echoes the value (it holds the instrumentation key).
   */
  APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText.pipe(
    z
      .string()
      .regex(
        /(^|;)\s*(InstrumentationKey|IngestionEndpoint)=[^;]+/i,
        'expected an Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)',
      )
      .optional(),
  ),
  /** Redis for open cases and everything instances share; see docs/operations.md. */
  REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(
      z
        .url({ message: 'expected redis://… or rediss://…' })
        .refine((v) => /^rediss?:\/\//.test(v), 'expected redis://… or rediss://…')
        .optional(),
    ),
  /** Sign in to Azure Managed Redis with Microsoft Entra as this user-assigned managed identity. */
  REDIS_ENTRA_CLIENT_ID: optionalGuid,
  /**
   * Put before every key name, so several deployments can share one Redis. A hash tag, so that every
   * key of the bot is in one slot of a clustered Redis, where a Lua script may touch one slot only.
   */
  REDIS_KEY_PREFIX: optionalText
    .transform((v) => v ?? '{hwc}:')
    .pipe(
      z
        .string()
        .regex(
          /^\{[a-z0-9-]{1,32}\}:$/,
          'expected a hash tag of 1–32 lowercase letters, digits or dashes in braces, then a colon: {hwc}:',
        ),
    ),
  /** `kid:base64` entries, the first encrypts; required with REDIS_URL. */
  CASE_ENCRYPTION_KEYS: optionalText,
  /** The HMAC key of Idempotency-Key fingerprints, shared by the instances; required with REDIS_URL. */
  INTAKE_IDEMPOTENCY_SECRET: optionalText,
  /** redis (default with REDIS_URL) | memory: open cases are lost on a restart. */
  CASE_STORE: optionalText.pipe(z.enum(['redis', 'memory']).optional()),
});

export type EnvOptions = z.infer<typeof envSchema> & { HOST: string };

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export interface AppConfig {
  env: EnvOptions;
  /** No MicrosoftAppId: Bot Framework authentication is off (Agents Playground, tests). */
  localMode: boolean;
  schools: School[];
  schoolsFile: string;
  /** Entra bearer tokens for sender systems; issuer and key-set URL default in src/intake/. */
  entraIntake?: EntraAuthOptions;
  /** Microsoft Graph; undefined without any app id (local mode), so nothing is read or installed. */
  graph?: GraphSettings;
  /** GET /api/stats and the file the anonymous counts are kept in. */
  stats: StatsSettings;
  /** Redis, when REDIS_URL is set and CASE_STORE is not `memory`; else everything is in memory. */
  redis?: RedisSettings;
}

/** Where open cases and the shared state of the instances live, and how they are protected. */
export interface RedisSettings {
  url: string;
  entraClientId?: string;
  prefix: string;
  keyring: CaseKeyring;
  /** INTAKE_IDEMPOTENCY_SECRET, decoded. */
  idempotencySecret: Buffer;
}

/** The credentials that may read GET /api/stats, and where the counts are kept. */
export interface StatsSettings {
  /** From STATS_API_KEYS; none of them is an intake key. */
  apiKeys: ApiKey[];
  /** Entra tokens with the STATS_ENTRA_ROLE app role; on when intake tokens are (INTAKE_ENTRA_AUDIENCE). */
  entra?: EntraAuthOptions;
  /** STATS_FILE, resolved against the working directory; undefined: in memory only. */
  file?: string;
}

function issuesOf(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join('.');
    return `${prefix}${where || '(root)'}: ${issue.message}`;
  });
}

const SCHOOL_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Like issuesOf, and an issue inside a school also names that school's id: with twenty schools an
 * index alone is hard to find. Only an id that is valid is added, so a wrong value is never echoed.
 */
function schoolsFileIssues(error: z.ZodError, data: unknown, prefix: string): string[] {
  const schools = (data as { schools?: unknown } | null)?.schools;
  return error.issues.map((issue) => {
    const where = issue.path.map(String).join('.') || '(root)';
    const [first, index] = issue.path;
    const id =
      first === 'schools' && typeof index === 'number' && Array.isArray(schools)
        ? (schools[index] as { id?: unknown } | undefined)?.id
        : undefined;
    // At the end, so each line still starts with the path, like every other configuration problem.
    const named = typeof id === 'string' && SCHOOL_ID.test(id) && !issue.message.includes(`school ${id}`);
    const school = named ? ` (school ${id})` : '';
    return `${prefix}${where}: ${issue.message}${school}`;
  });
}

/**
 * Microsoft Graph settings: an app registration of its own (GRAPH_CLIENT_ID with GRAPH_CLIENT_SECRET),
 * or by default the bot's own identity (MicrosoftAppId with MicrosoftAppPassword, or its managed
 * identity for MicrosoftAppType=UserAssignedMSI). Undefined when there is no app id at all.
 * Problems are added to `problems`, by setting name.
 */
export function graphSettingsFrom(
  options: z.infer<typeof envSchema>,
  problems: string[] = [],
): GraphSettings | undefined {
  const teamsApp = options.TEAMS_APP_CATALOG_ID
    ? { catalogAppId: options.TEAMS_APP_CATALOG_ID }
    : options.TEAMS_APP_ID
      ? { manifestAppId: options.TEAMS_APP_ID }
      : undefined;
  const base = { baseUrl: options.GRAPH_BASE_URL.replace(/\/+$/, ''), ...(teamsApp ? { teamsApp } : {}) };
  const msi = options.MicrosoftAppType === 'UserAssignedMSI';
  const clientId = options.GRAPH_CLIENT_ID ?? options.MicrosoftAppId;
  if (!clientId) {
    if (options.GRAPH_CLIENT_SECRET)
      problems.push('GRAPH_CLIENT_ID: is required with GRAPH_CLIENT_SECRET (or set MicrosoftAppId)');
    return undefined;
  }
  // The bot's secret goes with the bot's app id only.
  const secret =
    options.GRAPH_CLIENT_SECRET ??
    (clientId === options.MicrosoftAppId ? options.MicrosoftAppPassword : undefined);
  if (!secret) {
    if (msi) return { ...base, credential: { kind: 'managed-identity', clientId } };
    // For the bot's own app id a missing MicrosoftAppPassword is reported already.
    if (clientId !== options.MicrosoftAppId) {
      problems.push(
        'GRAPH_CLIENT_SECRET: is required with GRAPH_CLIENT_ID (a managed identity for Graph needs MicrosoftAppType=UserAssignedMSI)',
      );
    }
    return undefined;
  }
  const tenantId = options.GRAPH_TENANT_ID ?? options.MicrosoftAppTenantId;
  if (!tenantId) {
    problems.push(
      'GRAPH_TENANT_ID: is required for Microsoft Graph with a client secret (or set MicrosoftAppTenantId)',
    );
    return undefined;
  }
  return { ...base, credential: { kind: 'client-secret', tenantId, clientId, clientSecret: secret } };
}

/** A stats credential must not send signals, nor a sender's credential read the statistics. */
function statsProblems(options: z.infer<typeof envSchema>, problems: string[]): void {
  if (options.STATS_ENTRA_ROLE === options.INTAKE_ENTRA_ROLE) {
    problems.push(
      `STATS_ENTRA_ROLE: must differ from INTAKE_ENTRA_ROLE (${options.INTAKE_ENTRA_ROLE}): a sender system must not read the statistics`,
    );
  }
  let intakeKeys: ApiKey[];
  try {
    intakeKeys = parseApiKeys(options.INTAKE_API_KEYS);
  } catch {
    return; // reported when the intake starts
  }
  for (const statsKey of parseApiKeys(options.STATS_API_KEYS, 'STATS_API_KEYS')) {
    const twin = intakeKeys.find((k) => k.key === statsKey.key);
    if (twin) {
      problems.push(
        `STATS_API_KEYS: ${statsKey.label} is also ${twin.label} of INTAKE_API_KEYS; give reading the statistics a key of its own`,
      );
    }
  }
}

/** Whether the settings ask for Redis: REDIS_URL set, and CASE_STORE not `memory`. */
function wantsRedis(
  options: z.infer<typeof envSchema>,
): options is z.infer<typeof envSchema> & { REDIS_URL: string } {
  return options.REDIS_URL !== undefined && options.CASE_STORE !== 'memory';
}

/** The shared secret for Idempotency-Key fingerprints: base64 of at least 32 bytes. */
function idempotencySecretOf(value: string | undefined): Buffer | undefined {
  if (!value || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  const secret = Buffer.from(value, 'base64');
  return secret.length >= 32 ? secret : undefined;
}

/**
 * Redis needs its keys; production needs Redis, unless CASE_STORE=memory says plainly that a
 * restart may lose open signals. Messages name the setting, never a key.
 */
function redisProblems(options: z.infer<typeof envSchema>, problems: string[]): void {
  if (options.CASE_STORE === 'redis' && !options.REDIS_URL) {
    problems.push('REDIS_URL: is required with CASE_STORE=redis');
  }
  if (options.NODE_ENV === 'production' && !options.REDIS_URL && options.CASE_STORE !== 'memory') {
    problems.push(
      'REDIS_URL: is required when NODE_ENV=production, so that open signals survive a restart and several instances can run. To run on one machine without it, set CASE_STORE=memory (a restart then loses every open signal)',
    );
  }
  if (options.REDIS_ENTRA_CLIENT_ID && !options.REDIS_URL) {
    problems.push('REDIS_ENTRA_CLIENT_ID: is set, but REDIS_URL is not');
  }
  if (!wantsRedis(options)) return;
  try {
    parseEncryptionKeys(options.CASE_ENCRYPTION_KEYS);
  } catch (error) {
    problems.push(error instanceof HwcError ? error.message : 'CASE_ENCRYPTION_KEYS: is not valid');
  }
  if (!idempotencySecretOf(options.INTAKE_IDEMPOTENCY_SECRET)) {
    problems.push(
      'INTAKE_IDEMPOTENCY_SECRET: is required with REDIS_URL: the same random secret on every instance, base64 of at least 32 bytes (openssl rand -base64 32)',
    );
  }
}

/** Reads the settings once, from the environment; every problem is reported at once, by name. */
/**
 * App Service hands a Key Vault reference it could not resolve (a missing secret, no access for
 * the identity) to the app as its own text. As an API key that text would be a key anyone can
 * guess, so any setting of ours holding one stops the start, naming the setting and not the value.
 */
function unresolvedKeyVaultReferences(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(envSchema.shape)
    .filter((name) => env[name]?.trim().startsWith('@Microsoft.KeyVault('))
    .map(
      (name) =>
        `${name}: is a Key Vault reference App Service could not resolve; check that the secret exists and that the app's identity may read it (Key Vault Secrets User), then restart`,
    );
}

export function readEnvOptions(env: NodeJS.ProcessEnv = process.env): EnvOptions {
  const unresolved = unresolvedKeyVaultReferences(env);
  if (unresolved.length > 0) throw configError(unresolved);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw configError(issuesOf(parsed.error));
  const options = parsed.data;
  const problems: string[] = [];
  if (options.NODE_ENV === 'production' && !options.MicrosoftAppId) {
    problems.push(
      'MicrosoftAppId: is required when NODE_ENV=production; without it the bot accepts unauthenticated requests (local mode is for development only)',
    );
  }
  if (options.MicrosoftAppId) {
    if (options.MicrosoftAppType !== 'UserAssignedMSI' && !options.MicrosoftAppPassword) {
      problems.push(`MicrosoftAppPassword: is required for MicrosoftAppType=${options.MicrosoftAppType}`);
    }
    // Also for MultiTenant: the bot only ever acts in the school's own tenant.
    if (!options.MicrosoftAppTenantId) {
      problems.push(
        'MicrosoftAppTenantId: is required with a MicrosoftAppId: the bot acts in the school’s tenant only',
      );
    }
  }
  if (options.INTAKE_ENTRA_AUDIENCE && !(options.INTAKE_ENTRA_TENANT_ID ?? options.MicrosoftAppTenantId)) {
    problems.push(
      'INTAKE_ENTRA_TENANT_ID: is required with INTAKE_ENTRA_AUDIENCE (or set MicrosoftAppTenantId)',
    );
  }
  graphSettingsFrom(options, problems);
  statsProblems(options, problems);
  redisProblems(options, problems);
  if (options.HTTP_HEADERS_TIMEOUT_MS > options.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      `HTTP_HEADERS_TIMEOUT_MS: must not be longer than HTTP_REQUEST_TIMEOUT_MS (${options.HTTP_REQUEST_TIMEOUT_MS}), which includes the headers`,
    );
  }
  if (!options.MicrosoftAppId && options.HOST && !isLoopback(options.HOST)) {
    problems.push(
      `HOST: local mode (no MicrosoftAppId) accepts unauthenticated requests, so it listens on this machine only (127.0.0.1, ::1 or localhost), not on ${options.HOST}`,
    );
  }
  // Whose tokens the bot believes: a test issuer left behind must not reach production.
  if (options.NODE_ENV === 'production' && !options.BOT_SOVEREIGN_CLOUD) {
    for (const setting of ['ToBotFromChannelOpenIdMetadataUrl', 'ToBotFromChannelTokenIssuer'] as const) {
      if (options[setting]) {
        problems.push(
          `${setting}: is for a sovereign (national) cloud only when NODE_ENV=production; leave it empty for the public cloud, or set BOT_SOVEREIGN_CLOUD=true`,
        );
      }
    }
  }
  if (problems.length > 0) throw configError(problems);
  return { ...options, HOST: options.HOST ?? (options.MicrosoftAppId ? '0.0.0.0' : '127.0.0.1') };
}

/** Reads and validates the schools file (YAML, of which JSON is a subset). */
export function loadSchoolsFile(file: string, baseDir = process.cwd()): { path: string; schools: School[] } {
  const resolved = path.resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw configError([`SCHOOLS_FILE: cannot read ${resolved} (${code})`]);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const where = (error as { linePos?: [{ line: number; col: number }] }).linePos?.[0];
    throw configError([
      `SCHOOLS_FILE: ${resolved} is not valid YAML or JSON${where ? ` (line ${where.line}, column ${where.col})` : ''}`,
    ]);
  }
  const parsed = schoolsFileSchema.safeParse(data);
  if (!parsed.success)
    throw configError(schoolsFileIssues(parsed.error, data, `SCHOOLS_FILE (${resolved}): `));
  return { path: resolved, schools: parsed.data.schools };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const options = readEnvOptions(env);
  const { path: schoolsFile, schools } = loadSchoolsFile(options.SCHOOLS_FILE);
  const graph = graphSettingsFrom(options);
  const graphSchools = schools.filter((s) => s.directory?.type === 'graph-education').map((s) => s.id);
  if (graphSchools.length > 0 && !graph) {
    throw configError([
      `GRAPH_CLIENT_ID: school ${graphSchools.join(', ')} reads its directory from Microsoft Graph (directory type graph-education), which needs a Graph credential: set MicrosoftAppId (the bot's own app), or GRAPH_CLIENT_ID with GRAPH_CLIENT_SECRET`,
    ]);
  }
  const mailSchools = schools.filter((s) => s.mail !== undefined).map((s) => s.id);
  if (mailSchools.length > 0 && !graph && options.NODE_ENV === 'production') {
    throw configError([
      `GRAPH_CLIENT_ID: school ${mailSchools.join(', ')} receives signals by mail, which the bot reads through Microsoft Graph: set MicrosoftAppId (the bot's own app), or GRAPH_CLIENT_ID with GRAPH_CLIENT_SECRET`,
    ]);
  }
  const tenantId = options.INTAKE_ENTRA_TENANT_ID ?? options.MicrosoftAppTenantId;
  const entraIntake: EntraAuthOptions | undefined =
    options.INTAKE_ENTRA_AUDIENCE && tenantId
      ? {
          tenantId,
          audience: options.INTAKE_ENTRA_AUDIENCE,
          requiredRole: options.INTAKE_ENTRA_ROLE,
          ...(options.INTAKE_ENTRA_ISSUER ? { issuer: options.INTAKE_ENTRA_ISSUER } : {}),
          ...(options.INTAKE_ENTRA_JWKS_URL ? { jwksUrl: options.INTAKE_ENTRA_JWKS_URL } : {}),
        }
      : undefined;
  const stats: StatsSettings = {
    apiKeys: parseApiKeys(options.STATS_API_KEYS, 'STATS_API_KEYS'),
    ...(entraIntake ? { entra: { ...entraIntake, requiredRole: options.STATS_ENTRA_ROLE } } : {}),
    ...(options.STATS_FILE ? { file: path.resolve(process.cwd(), options.STATS_FILE) } : {}),
  };
  const secret = idempotencySecretOf(options.INTAKE_IDEMPOTENCY_SECRET);
  const redis: RedisSettings | undefined =
    wantsRedis(options) && secret
      ? {
          url: options.REDIS_URL,
          ...(options.REDIS_ENTRA_CLIENT_ID ? { entraClientId: options.REDIS_ENTRA_CLIENT_ID } : {}),
          prefix: options.REDIS_KEY_PREFIX,
          keyring: parseEncryptionKeys(options.CASE_ENCRYPTION_KEYS),
          idempotencySecret: secret,
        }
      : undefined;
  return {
    env: options,
    localMode: !options.MicrosoftAppId,
    ...(redis ? { redis } : {}),
    schools,
    schoolsFile,
    ...(entraIntake ? { entraIntake } : {}),
    ...(graph ? { graph } : {}),
    stats,
  };
}
