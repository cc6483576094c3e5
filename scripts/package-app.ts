/**
 * Builds the Teams app package: `npm run package`.
 *
 * Reads manifest/manifest.json (a template), fills its placeholders from the environment (and a
 * `.env` file in the repo root, if present; real environment variables win), validates the result
 * and the localization files against the JSON schemas bundled in @microsoft/app-manifest (offline:
 * the schema is read from the package and handed to the validator, so it never fetches one), and
 * writes appPackage/build/handle-with-care.zip with manifest.json, the localization files and the
 * two icons at the zip root.
 *
 * Placeholders (syntax `${{NAME}}`, as in the Microsoft 365 Agents Toolkit):
 *   TEAMS_APP_ID               the Teams app id, a GUID (keep it stable across versions of the app)
 *   MicrosoftAppId             the bot's Microsoft App ID (Entra app registration or managed
 *                              identity's client id), a GUID
 *   BOT_DOMAIN                 the bot's public host name, without scheme or path, e.g. hwc.example.nl
 *   APP_DEVELOPER_NAME         who publishes the app (the school board), 1 to 32 characters
 *   APP_DEVELOPER_WEBSITE_URL  https URL; default https://<BOT_DOMAIN>/
 *   APP_PRIVACY_URL            https URL; default https://<BOT_DOMAIN>/privacy
 *   APP_TERMS_URL              https URL; default https://<BOT_DOMAIN>/terms
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { AppManifestUtils, type AppManifest } from '@microsoft/app-manifest';
import { zipSync } from 'fflate';

export type Env = Readonly<Record<string, string | undefined>>;

interface Setting {
  name: string;
  what: string;
  check: (value: string) => string | undefined;
  /** For an optional setting: its value when it is not set, from the (valid) BOT_DOMAIN. */
  fallback?: (botDomain: string) => string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** The Teams manifest schema's limits: developer.name maxLength 32, its URLs maxLength 2048. */
export const DEVELOPER_NAME_MAX = 32;
export const URL_MAX = 2048;

function checkGuid(value: string): string | undefined {
  if (!GUID.test(value)) return 'is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)';
  if (/^[0-]+$/.test(value)) return 'is the all-zero GUID';
  return undefined;
}

