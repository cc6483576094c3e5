import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type * as restify from 'restify';
import { parse as parseYaml } from 'yaml';
import { openCase, type HwcCase } from '../../src/domain/case';
import { caseFigures, type CaseFigures } from '../../src/domain/case-figures';
import { createHttpServer } from '../../src/http/http-server';
import type { ApiKey } from '../../src/intake/intake-auth';
import { registerIntakeRoutes } from '../../src/intake/intake-routes';
import { createLogger } from '../../src/logging/logger';
import { MonthlyStats } from '../../src/stats/monthly-stats';
import { registerStatsRoutes, STATS_PATH, type StatsRouteOptions } from '../../src/stats/stats-routes';
import { API_KEY_ALL, entraOptions, signToken, startJwks, validSignal, type Jwks } from '../intake/helpers';

// Every key, school and name here is invented.
const STATS_KEY_ALL = 'local-stats-key-all-schools-01';
const STATS_KEY_NOORD = 'local-stats-key-noordster-only-02';
const NOORDSTER = 'de-noordster';
const ORANJE = 'oranjeschool';
const REGENBOOG = 'de-regenboog';
const ZONE = 'Europe/Amsterdam';

const statsKeys: ApiKey[] = [
  { label: 'key#1', key: STATS_KEY_ALL, schools: 'all' },
  { label: 'key#2', key: STATS_KEY_NOORD, schools: [NOORDSTER] },
];

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

type Auth = 'none' | { apiKey: string } | { bearer: string };

interface StatsHarness {
  stats: MonthlyStats;
  logLines: string[];
  /** Signals that reached the intake's receiveSignal. */
  signalsReceived: number;
  get(options?: { path?: string; auth?: Auth; method?: string; body?: string }): Promise<Reply>;
  close(): Promise<void>;
}

