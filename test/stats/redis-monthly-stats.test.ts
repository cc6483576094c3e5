import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CaseFigures } from '../../src/domain/case-figures';
import { isHwcError } from '../../src/domain/errors';
import { createHttpServer } from '../../src/http/http-server';
import { RedisRateLimiter } from '../../src/intake/redis-rate-limiter';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';
import { MonthlyStats } from '../../src/stats/monthly-stats';
import { RedisMonthlyStats } from '../../src/stats/redis-monthly-stats';
import { registerStatsRoutes, STATS_PATH } from '../../src/stats/stats-routes';
import { testRedis, type TestRedis } from '../support/redis';

// Invented school ids and keys.
const NOORDSTER = 'de-noordster';
const ORANJE = 'oranjeschool';
const STATS_KEY = 'local-stats-key-all-schools-01';

function figures(overrides: Partial<CaseFigures> = {}): CaseFigures {
  return {
    schoolId: NOORDSTER,
    month: '2026-11',
    signals: 1,
    claimedBeforeLessons: 1,
    colleaguesInformed: 2,
    minutesToAcknowledge: [4, 13],
    ...overrides,
  };
}

function connect(url: string): Promise<RedisClient> {
  return connectRedis({ url }, createLogger({ level: 'silent' }));
}

describe('monthly statistics in Redis', () => {
  let redis: TestRedis;
  let second: RedisClient;

  beforeEach(async () => {
    redis = await testRedis();
    second = await connect(redis.url);
  });
  afterEach(async () => {
    second.destroy();
    await redis.cleanup();
  });

  it('reports the sum and the right median of what two instances added to the same month', async () => {
    const a = new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix });
    const b = new RedisMonthlyStats({ client: second, prefix: redis.prefix });
    const cases = [
      figures({ minutesToAcknowledge: [4, 13] }),
      figures({ claimedBeforeLessons: 0, colleaguesInformed: 1, minutesToAcknowledge: [7] }),
      figures({ colleaguesInformed: 3, minutesToAcknowledge: [2, 30, 7] }),
      figures({ colleaguesInformed: 0, minutesToAcknowledge: [] }),
      figures({ month: '2026-10', minutesToAcknowledge: [5] }),
      figures({ schoolId: ORANJE, minutesToAcknowledge: [1, 2] }),
    ];
    const memory = new MonthlyStats();
    await Promise.all(cases.map((f, i) => (i % 2 ? a : b).add(f)));
    for (const f of cases) memory.add(f);

    const report = await b.report('all');
    assert.deepEqual(report.schools[0], {
      schoolId: NOORDSTER,
      months: [
        {
          month: '2026-10',
          signals: 1,
          claimedBeforeLessons: 1,
          colleaguesInformed: 2,
          acknowledgements: 1,
          medianMinutesToAcknowledge: 5,
        },
        {
          month: '2026-11',
          signals: 4,
          claimedBeforeLessons: 3,
          colleaguesInformed: 6,
          acknowledgements: 6,
          // 2, 4, 7, 7, 13, 30: the mean of the two middle values.
          medianMinutesToAcknowledge: 7,
        },
      ],
    });
    assert.deepEqual(report, memory.report('all'));
    assert.deepEqual(await a.report('all'), report);
    assert.deepEqual(await a.schoolIds(), [NOORDSTER, ORANJE]);
  });

  it('lists a requested school without figures with no months, once', async () => {
    const stats = new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix });
    await stats.add(figures());
    assert.deepEqual(await stats.report(['de-regenboog', NOORDSTER, 'de-regenboog']), {
      schools: [
        { schoolId: NOORDSTER, months: (await stats.report([NOORDSTER])).schools[0]!.months },
        { schoolId: 'de-regenboog', months: [] },
      ],
    });
  });

  it('keeps one hash per school and month with counts and a histogram, and every key expires in about 13 months', async () => {
    const stats = new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix });
    await stats.add(figures({ minutesToAcknowledge: [4, 4, 13] }));
    const keys = (await redis.keys()).sort();
    assert.deepEqual(keys, [`${redis.prefix}stats-months`, `${redis.prefix}stats:${NOORDSTER}:2026-11`]);
    assert.deepEqual(await redis.client.hGetAll(`${redis.prefix}stats:${NOORDSTER}:2026-11`), {
      signals: '1',
      claimedBeforeLessons: '1',
      colleaguesInformed: '2',
      'm:4': '2',
      'm:13': '1',
    });
    const day = 24 * 60 * 60 * 1000;
    for (const key of keys) {
      const ttl = await redis.client.pTTL(key);
      assert.ok(ttl > 390 * day && ttl <= 400 * day, `${key}: TTL ${ttl}`);
    }
  });

  it('refuses figures that are not valid and writes nothing', async () => {
    const stats = new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix });
    await assert.rejects(stats.add(figures({ month: '2026-13' })), RangeError);
    await assert.rejects(stats.add(figures({ schoolId: 'De Noordster' })), RangeError);
    await assert.rejects(stats.add(figures({ minutesToAcknowledge: [-1] })), RangeError);
    assert.deepEqual(await redis.keys(), []);
  });

  it('no longer reports a month past its time to live', async () => {
    const stats = new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix, ttlMs: 100 });
    await stats.add(figures());
    assert.equal((await stats.report('all')).schools.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(await stats.report('all'), { schools: [] });
    assert.deepEqual(await stats.report([NOORDSTER]), { schools: [{ schoolId: NOORDSTER, months: [] }] });
  });

  it('rejects with store.unavailable when Redis does not answer', async () => {
    second.destroy();
    const stats = new RedisMonthlyStats({ client: second, prefix: redis.prefix });
    for (const call of [() => stats.add(figures()), () => stats.report('all'), () => stats.schoolIds()]) {
      await assert.rejects(call(), (error: unknown) => isHwcError(error, 'store.unavailable'));
    }
  });
});