function checkHost(value: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'must be a host name without scheme (drop "https://")';
  if (/[/:?#@\s]/.test(value)) return 'must be a host name only, without port, path or spaces';
  const labels = value.split('.');
  if (value.length > 253 || labels.length < 2 || !labels.every((l) => HOST_LABEL.test(l))) {
    return 'is not a valid host name (e.g. hwc.example.nl)';
  }
  return undefined;
}

function checkName(value: string): string | undefined {
  // JSON Schema's maxLength counts characters (code points), not UTF-16 units.
  const length = [...value].length;
  if (length > DEVELOPER_NAME_MAX) {
    return `is ${length} characters long; Teams allows at most ${DEVELOPER_NAME_MAX}`;
  }
  if (/\p{Cc}/u.test(value)) return 'contains a line break or another control character';
  return undefined;
}

function checkHttpsUrl(value: string): string | undefined {
  if (!/^https:\/\//i.test(value)) return 'must be an https:// URL';
  if (value.length > URL_MAX) return `is longer than ${URL_MAX} characters`;
  if (/\s/.test(value)) return 'contains spaces';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  if (checkHost(url.hostname)) return 'does not name a valid host (e.g. https://www.schoolbestuur.nl/)';
  return undefined;
}

/** The settings the manifest template needs, in the order they are reported. */
export const SETTINGS: readonly Setting[] = [
  { name: 'TEAMS_APP_ID', what: 'the Teams app id, a GUID', check: checkGuid },
  { name: 'MicrosoftAppId', what: "the bot's Microsoft App ID, a GUID", check: checkGuid },
  { name: 'BOT_DOMAIN', what: "the bot's public host name, e.g. hwc.example.nl", check: checkHost },
  {
    name: 'APP_DEVELOPER_NAME',
    what: `the publisher's name as Teams shows it, e.g. the school board's (1 to ${DEVELOPER_NAME_MAX} characters)`,
    check: checkName,
  },
  {
    name: 'APP_DEVELOPER_WEBSITE_URL',
    what: "the publisher's website, an https:// URL (or leave it empty for https://<BOT_DOMAIN>/)",
    check: checkHttpsUrl,
    fallback: (domain) => `https://${domain}/`,
  },
  {
    name: 'APP_PRIVACY_URL',
    what: 'the privacy statement, an https:// URL (or leave it empty for https://<BOT_DOMAIN>/privacy)',
    check: checkHttpsUrl,
    fallback: (domain) => `https://${domain}/privacy`,
  },
  {
    name: 'APP_TERMS_URL',
    what: 'the terms of use, an https:// URL (or leave it empty for https://<BOT_DOMAIN>/terms)',
    check: checkHttpsUrl,
    fallback: (domain) => `https://${domain}/terms`,
  },
];

export class ManifestConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Cannot build the Teams app manifest:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ManifestConfigError';
  }
}

const PLACEHOLDER = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Fills the `${{NAME}}` placeholders of the manifest template (JSON text or parsed object) from
 * `env` and returns the manifest object. Pure. Throws a ManifestConfigError that names every
 * missing or invalid setting, and any placeholder in the template that has no setting.
 */
export function buildManifest(template: string | object, env: Env): AppManifest {
  const text = typeof template === 'string' ? template : JSON.stringify(template);
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (const s of SETTINGS) {
    const value = env[s.name]?.trim();
    if (!value) {
      if (!s.fallback) problems.push(`${s.name} is missing: set it to ${s.what}`);
      continue;
    }
    const why = s.check(value);
    if (why) problems.push(`${s.name} ${why}: set it to ${s.what}`);
    else values.set(s.name, s.name === 'BOT_DOMAIN' ? value.toLowerCase() : value);
  }
  // The defaults of the optional URLs come from BOT_DOMAIN (reported above when it is wrong).
  const domain = values.get('BOT_DOMAIN');
  for (const s of SETTINGS) {
    if (s.fallback && domain !== undefined && !env[s.name]?.trim()) values.set(s.name, s.fallback(domain));
  }
  const unknown = [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1] as string))].filter(
    (name) => !SETTINGS.some((s) => s.name === name),
  );
  for (const name of unknown) problems.push(`the template uses \${{${name}}}, which no setting fills`);
  if (problems.length > 0) throw new ManifestConfigError(problems);

  // Placeholders sit inside JSON strings: each value is escaped as the inside of one (a name may
  // hold a quote or a backslash).
  const filled = text.replace(PLACEHOLDER, (_m, name: string) =>
    JSON.stringify(values.get(name) as string).slice(1, -1),
  );
  return JSON.parse(filled) as AppManifest;
}

/** Reads KEY=value pairs from a .env file (if it exists) under the real environment. */
export function readEnv(envFile: string, processEnv: Env = process.env): Env {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...processEnv };
}

const SCHEMA_URL =
  /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?json-schemas\/(teams\/.+)$/i;

/**
 * Loads a Teams JSON schema from the copy bundled in @microsoft/app-manifest. Never fetches:
 * a schema that is not in the package is an error.
 */
export function loadBundledSchema(schemaUrl: string): object {
  const m = SCHEMA_URL.exec(schemaUrl);
  if (!m) throw new Error(`Not a Teams schema URL: ${schemaUrl}`);
  const root = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));
  const file = path.join(root, 'build', 'json-schemas', ...(m[1] as string).split('/'));
  if (!existsSync(file)) {
    throw new Error(`@microsoft/app-manifest has no bundled copy of ${schemaUrl} (looked for ${file})`);
  }
  // The clean-up the package applies to the schemas it loads (regex escapes ajv cannot parse), plus
  // one it lacks: the Localization schema has patterns `...\b]\.description$` whose lone `]` is a
  // syntax error under ajv's unicode regexes; `\]` is the literal bracket it means.
  const raw = readFileSync(file, 'utf8')
    .replace(/\\a/g, '\\u0007')
    .replace(/\\v/g, '\\u000b')
    .replace(/\\\\b\]/g, '\\\\b\\\\]');
  return JSON.parse(raw) as object;
}