/** One real restify server on 127.0.0.1 with the intake (its own keys) and the stats route. */
async function startStats(
  options: { jwks?: Jwks; auth?: StatsRouteOptions['auth']; knownSchools?: string[] } & Partial<
    Pick<StatsRouteOptions, 'failedAuthPerMinute'>
  > = {},
): Promise<StatsHarness> {
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => logLines.push(line) },
  });
  const server: restify.Server = createHttpServer(logger);
  const stats = new MonthlyStats();
  const harness = {
    stats,
    logLines,
    signalsReceived: 0,
  } as StatsHarness;
  registerIntakeRoutes(server, {
    receiveSignal: async () => {
      harness.signalsReceived++;
      return { signalId: 'sig-1', deliveredTo: 1 };
    },
    signalRules: () => ({ today: '2026-11-23', isKnownSchool: () => true }),
    isSenderAllowed: () => true,
    auth: {
      apiKeys: [{ label: 'key#1', key: API_KEY_ALL, schools: 'all' }],
      ...(options.jwks ? { entra: entraOptions(options.jwks) } : {}),
    },
    logger,
  });
  registerStatsRoutes(server, {
    logger,
    stats,
    auth: options.auth ?? {
      apiKeys: statsKeys,
      ...(options.jwks ? { entra: { ...entraOptions(options.jwks), requiredRole: 'Stats.Read' } } : {}),
    },
    ...(options.knownSchools ? { knownSchools: options.knownSchools } : {}),
    ...(options.failedAuthPerMinute ? { failedAuthPerMinute: options.failedAuthPerMinute } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  harness.get = (request = {}) => send(port, request);
  harness.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return harness;
}

function send(
  port: number,
  options: { path?: string; auth?: Auth; method?: string; body?: string },
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const auth = options.auth ?? { apiKey: STATS_KEY_ALL };
  if (auth !== 'none' && 'apiKey' in auth) headers['X-API-Key'] = auth.apiKey;
  if (auth !== 'none' && 'bearer' in auth) headers['Authorization'] = `Bearer ${auth.bearer}`;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(options.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? STATS_PATH,
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: the assertions will say so
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function assertProblem(reply: Reply, status: number, kind: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.json.type, `urn:hwc:problem:${kind}`);
  assert.equal(reply.json.correlationId, reply.headers['x-correlation-id']);
  assert.equal(reply.headers['cache-control'], 'no-store');
}

function assertUnauthorized(reply: Reply): void {
  assertProblem(reply, 401, 'unauthorized');
  assert.match(String(reply.headers['www-authenticate']), /realm="handle-with-care-stats"/);
}

function schoolsIn(reply: Reply): string[] {
  return (reply.json.schools as { schoolId: string }[]).map((s) => s.schoolId);
}

/** A case of an invented pupil, received at `receivedAt`, as it ends. */
function endedCase(schoolId: string, receivedAt: string): HwcCase {
  const at = new Date(receivedAt);
  return openCase({
    id: `case-${schoolId}-${receivedAt}`,
    schoolId,
    pupil: { name: 'Jorinde Paddenburg', birthDate: '2015-09-30' },
    source: 'police',
    receivedAt: at,
    supportDay: { date: '2026-11-23', lessonStart: new Date(at.getTime() + 3_600_000), dayEnd: at },
  });
}

const figures = (overrides: Partial<CaseFigures> = {}): CaseFigures => ({
  schoolId: NOORDSTER,
  month: '2026-11',
  signals: 1,
  claimedBeforeLessons: 1,
  colleaguesInformed: 1,
  minutesToAcknowledge: [5],
  ...overrides,
});

describe('statistics API: GET /api/stats', () => {
  let jwks: Jwks;
  let api: StatsHarness;

  before(async () => {
    jwks = await startJwks();
  });
  after(async () => {
    await jwks.close();
  });
  beforeEach(async () => {
    api = await startStats({ jwks, knownSchools: [NOORDSTER, ORANJE, REGENBOOG] });
    api.stats.add(figures());
    api.stats.add(figures({ schoolId: ORANJE, month: '2026-10', minutesToAcknowledge: [3, 9] }));
  });
  afterEach(async () => {
    await api.close();
  });

  describe('the report', () => {
    it('answers 200 application/json with the counts per school and month, not to be cached', async () => {
      const reply = await api.get();
      assert.equal(reply.status, 200, reply.text);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      assert.equal(reply.headers['cache-control'], 'no-store');
      assert.ok(reply.headers['x-correlation-id']);
      assert.deepEqual(reply.json, {
        schools: [
          { schoolId: REGENBOOG, months: [] },
          {
            schoolId: NOORDSTER,
            months: [
              {
                month: '2026-11',
                signals: 1,
                claimedBeforeLessons: 1,
                colleaguesInformed: 1,
                acknowledgements: 1,
                medianMinutesToAcknowledge: 5,
              },
            ],
          },
          {
            schoolId: ORANJE,
            months: [
              {
                month: '2026-10',
                signals: 1,
                claimedBeforeLessons: 1,
                colleaguesInformed: 1,
                acknowledgements: 2,
                medianMinutesToAcknowledge: 6,
              },
            ],
          },
        ].sort((a, b) => a.schoolId.localeCompare(b.schoolId)),
      });
    });

    it("counts a signal in the month of the school's time zone: 00:30 on 1 November in Amsterdam (23:30Z on 31 October) is November", async () => {
      api.stats.add(caseFigures(endedCase(REGENBOOG, '2025-10-31T23:30:00Z'), ZONE));
      api.stats.add(caseFigures(endedCase(REGENBOOG, '2025-10-31T22:30:00Z'), ZONE)); // 23:30 local
      const reply = await api.get({ path: `${STATS_PATH}?school=${REGENBOOG}` });
      assert.equal(reply.status, 200, reply.text);
      const months = (reply.json.schools as { months: { month: string; signals: number }[] }[])[0]!.months;
      assert.deepEqual(
        months.map((m) => [m.month, m.signals]),
        [
          ['2025-10', 1],
          ['2025-11', 1],
        ],
      );
    });

    it('contains no key other than the documented ones, and nothing of the pupil, the case or the staff', async () => {
      const c = endedCase(NOORDSTER, '2026-11-22T21:10:00Z');
      api.stats.add(caseFigures(c, ZONE));
      const reply = await api.get();
      const report = reply.json as { schools: { months: Record<string, unknown>[] }[] };
      assert.deepEqual(Object.keys(report), ['schools']);
      for (const school of report.schools) {
        assert.deepEqual(Object.keys(school).sort(), ['months', 'schoolId']);
        for (const month of school.months) {
          assert.deepEqual(Object.keys(month).sort(), [
            'acknowledgements',
            'claimedBeforeLessons',
            'colleaguesInformed',
            'medianMinutesToAcknowledge',
            'month',
            'signals',
          ]);
        }
      }
      for (const trace of ['Jorinde', 'Paddenburg', '2015-09-30', c.id, '21:10', '2026-11-22'])
        assert.ok(!reply.text.includes(trace), `the report contains ${trace}`);
    });

    it('documents exactly these keys in docs/openapi.yaml', () => {
      const doc = parseYaml(readFileSync(path.join(__dirname, '../../docs/openapi.yaml'), 'utf8')) as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
        components: {
          schemas: Record<string, { properties: Record<string, unknown>; additionalProperties: unknown }>;
        };
      };
      const get = doc.paths[STATS_PATH]?.get;
      assert.ok(get, 'GET /api/stats is documented');
      for (const status of ['200', '400', '401', '404', '405', '429', '503'])
        assert.ok(get.responses[status], status);
      const { StatsReport, SchoolStats, MonthStats } = doc.components.schemas;
      assert.deepEqual(Object.keys(StatsReport!.properties), ['schools']);
      assert.deepEqual(Object.keys(SchoolStats!.properties).sort(), ['months', 'schoolId']);
      assert.deepEqual(Object.keys(MonthStats!.properties).sort(), [
        'acknowledgements',
        'claimedBeforeLessons',
        'colleaguesInformed',
        'medianMinutesToAcknowledge',
        'month',
        'signals',
      ]);
      for (const schema of [StatsReport, SchoolStats, MonthStats])
        assert.equal(schema!.additionalProperties, false);
    });
  });

  describe('narrowing to one school', () => {
    it('answers with that school only for ?school=<id>', async () => {
      const reply = await api.get({ path: `${STATS_PATH}?school=${ORANJE}` });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(schoolsIn(reply), [ORANJE]);
    });

    it('lists a configured school before its first case, with no months', async () => {
      const reply = await api.get({ path: `${STATS_PATH}?school=${REGENBOOG}` });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(reply.json, { schools: [{ schoolId: REGENBOOG, months: [] }] });
    });

    it('answers 404 for an unknown school, without repeating it', async () => {
      const reply = await api.get({ path: `${STATS_PATH}?school=de-verzonnen-school` });
      assertProblem(reply, 404, 'not-found');
      assert.ok(!reply.text.includes('verzonnen'));
    });

    it('refuses other query parameters and a repeated school with 400', async () => {
      assertProblem(await api.get({ path: `${STATS_PATH}?month=2026-11` }), 400, 'bad-request');
      assertProblem(
        await api.get({ path: `${STATS_PATH}?school=${ORANJE}&school=${NOORDSTER}` }),
        400,
        'bad-request',
      );
    });
  });

  describe('API keys (STATS_API_KEYS)', () => {
    it('a key scoped to one school sees only that school', async () => {
      const reply = await api.get({ auth: { apiKey: STATS_KEY_NOORD } });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(schoolsIn(reply), [NOORDSTER]);
    });

    it('a scoped key asking for another school gets the same 404 as for an unknown one', async () => {
      const other = await api.get({
        auth: { apiKey: STATS_KEY_NOORD },
        path: `${STATS_PATH}?school=${ORANJE}`,
      });
      const unknown = await api.get({
        auth: { apiKey: STATS_KEY_NOORD },
        path: `${STATS_PATH}?school=de-verzonnen-school`,
      });
      assertProblem(other, 404, 'not-found');
      assertProblem(unknown, 404, 'not-found');
      assert.equal(other.json.detail, unknown.json.detail);
      assert.equal(other.json.title, unknown.json.title);
    });

    it('answers 401 with WWW-Authenticate when no credential is sent', async () => {
      const reply = await api.get({ auth: 'none' });
      assertUnauthorized(reply);
      assert.match(String(reply.headers['www-authenticate']), /ApiKey realm=/);
      assert.match(String(reply.headers['www-authenticate']), /Bearer realm=/);
      assert.equal(reply.json.schools, undefined);
    });

    it('refuses an intake key (INTAKE_API_KEYS) with 401, and does not log it', async () => {
      assertUnauthorized(await api.get({ auth: { apiKey: API_KEY_ALL } }));
      assert.ok(!api.logLines.join('\n').includes(API_KEY_ALL));
    });

    it('a stats key cannot send signals', async () => {
      const reply = await api.get({
        method: 'POST',
        path: '/api/signals',
        auth: { apiKey: STATS_KEY_ALL },
        body: JSON.stringify(validSignal()),
      });
      assert.equal(reply.status, 401, reply.text);
      assert.equal(api.signalsReceived, 0);
      assert.ok(!api.logLines.join('\n').includes(STATS_KEY_ALL));
    });

    it('answers 429 after too many failed authentications from one address', async () => {
      await api.close();
      api = await startStats({ failedAuthPerMinute: 2 });
      for (let i = 0; i < 2; i++)
        assertUnauthorized(await api.get({ auth: { apiKey: 'wrong-key-0123456789' } }));
      const reply = await api.get({ auth: { apiKey: 'wrong-key-0123456789' } });
      assertProblem(reply, 429, 'rate-limited');
      assert.ok(Number(reply.headers['retry-after']) >= 1);
    });
  });

  describe('Microsoft Entra tokens', () => {
    it('accepts a token with the Stats.Read app role, for every school', async () => {
      const token = await signToken(jwks, { claims: { roles: ['Stats.Read'] } });
      const reply = await api.get({ auth: { bearer: token } });
      assert.equal(reply.status, 200, reply.text);
      assert.deepEqual(schoolsIn(reply), [NOORDSTER, REGENBOOG, ORANJE].sort());
    });

    it("refuses a sender's Signals.Send token with 401", async () => {
      const reply = await api.get({ auth: { bearer: await signToken(jwks) } });
      assertUnauthorized(reply);
      assert.match(String(reply.json.detail), /Stats\.Read/);
    });

    it('a Stats.Read token cannot send signals', async () => {
      const token = await signToken(jwks, { claims: { roles: ['Stats.Read'] } });
      const reply = await api.get({
        method: 'POST',
        path: '/api/signals',
        auth: { bearer: token },
        body: JSON.stringify(validSignal()),
      });
      assert.equal(reply.status, 401, reply.text);
      assert.equal(api.signalsReceived, 0);
    });

    it("answers 503 with Retry-After when the tenant's signing keys cannot be fetched", async () => {
      const token = await signToken(jwks, { claims: { roles: ['Stats.Read'] } });
      jwks.failing = true;
      try {
        const reply = await api.get({ auth: { bearer: token } });
        assertProblem(reply, 503, 'auth-unavailable');
        assert.ok(reply.headers['retry-after']);
      } finally {
        jwks.failing = false;
      }
    });
  });

  describe('other methods and configurations', () => {
    it('answers 405 problem+json with Allow: GET for other methods', async () => {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        const reply = await api.get({ method });
        assertProblem(reply, 405, 'method-not-allowed');
        assert.equal(reply.headers.allow, 'GET');
      }
      // restify refuses HEAD and OPTIONS itself; the answer is a problem all the same (no body on HEAD).
      const head = await api.get({ method: 'HEAD' });
      assert.equal(head.status, 405);
      assert.match(String(head.headers['content-type']), /^application\/problem\+json/);
      assert.equal(head.headers.allow, 'GET');
      assertProblem(await api.get({ method: 'OPTIONS' }), 405, 'method-not-allowed');
    });

    it('refuses every request, and warns at registration, when no stats credential is configured', async () => {
      await api.close();
      api = await startStats({ auth: { apiKeys: [] } });
      assert.ok(
        api.logLines.some(
          (line) => /no stats credential configured/.test(line) && /"level":"warn"/.test(line),
        ),
      );
      assertUnauthorized(await api.get({ auth: 'none' }));
      assertUnauthorized(await api.get({ auth: { apiKey: STATS_KEY_ALL } }));
      assertUnauthorized(await api.get({ auth: { apiKey: API_KEY_ALL } }));
    });

    it("refuses to start with the senders' Signals.Send role as the stats role", async () => {
      await assert.rejects(startStats({ auth: { apiKeys: [], entra: entraOptions(jwks) } }), (error: Error) =>
        /Signals\.Send/.test(error.message),
      );
    });
  });
});
