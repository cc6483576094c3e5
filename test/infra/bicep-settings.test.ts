import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config/app-config';
import { HwcError } from '../../src/domain/errors';

// No Bicep compiler is available on CI, so these tests read the template's text. main.bicep keeps
// every app setting in one object, `var appSettings = { ... }`, one `NAME: value` per line.

const infraDir = 'infra';
const mainBicep = readFileSync(path.join(infraDir, 'main.bicep'), 'utf8');
const modulesDir = path.join(infraDir, 'modules');
const moduleFiles = readdirSync(modulesDir).filter((f) => f.endsWith('.bicep'));
const allBicep = [mainBicep, ...moduleFiles.map((f) => readFileSync(path.join(modulesDir, f), 'utf8'))].join(
  '\n',
);

/** App Service's own settings, which the bot never reads, so .env.sample does not list them. */
const PLATFORM_SETTINGS: Record<string, string> = {
  WEBSITE_RUN_FROM_PACKAGE: 'App Service runs the deployed zip (npm run bundle) as a read-only package',
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'the zip is built already; App Service must not run npm install on it',
};

/** The settings whose values are secrets: each must be a Key Vault reference, never a value. */
const SECRET_SETTINGS = [
  'CASE_ENCRYPTION_KEYS',
  'INTAKE_IDEMPOTENCY_SECRET',
  'INTAKE_API_KEYS',
  'STATS_API_KEYS',
];

/** What the loader must refuse to start without (src/config/app-config.ts, NODE_ENV=production). */
const REQUIRED_IN_PRODUCTION = [
  'MicrosoftAppId',
  'MicrosoftAppTenantId',
  'REDIS_URL',
  'CASE_ENCRYPTION_KEYS',
  'INTAKE_IDEMPOTENCY_SECRET',
  'SCHOOLS_FILE',
];

/** The template's app settings: name to the Bicep expression of its value. */
function templateSettings(): Map<string, string> {
  const start = mainBicep.indexOf('\nvar appSettings = {\n');
  assert.ok(start >= 0, 'main.bicep declares `var appSettings = {` on a line of its own');
  const end = mainBicep.indexOf('\n}\n', start);
  assert.ok(end > start, 'main.bicep closes `var appSettings` with `}` on a line of its own');
  const settings = new Map<string, string>();
  for (const line of mainBicep.slice(start + '\nvar appSettings = {\n'.length, end).split('\n')) {
    const text = line.trim();
    if (text === '' || text.startsWith('//')) continue;
    const [, name, value] = /^([A-Za-z_][A-Za-z0-9_]*): (.+)$/.exec(text) ?? [];
    assert.ok(name && value, `app setting line is NAME: value on one line: ${text}`);
    assert.ok(!settings.has(name), `${name} is set once`);
    settings.set(name, value);
  }
  return settings;
}

/** A plain quoted Bicep string ('production'), or undefined for an expression. */
function literalOf(expression: string): string | undefined {
  const match = /^'([^'$]*)'$/.exec(expression);
  return match ? match[1] : undefined;
}

const guid = (): string => randomUUID();
const base64Key = (): string => randomBytes(32).toString('base64');

/**
 * Valid production values for the settings whose template value is an expression (a module
 * output, a Key Vault reference, a parameter). A setting added to the template with an expression
 * needs an entry here, so the test cannot silently skip it.
 */