describe('GET /api/stats on several instances', () => {
  let redis: TestRedis;
  let second: RedisClient;
  const servers: http.Server[] = [];

  beforeEach(async () => {
    redis = await testRedis();
    second = await connect(redis.url);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    second.destroy();
    await redis.cleanup();
  });

  /** A restify server with the stats route on `client`, as one bot instance; its port. */
  async function instance(client: RedisClient, failedAuthPerMinute = 20): Promise<number> {
    const logger = createLogger({ level: 'silent' });
    const server = createHttpServer(logger);
    registerStatsRoutes(server, {
      logger,
      stats: new RedisMonthlyStats({ client, prefix: redis.prefix }),
      auth: { apiKeys: [{ label: 'key#1', key: STATS_KEY, schools: 'all' }] },
      knownSchools: [NOORDSTER, ORANJE],
      failedAuthPerMinute,
      failedAuthLimiter: new RedisRateLimiter({
        client,
        name: 'stats-failed-auth',
        perMinute: failedAuthPerMinute,
        prefix: redis.prefix,
      }),
      retryAfterSeconds: 45,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  function get(
    port: number,
    apiKey?: string,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: STATS_PATH,
          headers: apiKey ? { 'X-API-Key': apiKey } : {},
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('answers alike on both instances with what both added', async () => {
    await new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix }).add(figures());
    await new RedisMonthlyStats({ client: second, prefix: redis.prefix }).add(
      figures({ minutesToAcknowledge: [7] }),
    );
    const [one, two] = await Promise.all([instance(redis.client), instance(second)]);
    const a = await get(one, STATS_KEY);
    const b = await get(two, STATS_KEY);
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, b.json);
    assert.deepEqual(a.json, {
      schools: [
        {
          schoolId: NOORDSTER,
          months: [
            {
              month: '2026-11',
              signals: 2,
              claimedBeforeLessons: 2,
              colleaguesInformed: 4,
              acknowledgements: 3,
              medianMinutesToAcknowledge: 7,
            },
          ],
        },
        { schoolId: ORANJE, months: [] },
      ],
    });
  });

  it('holds the failed-authentication budget of an address across both instances', async () => {
    const [one, two] = await Promise.all([instance(redis.client, 2), instance(second, 2)]);
    assert.equal((await get(one)).status, 401);
    assert.equal((await get(two, 'wrong-key-wrong-key-wrong')).status, 401);
    const refused = await get(one);
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal((await get(two, STATS_KEY)).status, 200);
  });

  it('answers 503 with Retry-After when Redis does not answer', async () => {
    const port = await instance(second);
    second.destroy();
    for (const apiKey of [STATS_KEY, undefined]) {
      const reply = await get(port, apiKey);
      assert.equal(reply.status, 503);
      assert.equal(reply.json.type, 'urn:hwc:problem:service-unavailable');
      assert.equal(reply.headers['retry-after'], '45');
    }
  });
});
