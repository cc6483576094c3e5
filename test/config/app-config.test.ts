import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphSettingsFrom, loadConfig, loadSchoolsFile, readEnvOptions } from '../../src/config/app-config';
import { HwcError } from '../../src/domain/errors';

const appId = '11111111-2222-4333-8444-555555555555';
const tenant = '99999999-8888-4777-8666-555555555555';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof HwcError, 'expected an HwcError');
    assert.equal(error.code, 'config.invalid');
    return error.message;
  }
  assert.fail('expected a configuration error');
}

describe('configuration', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function schoolsFile(content: string, name = 'schools.yaml'): string {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  }

  it('starts in local mode from .env.sample and the demo schools file, as they are', () => {
    const env = parseEnv(readFileSync('.env.sample', 'utf8'));
    const config = loadConfig(env);
    assert.equal(config.localMode, true);
    // One demo school of each procedure.
    assert.deepEqual(
      config.schools.map((s) => [s.id, s.procedure]),
      [
        ['demo-school', 'talk-first'],
        ['demo-school-gemeente', 'teacher-first'],
      ],
    );
    assert.equal(config.env.PORT, 3978);
  });

  it('names a missing SCHOOLS_FILE', () => {
    assert.match(
      messageOf(() => readEnvOptions({})),
      /SCHOOLS_FILE: is required/,
    );
  });

  it('names a PORT that is not a port', () => {
    assert.match(
      messageOf(() => readEnvOptions({ SCHOOLS_FILE: 'x', PORT: 'eighty' })),
      /PORT:/,
    );
  });

  it('names every wrong setting at once', () => {
    const message = messageOf(() =>
      readEnvOptions({ SCHOOLS_FILE: 'x', MicrosoftAppId: 'not-a-guid', LOG_LEVEL: 'loud' }),
    );
    assert.match(message, /MicrosoftAppId: expected a GUID/);
    assert.match(message, /LOG_LEVEL:/);
  });

  it('refuses to start in production without a MicrosoftAppId (no unauthenticated bot in production)', () => {
    assert.match(
      messageOf(() => readEnvOptions({ SCHOOLS_FILE: 'x', NODE_ENV: 'production' })),
      /MicrosoftAppId: is required when NODE_ENV=production/,
    );
  });

  it('asks for the password and tenant of a single-tenant bot', () => {
    const message = messageOf(() => readEnvOptions({ SCHOOLS_FILE: 'x', MicrosoftAppId: appId }));
    assert.match(message, /MicrosoftAppPassword: is required/);
    assert.match(message, /MicrosoftAppTenantId: is required/);
  });

  it('keeps local mode (no authentication) on this machine: a network HOST is refused', () => {
    assert.match(
      messageOf(() => readEnvOptions({ SCHOOLS_FILE: 'x', HOST: '0.0.0.0' })),
      /HOST: local mode .* listens on this machine only/,
    );
    assert.equal(readEnvOptions({ SCHOOLS_FILE: 'x' }).HOST, '127.0.0.1');
    assert.equal(readEnvOptions({ SCHOOLS_FILE: 'x', HOST: '::1' }).HOST, '::1');
  });

  it('asks for the tenant of a multi-tenant bot too: it acts in the school’s tenant only', () => {
    const message = messageOf(() =>
      readEnvOptions({
        SCHOOLS_FILE: 'x',
        MicrosoftAppId: appId,
        MicrosoftAppType: 'MultiTenant',
        MicrosoftAppPassword: 's',
      }),
    );
    assert.match(message, /MicrosoftAppTenantId: is required/);
  });

  it('with REDIS_URL, asks for the encryption keys and the idempotency secret by name, never echoing a key', () => {
    const message = messageOf(() =>
      readEnvOptions({
        SCHOOLS_FILE: 'x',
        REDIS_URL: 'redis://127.0.0.1:6379',
        CASE_ENCRYPTION_KEYS: 'k1:c2VjcmV0',
      }),
    );
    assert.match(message, /CASE_ENCRYPTION_KEYS entry 1/);
    assert.match(message, /INTAKE_IDEMPOTENCY_SECRET: is required with REDIS_URL/);
    assert.doesNotMatch(message, /c2VjcmV0/);
    assert.match(
      messageOf(() => readEnvOptions({ SCHOOLS_FILE: 'x', REDIS_URL: 'http://cache' })),
      /REDIS_URL: expected redis:/,
    );
    assert.match(
      messageOf(() => readEnvOptions({ SCHOOLS_FILE: 'x', REDIS_KEY_PREFIX: 'hwc:' })),
      /REDIS_KEY_PREFIX: expected a hash tag/,
    );
  });

  it('refuses production without Redis unless CASE_STORE=memory, and reads empty Redis settings as unset', () => {
    const production = {
      SCHOOLS_FILE: 'x',
      NODE_ENV: 'production',
      MicrosoftAppId: appId,
      MicrosoftAppPassword: 'secret',
      MicrosoftAppTenantId: tenant,
    };
    assert.match(
      messageOf(() => readEnvOptions(production)),
      /REDIS_URL: is required when NODE_ENV=production/,
    );
    assert.equal(readEnvOptions({ ...production, CASE_STORE: 'memory' }).CASE_STORE, 'memory');
    const empty = readEnvOptions({ SCHOOLS_FILE: 'x', REDIS_URL: '', CASE_STORE: '', REDIS_KEY_PREFIX: '' });
    assert.equal(empty.CASE_STORE, undefined);
    assert.equal(empty.REDIS_KEY_PREFIX, '{hwc}:');
  });

  it('accepts a complete production configuration', () => {
    const options = readEnvOptions({
      SCHOOLS_FILE: 'x',
      NODE_ENV: 'production',
      MicrosoftAppId: appId,
      MicrosoftAppPassword: 'secret',
      MicrosoftAppTenantId: tenant,
      REDIS_URL: 'rediss://hwc.westeurope.redis.azure.net:10000',
      REDIS_ENTRA_CLIENT_ID: appId,
      CASE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
      INTAKE_IDEMPOTENCY_SECRET: Buffer.alloc(32, 9).toString('base64'),
    });
    assert.equal(options.MicrosoftAppType, 'SingleTenant');
    assert.equal(options.HOST, '0.0.0.0');
  });

  it('says which schools file cannot be read', () => {
    assert.match(
      messageOf(() => loadSchoolsFile(path.join(dir, 'missing.yaml'))),
      /SCHOOLS_FILE: cannot read .*missing\.yaml \(ENOENT\)/,
    );
  });

  it('says where a schools file is not valid YAML', () => {
    assert.match(
      messageOf(() => loadSchoolsFile(schoolsFile('schools: [\n  - id: x\n   bad', 'bad.yaml'))),
      /not valid YAML or JSON/,
    );
  });

  it('names the field of a school that is wrong', () => {
    const file = schoolsFile(
      JSON.stringify({
        schools: [
          {
            id: 'a-school',
            name: 'Testschool',
            lessonStart: '8.30',
            dayEnd: '15:00',
            coordinators: [{ id: appId, name: 'Invented Person' }],
          },
        ],
      }),
      'wrong.json',
    );
    assert.match(
      messageOf(() => loadSchoolsFile(file)),
      /schools\.0\.lessonStart: expected a time as HH:mm/,
    );
  });

  it('refuses a school without coordinators and duplicate school ids', () => {
    const school = { id: 'a-school', name: 'Testschool', lessonStart: '08:30', dayEnd: '15:00' };
    assert.match(
      messageOf(() =>
        loadSchoolsFile(
          schoolsFile(JSON.stringify({ schools: [{ ...school, coordinators: [] }] }), 'c.json'),
        ),
      ),
      /at least one coordinator/,
    );
    const withCoordinator = { ...school, coordinators: [{ id: appId, name: 'Invented Person' }] };
    assert.match(
      messageOf(() =>
        loadSchoolsFile(
          schoolsFile(JSON.stringify({ schools: [withCoordinator, withCoordinator] }), 'd.json'),
        ),
      ),
      /school ids must be unique/,
    );
  });

  it('reads a one-school JSON file with defaults for time zone, school days and holidays', () => {
    const file = schoolsFile(
      JSON.stringify({
        schools: [
          {
            id: 'solo',
            name: 'Solo',
            lessonStart: '08:15',
            dayEnd: '14:30',
            coordinators: [{ id: appId, name: 'Invented' }],
          },
        ],
      }),
      'solo.json',
    );
    const [school] = loadSchoolsFile(file).schools;
    assert.equal(school?.timeZone, 'Europe/Amsterdam');
    assert.deepEqual(school?.schoolDays, ['mon', 'tue', 'wed', 'thu', 'fri']);
    assert.deepEqual(school?.holidays, []);
  });

  it('refuses an unknown setting in the schools file rather than ignoring a typo', () => {
    const file = schoolsFile(
      JSON.stringify({
        schools: [
          {
            id: 'solo',
            name: 'Solo',
            lessonStart: '08:15',
            dayEnd: '14:30',
            coordinator: [],
            coordinators: [{ id: appId, name: 'I' }],
          },
        ],
      }),
      'typo.json',
    );
    assert.match(
      messageOf(() => loadSchoolsFile(file)),
      /coordinator/,
    );
  });
  describe('Microsoft Graph', () => {
    const bot = {
      SCHOOLS_FILE: 'x',
      MicrosoftAppId: appId,
      MicrosoftAppPassword: 'bot-secret',
      MicrosoftAppTenantId: tenant,
    };
    const graphAppId = '22222222-3333-4444-8555-666666666666';
    const graphTenant = '33333333-4444-4555-8666-777777777777';
    const manifestId = '44444444-5555-4666-8777-888888888888';
    const catalogId = '55555555-6666-4777-8888-999999999999';

    it('uses the bot’s own app registration by default, on the public Graph', () => {
      assert.deepEqual(graphSettingsFrom(readEnvOptions(bot)), {
        baseUrl: 'https://graph.microsoft.com/v1.0',
        credential: { kind: 'client-secret', tenantId: tenant, clientId: appId, clientSecret: 'bot-secret' },
      });
    });

    it('uses the bot’s managed identity for MicrosoftAppType=UserAssignedMSI', () => {
      const options = readEnvOptions({
        SCHOOLS_FILE: 'x',
        MicrosoftAppId: appId,
        MicrosoftAppType: 'UserAssignedMSI',
        MicrosoftAppTenantId: tenant,
      });
      assert.deepEqual(graphSettingsFrom(options)?.credential, { kind: 'managed-identity', clientId: appId });
    });

    it('uses an app registration of its own when GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET are set', () => {
      const options = readEnvOptions({
        ...bot,
        GRAPH_CLIENT_ID: graphAppId,
        GRAPH_CLIENT_SECRET: 'graph-secret',
        GRAPH_TENANT_ID: graphTenant,
        GRAPH_BASE_URL: 'https://graph.example/v1.0/',
      });
      assert.deepEqual(graphSettingsFrom(options), {
        baseUrl: 'https://graph.example/v1.0',
        credential: {
          kind: 'client-secret',
          tenantId: graphTenant,
          clientId: graphAppId,
          clientSecret: 'graph-secret',
        },
      });
    });

    it('does not take the bot’s secret for another GRAPH_CLIENT_ID: it asks for GRAPH_CLIENT_SECRET', () => {
      assert.match(
        messageOf(() => readEnvOptions({ ...bot, GRAPH_CLIENT_ID: graphAppId })),
        /GRAPH_CLIENT_SECRET: is required with GRAPH_CLIENT_ID/,
      );
    });

    it('asks for a tenant for a Graph client secret', () => {
      assert.match(
        messageOf(() =>
          readEnvOptions({ SCHOOLS_FILE: 'x', GRAPH_CLIENT_ID: graphAppId, GRAPH_CLIENT_SECRET: 's' }),
        ),
        /GRAPH_TENANT_ID: is required/,
      );
    });

    it('names a wrong Graph setting', () => {
      const message = messageOf(() =>
        readEnvOptions({
          ...bot,
          GRAPH_BASE_URL: 'graph',
          GRAPH_CLIENT_ID: 'abc',
          TEAMS_APP_CATALOG_ID: 'x',
        }),
      );
      assert.match(message, /GRAPH_BASE_URL: expected an absolute URL/);
      assert.match(message, /GRAPH_CLIENT_ID: expected a GUID/);
      assert.match(message, /TEAMS_APP_CATALOG_ID: expected a GUID/);
    });

    it('installs the app by its catalog id, or by the manifest id (TEAMS_APP_ID) when that is all there is', () => {
      assert.deepEqual(graphSettingsFrom(readEnvOptions({ ...bot, TEAMS_APP_ID: manifestId }))?.teamsApp, {
        manifestAppId: manifestId,
      });
      assert.deepEqual(
        graphSettingsFrom(
          readEnvOptions({ ...bot, TEAMS_APP_ID: manifestId, TEAMS_APP_CATALOG_ID: catalogId }),
        )?.teamsApp,
        { catalogAppId: catalogId },
      );
    });

    it('is off in local mode', () => {
      assert.equal(graphSettingsFrom(readEnvOptions({ SCHOOLS_FILE: 'x' })), undefined);
      const env = parseEnv(readFileSync('.env.sample', 'utf8'));
      assert.equal(loadConfig(env).graph, undefined);
    });

    it('refuses to start when a school reads its directory from Graph and there is no Graph credential', () => {
      const file = schoolsFile(
        JSON.stringify({
          schools: [
            {
              id: 'graph-school',
              name: 'Graphschool',
              lessonStart: '08:30',
              dayEnd: '15:00',
              coordinators: [{ id: appId, name: 'Invented' }],
              directory: { type: 'graph-education', schoolId: 'edu-1' },
            },
          ],
        }),
        'graph.json',
      );
      assert.match(
        messageOf(() => loadConfig({ SCHOOLS_FILE: file })),
        /GRAPH_CLIENT_ID: school graph-school reads its directory from Microsoft Graph/,
      );
      assert.equal(loadConfig({ ...bot, SCHOOLS_FILE: file }).graph?.credential.kind, 'client-secret');
    });
  });

  describe('statistics (GET /api/stats)', () => {
    const demo = { SCHOOLS_FILE: 'config/demo-schools.yaml' };
    const statsKey = 'local-stats-key-0123456789';
    const intakeKey = 'local-intake-key-0123456789';

    it('reads no stats credential and no file by default: the counts live in memory only', () => {
      const { stats } = loadConfig(demo);
      assert.deepEqual(stats, { apiKeys: [] });
      assert.equal(readEnvOptions(demo).STATS_ENTRA_ROLE, 'Stats.Read');
    });

    it('reads STATS_API_KEYS with the syntax of INTAKE_API_KEYS, scoped keys included', () => {
      const { stats } = loadConfig({
        ...demo,
        STATS_API_KEYS: `${statsKey}, other-stats-key-0123456789:demo-school`,
      });
      assert.deepEqual(stats.apiKeys, [
        { label: 'key#1', key: statsKey, schools: 'all' },
        { label: 'key#2', key: 'other-stats-key-0123456789', schools: ['demo-school'] },
      ]);
    });

    it('names STATS_API_KEYS and the entry, never the key, when an entry is wrong', () => {
      const message = messageOf(() => readEnvOptions({ ...demo, STATS_API_KEYS: `${statsKey},short-stats` }));
      assert.match(message, /STATS_API_KEYS: key#2 is shorter than 16 characters/);
      assert.doesNotMatch(message, /INTAKE_API_KEYS/);
      assert.ok(!message.includes('short-stats') && !message.includes(statsKey));
    });

    it('refuses a key that is an intake key too: a stats key must not send signals', () => {
      const message = messageOf(() =>
        readEnvOptions({ ...demo, INTAKE_API_KEYS: intakeKey, STATS_API_KEYS: `${statsKey},${intakeKey}` }),
      );
      assert.match(message, /STATS_API_KEYS: key#2 is also key#1 of INTAKE_API_KEYS/);
      assert.ok(!message.includes(intakeKey));
    });

    it("refuses the senders' app role as STATS_ENTRA_ROLE, and a role that is not an app role value", () => {
      assert.match(
        messageOf(() => readEnvOptions({ ...demo, STATS_ENTRA_ROLE: 'Signals.Send' })),
        /STATS_ENTRA_ROLE: must differ from INTAKE_ENTRA_ROLE/,
      );
      assert.match(
        messageOf(() => readEnvOptions({ ...demo, STATS_ENTRA_ROLE: 'Stats Read' })),
        /STATS_ENTRA_ROLE: expected an app role value/,
      );
    });

    it('accepts Entra tokens with STATS_ENTRA_ROLE on the intake’s audience, tenant, issuer and keys', () => {
      const config = loadConfig({
        ...demo,
        INTAKE_ENTRA_AUDIENCE: 'api://hwc-test',
        INTAKE_ENTRA_TENANT_ID: tenant,
        INTAKE_ENTRA_JWKS_URL: 'https://keys.example/jwks',
        STATS_ENTRA_ROLE: 'Statistics.Read',
      });
      assert.deepEqual(config.stats.entra, {
        tenantId: tenant,
        audience: 'api://hwc-test',
        requiredRole: 'Statistics.Read',
        jwksUrl: 'https://keys.example/jwks',
      });
      assert.equal(config.entraIntake?.requiredRole, 'Signals.Send');
      assert.equal(loadConfig(demo).stats.entra, undefined);
    });

    it('resolves STATS_FILE against the working directory', () => {
      assert.equal(
        loadConfig({ ...demo, STATS_FILE: 'data/hwc-stats.json' }).stats.file,
        path.resolve(process.cwd(), 'data/hwc-stats.json'),
      );
      assert.equal(
        loadConfig({ ...demo, STATS_FILE: path.join(dir, 's.json') }).stats.file,
        path.join(dir, 's.json'),
      );
      assert.equal(loadConfig({ ...demo, STATS_FILE: ' ' }).stats.file, undefined);
    });

    it('.env.sample documents every stats setting', () => {
      const env = parseEnv(readFileSync('.env.sample', 'utf8'));
      for (const name of ['STATS_API_KEYS', 'STATS_ENTRA_ROLE', 'STATS_FILE']) assert.ok(name in env, name);
      assert.equal(loadConfig(env).stats.apiKeys.length, 0);
    });
  });
});