function placeholders(): Record<string, string> {
  return {
    MicrosoftAppId: guid(),
    MicrosoftAppTenantId: guid(),
    SCHOOLS_FILE: 'config/demo-schools.yaml',
    REDIS_URL: 'rediss://redis-hwc-bestuur-voorbeeld.westeurope.redis.azure.net:10000',
    REDIS_ENTRA_CLIENT_ID: guid(),
    CASE_ENCRYPTION_KEYS: `k2026a:${base64Key()}`,
    INTAKE_IDEMPOTENCY_SECRET: base64Key(),
    INTAKE_API_KEYS: `intake-${randomBytes(16).toString('hex')}`,
    STATS_API_KEYS: `stats-${randomBytes(16).toString('hex')}`,
    INTAKE_ENTRA_AUDIENCE: '5d3c1b2a-4e6f-4a8b-9c0d-1e2f3a4b5c6d',
    INTAKE_ENTRA_TENANT_ID: guid(),
    BOT_DOMAIN: 'app-hwc-bestuur-voorbeeld-abc123.azurewebsites.net',
    TEAMS_APP_ID: guid(),
    APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${guid()};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`,
  };
}

/** The environment the App Service would give the bot: the template's settings, filled in. */
function productionEnv(settings: Map<string, string>): NodeJS.ProcessEnv {
  const values = placeholders();
  const env: NodeJS.ProcessEnv = {};
  for (const [name, expression] of settings) {
    const value = literalOf(expression) ?? values[name];
    assert.ok(
      value !== undefined,
      `test/infra: give ${name} a placeholder value (its template value is ${expression})`,
    );
    env[name] = value;
  }
  return env;
}

/** The loader's refusal, or undefined when it accepts the settings. */
function refusalOf(env: NodeJS.ProcessEnv): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    if (error instanceof HwcError) return error.message;
    throw error;
  }
}

/**
 * Runs that look like a random key in base64 (32 bytes are 43 characters and a '='): long, with
 * digits and both cases. Resource type paths are long too, but are words between slashes.
 */
function base64KeysIn(text: string): string[] {
  return (text.match(/[A-Za-z0-9+/]{43,}={0,2}/g) ?? []).filter(
    (run) => /\d/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run) && run.split('/').length < 4,
  );
}

function paramsOf(text: string): Map<string, boolean> {
  const params = new Map<string, boolean>();
  for (const [, name = '', initial] of text.matchAll(/^param (\w+) \w+( = .+)?$/gm))
    params.set(name, initial !== undefined);
  return params;
}

describe('infrastructure template (infra/main.bicep)', () => {
  const settings = templateSettings();

  it('sets only app settings that .env.sample documents, besides App Service platform settings', () => {
    const sample = readFileSync('.env.sample', 'utf8');
    const documented = new Set([...sample.matchAll(/^#?\s*([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]));
    const undocumented = [...settings.keys()].filter((n) => !documented.has(n) && !(n in PLATFORM_SETTINGS));
    assert.deepEqual(undocumented, [], 'document these in .env.sample, or list them as platform settings');
    for (const name of Object.keys(PLATFORM_SETTINGS)) {
      assert.ok(!documented.has(name), `${name} is App Service's own, not the bot's`);
    }
  });

  it('gives the bot every setting it needs to start in production', () => {
    const refusal = refusalOf(productionEnv(settings));
    assert.equal(refusal, undefined, `the loader refused the template's settings: ${refusal}`);
    const config = loadConfig(productionEnv(settings));
    assert.equal(config.env.NODE_ENV, 'production');
    assert.equal(config.localMode, false);
    assert.equal(config.env.HOST, '0.0.0.0');
    assert.equal(config.env.TRUST_PROXY_HOPS, 1);
    assert.ok(config.redis?.entraClientId, 'Redis signs in with Microsoft Entra');
    assert.equal(config.graph?.credential.kind, 'managed-identity', 'Graph uses the managed identity');
    assert.ok(config.entraIntake, 'senders sign in with Entra tokens');
    assert.ok(config.stats.entra, 'statistics readers sign in with Entra tokens');
  });

  it('fails when a setting that production requires is missing from the template', () => {
    const refusedWithout = new Map<string, string>();
    for (const name of settings.keys()) {
      const env = productionEnv(settings);
      delete env[name];
      const refusal = refusalOf(env);
      if (refusal !== undefined) refusedWithout.set(name, refusal);
    }
    for (const name of REQUIRED_IN_PRODUCTION) {
      assert.ok(settings.has(name), `the template sets ${name}`);
      assert.ok(refusedWithout.has(name), `without ${name} the bot refuses to start in production`);
    }
    // Without these the loader still starts, but the bot would not be what the template means.
    assert.equal(settings.get('NODE_ENV'), "'production'");
    assert.equal(settings.get('MicrosoftAppType'), "'UserAssignedMSI'");
    assert.equal(settings.get('TRUST_PROXY_HOPS'), "'1'");
    assert.ok(!settings.has('PORT'), 'App Service sets PORT itself, and the bot reads it');
  });

  it('stops the bot when a Key Vault secret is missing and App Service hands over the reference itself', () => {
    // App Service passes an unresolved reference on as its own text: the bot must not run with it.
    const referenced = [...settings].filter(([, expression]) =>
      /^(useIntake|useStats)?\w*\s*\?|^kv/.test(expression),
    );
    assert.ok(referenced.length >= 2, 'the secrets are Key Vault references');
    for (const [name] of referenced) {
      const env = productionEnv(settings);
      env[name] = `@Microsoft.KeyVault(SecretUri=https://kv-hwc-voorbeeld.vault.azure.net/secrets/${name}/)`;
      const refusal = refusalOf(env);
      assert.ok(
        refusal?.includes(name),
        `the unresolved reference of ${name} is refused by name (${refusal})`,
      );
      assert.ok(!refusal?.includes('vault.azure.net'), 'without echoing the value');
    }
  });

  it('is secure by construction: HTTPS, TLS 1.2, no basic credentials, Entra sign-in everywhere', () => {
    const required: [string, RegExp][] = [
      ['httpsOnly', /httpsOnly: true/],
      ['minTlsVersion', /\bminTlsVersion: '1\.2'/],
      ['scmMinTlsVersion', /scmMinTlsVersion: '1\.2'/],
      ['ftpsState', /ftpsState: 'Disabled'/],
      ['alwaysOn', /alwaysOn: true/],
      ['health check on readiness', /healthCheckPath: '\/readyz'/],
      ['Node LTS on Linux', /linuxFxVersion: 'NODE\|(20|22)-lts'/],
      ['startup command', /appCommandLine: 'node dist\/src\/index\.js'/],
      ['identity for Key Vault references', /keyVaultReferenceIdentity: identityId/],
      ['Redis TLS', /clientProtocol: 'Encrypted'/],
      ['Redis port', /port: 10000/],
      ['Redis eviction', /evictionPolicy: 'NoEviction'/],
      ['Redis access keys off', /accessKeysAuthentication: 'Disabled'/],
      ['Redis never OSS clustering', /clusteringPolicy: '(NoCluster|EnterpriseCluster)'/],
      ['Redis data access for the identity', /accessPolicyName: 'default'/],
      ['bot app type', /msaAppType: 'UserAssignedMSI'/],
      ['Teams channel', /channelName: 'MsTeamsChannel'/],
      ['Key Vault RBAC', /enableRbacAuthorization: true/],
      ['Key Vault soft delete', /enableSoftDelete: true/],
      ['Key Vault purge protection', /enablePurgeProtection: true/],
      ['storage HTTPS only', /supportsHttpsTrafficOnly: true/],
      ['storage TLS 1.2', /minimumTlsVersion: 'TLS1_2'/],
      ['no public blobs', /allowBlobPublicAccess: false/],
      ['share mounted', /type: 'AzureFiles'/],
    ];
    const missing = required.filter(([, pattern]) => !pattern.test(allBicep)).map(([what]) => what);
    assert.deepEqual(missing, []);
    assert.equal(settings.get('MicrosoftAppType'), "'UserAssignedMSI'");
    const credentialPolicies =
      allBicep.match(/basicPublishingCredentialsPolicies@[\s\S]*?allow: false/g) ?? [];
    assert.equal(credentialPolicies.length, 2, 'FTP and SCM basic credentials are both disabled');
  });

  it('holds no secret: secrets are Key Vault references the admin fills in', () => {
    const infraFiles = readdirSync(infraDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.(bicep|json|bicepparam|md)$/.test(f),
    );
    for (const file of infraFiles) {
      const text = readFileSync(path.join(infraDir, file), 'utf8');
      assert.doesNotMatch(text, /\bk1:/, `${file} holds no case key`);
      assert.deepEqual(base64KeysIn(text), [], `${file} holds no base64 key`);
      assert.doesNotMatch(text, /password\w*["']?\s*[:=]\s*['"][^'"]+['"]/i, `${file} holds no password`);
    }
    assert.doesNotMatch(allBicep, /Microsoft\.KeyVault\/vaults\/secrets/, 'the template writes no secret');
    assert.doesNotMatch(allBicep, /@secure\(\)\s*param \w+ \w+ =/, 'no secure parameter has a default');
    const referenceVars = new Set(
      [
        ...mainBicep.matchAll(
          /^var (\w+) = '@Microsoft\.KeyVault\(SecretUri=\$\{vaultUri\}secrets\/\$\{secretNames\.\w+\}\/\)'$/gm,
        ),
      ].map((m) => m[1]),
    );
    for (const name of SECRET_SETTINGS) {
      const expression = settings.get(name);
      assert.ok(expression !== undefined, `the template sets ${name}`);
      const names = expression.match(/\b\w+\b/g) ?? [];
      assert.ok(
        names.some((n) => referenceVars.has(n)),
        `${name} is a Key Vault reference: ${expression}`,
      );
      assert.doesNotMatch(expression, /'[^']+'/, `${name} has no literal value`);
    }
    const readme = readFileSync(path.join(infraDir, 'README.md'), 'utf8');
    for (const [, secretName = ''] of mainBicep.matchAll(/^\s+\w+: '([a-z-]+)'$/gm)) {
      if (!/-(keys|secret)$/.test(secretName)) continue;
      assert.ok(readme.includes(secretName), `infra/README.md names the Key Vault secret ${secretName}`);
    }
  });

  it('keeps the parameter and output names the deploy guide uses, and the example file in step', () => {
    const params = paramsOf(mainBicep);
    for (const name of [
      'boardName',
      'location',
      'botDisplayName',
      'appServiceSku',
      'instanceCount',
      'redisSku',
      'botDomain',
      'teamsAppId',
      'intakeAudience',
      'intakeAllowedAddresses',
    ]) {
      assert.ok(params.has(name), `main.bicep has param ${name}`);
    }
    const outputs = new Set([...mainBicep.matchAll(/^output (\w+) /gm)].map((m) => m[1]));
    for (const name of [
      'appServiceName',
      'appServiceHostName',
      'botId',
      'identityClientId',
      'identityPrincipalId',
      'keyVaultName',
      'storageAccountName',
      'fileShareName',
      'redisHostName',
      'appInsightsName',
    ]) {
      assert.ok(outputs.has(name), `main.bicep has output ${name}`);
    }
    const example = JSON.parse(readFileSync(path.join(infraDir, 'main.parameters.example.json'), 'utf8')) as {
      parameters: Record<string, { value: unknown }>;
    };
    for (const name of Object.keys(example.parameters))
      assert.ok(params.has(name), `main.bicep has param ${name}`);
    for (const [name, hasDefault] of params) {
      if (!hasDefault) assert.ok(name in example.parameters, `the example sets the required param ${name}`);
    }
  });

  it('states every module main.bicep uses', () => {
    for (const [, file = ''] of mainBicep.matchAll(/^module \w+ '([^']+)'/gm)) {
      assert.ok(moduleFiles.includes(path.basename(file)), `infra/${file} exists`);
    }
  });
});