export function manifestSchemaUrl(manifestVersion: string): string {
  return `https://developer.microsoft.com/json-schemas/teams/v${manifestVersion}/MicrosoftTeams.schema.json`;
}

export function localizationSchemaUrl(manifestVersion: string): string {
  return `https://developer.microsoft.com/json-schemas/teams/v${manifestVersion}/MicrosoftTeams.Localization.schema.json`;
}

/** Validates a JSON document against a bundled Teams schema; returns the errors (empty when valid). */
export async function validateOffline(document: unknown, schemaUrl: string): Promise<string[]> {
  const schema = loadBundledSchema(schemaUrl);
  // Passing the schema explicitly means validateAgainstSchema never calls fetchSchema.
  return AppManifestUtils.validateAgainstSchema(
    document as AppManifest,
    schema as Parameters<typeof AppManifestUtils.validateAgainstSchema>[1],
  );
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  const signature = '89504e470d0a1a0a';
  if (
    png.length < 24 ||
    png.subarray(0, 8).toString('hex') !== signature ||
    png.toString('ascii', 12, 16) !== 'IHDR'
  ) {
    throw new Error('not a PNG file');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

export interface ManifestShape {
  manifestVersion: string;
  icons: { color: string; outline: string };
  localizationInfo?: {
    defaultLanguageFile?: string;
    additionalLanguages?: { languageTag: string; file: string }[];
  };
}

/** The files a manifest refers to, relative to the manifest: localization files and icons. */
export function referencedFiles(manifest: ManifestShape): { localization: string[]; icons: string[] } {
  const info = manifest.localizationInfo;
  const localization = [
    ...(info?.defaultLanguageFile ? [info.defaultLanguageFile] : []),
    ...(info?.additionalLanguages ?? []).map((l) => l.file),
  ];
  return { localization, icons: [manifest.icons.color, manifest.icons.outline] };
}

export interface PackageOptions {
  env: Env;
  manifestDir: string;
  outFile: string;
}

/** Builds, validates and zips the app package. Returns the list of files in the zip. */
export async function packageApp({ env, manifestDir, outFile }: PackageOptions): Promise<string[]> {
  const template = readFileSync(path.join(manifestDir, 'manifest.json'), 'utf8');
  const manifest = buildManifest(template, env);
  const shape = manifest as unknown as ManifestShape;
  const errors = (await validateOffline(manifest, manifestSchemaUrl(shape.manifestVersion))).map(
    (e) => `manifest.json: ${e}`,
  );

  const files: Record<string, Uint8Array> = {
    'manifest.json': Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`),
  };
  const { localization, icons } = referencedFiles(shape);
  for (const file of localization) {
    const content = readFileSync(path.join(manifestDir, file));
    const localizationErrors = await validateOffline(
      JSON.parse(content.toString('utf8')),
      localizationSchemaUrl(shape.manifestVersion),
    );
    errors.push(...localizationErrors.map((e) => `${file}: ${e}`));
    files[file] = content;
  }
  const expectedSize = [192, 32];
  icons.forEach((file, i) => {
    const content = readFileSync(path.join(manifestDir, file));
    const { width, height } = pngSize(content);
    if (width !== expectedSize[i] || height !== expectedSize[i]) {
      errors.push(`${file}: is ${width}x${height}, must be ${expectedSize[i]}x${expectedSize[i]}`);
    }
    files[file] = content;
  });
  if (errors.length > 0) throw new Error(`The Teams app package is not valid:\n  ${errors.join('\n  ')}`);

  // A fixed timestamp keeps the zip byte-for-byte reproducible.
  const zip = zipSync(files, { level: 9, mtime: new Date('2020-01-01T00:00:00Z') });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, zip);
  return Object.keys(files);
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const outFile = path.join(root, 'appPackage', 'build', 'handle-with-care.zip');
  packageApp({
    env: readEnv(path.join(root, '.env')),
    manifestDir: path.join(root, 'manifest'),
    outFile,
  }).then(
    (files) => console.log(`Wrote ${path.relative(root, outFile)} (${files.join(', ')})`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
