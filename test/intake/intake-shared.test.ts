import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { HwcError } from '../../src/domain/errors';
import {
  createRedisIntakeShared,
  STORE_UNAVAILABLE_DETAIL,
  type IntakeLimits,
  type IntakeShared,
} from '../../src/intake/intake-routes';
import { RedisIdempotencyStore } from '../../src/intake/redis-idempotency';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';
import { testRedis, type TestRedis } from '../support/redis';
import {
  API_KEY_ALL,
  API_KEY_NOORD,
  deferred,
  PUPIL,
  PUPIL_DATE_DUTCH,
  startIntake,
  validSignal,
  type Harness,
  type Reply,
} from './helpers';

// Invented for the tests: a fresh shared secret per run, and a key no other test uses.
const SECRET = randomBytes(32);
const IDEMPOTENCY_KEY = 'retry-key-7f3a-zeldzaam';

function assertProblem(reply: Reply, status: number, kind: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.json.type, `urn:hwc:problem:${kind}`);
}

function connect(url: string): Promise<RedisClient> {
  return connectRedis({ url }, createLogger({ level: 'silent' }));
}

/** A real client whose connection is closed: every command fails, as when Redis is down. */
async function closedClient(url: string): Promise<RedisClient> {
  const client = await connect(url);
  client.destroy();
  return client;
}

interface KeyDump {
  key: string;
  value: string;
  pttl: number;
}

/** Every key under the test's prefix, with its value as text and its TTL in ms. */
async function dump(redis: TestRedis): Promise<KeyDump[]> {
  const out: KeyDump[] = [];
  for (const key of await redis.keys()) {
    const type = await redis.client.type(key);
    let value = '';
    if (type === 'string') value = (await redis.client.get(key)) ?? '';
    else if (type === 'hash') value = JSON.stringify(await redis.client.hGetAll(key));
    else assert.fail(`unexpected ${type} at ${key}`);
    out.push({ key, value, pttl: await redis.client.pTTL(key) });
  }
  return out;
}

describe('intake API: several instances on one Redis', () => {
  let redis: TestRedis;
  let second: RedisClient;
  let a: Harness;
  let b: Harness;
  const opened: { close(): Promise<void> }[] = [];

  /** Two restify servers, as two bot instances, each with its own Redis connection. */
  async function twoInstances(limits?: IntakeLimits, override: Partial<IntakeShared> = {}): Promise<void> {
    const shared = (client: RedisClient) => ({
      ...createRedisIntakeShared({ client, secret: SECRET, prefix: redis.prefix, limits }),
      ...override,
    });
    a = await startIntake({ limits, shared: shared(redis.client) });
    b = await startIntake({ limits, shared: shared(second) });
    opened.push(a, b);
  }

  beforeEach(async () => {
    redis = await testRedis();
    second = await connect(redis.url);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((h) => h.close()));
    second.destroy();
    await redis.cleanup();
  });

  describe('Idempotency-Key', () => {
    it('gives a retry on the other instance the first answer, and delivers once', async () => {
      await twoInstances();
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      const first = await a.request({ headers });
      const retry = await b.request({ headers });
      assert.equal(first.status, 201);
      assert.equal(retry.status, 201);
      assert.equal(retry.text, first.text);
      assert.equal(retry.headers['idempotent-replayed'], 'true');
      assert.equal(a.calls.length + b.calls.length, 1);
    });

    it('makes a retry on the other instance wait for the first while it is in flight', async () => {
      await twoInstances();
      const gate = deferred<void>();
      a.receive = async () => {
        await gate.promise;
        return { signalId: 'sig-in-flight', deliveredTo: 1 };
      };
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      const first = a.request({ headers });
      await new Promise((resolve) => setTimeout(resolve, 150));
      const retry = b.request({ headers });
      await new Promise((resolve) => setTimeout(resolve, 250));
      gate.resolve();
      const [one, two] = await Promise.all([first, retry]);
      assert.equal(one.status, 201);
      assert.equal(two.status, 201);
      assert.deepEqual(two.json, { signalId: 'sig-in-flight', deliveredTo: 1 });
      assert.equal(a.calls.length + b.calls.length, 1);
    });

    it('answers 503 busy, deciding nothing, when the first is still in flight after the longest wait', async () => {
      const idempotency = (client: RedisClient) =>
        new RedisIdempotencyStore({ client, secret: SECRET, prefix: redis.prefix, maxWaitMs: 300 });
      a = await startIntake({
        shared: {
          ...createRedisIntakeShared({ client: redis.client, secret: SECRET, prefix: redis.prefix }),
          idempotency: idempotency(redis.client),
        },
      });
      b = await startIntake({
        shared: {
          ...createRedisIntakeShared({ client: second, secret: SECRET, prefix: redis.prefix }),
          idempotency: idempotency(second),
        },
      });
      opened.push(a, b);
      const gate = deferred<void>();
      a.receive = async () => {
        await gate.promise;
        return { signalId: 'sig-slow', deliveredTo: 1 };
      };
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      const first = a.request({ headers });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const busy = await b.request({ headers });
      assertProblem(busy, 503, 'service-unavailable');
      assert.equal(busy.headers['retry-after'], '60');
      gate.resolve();
      assert.equal((await first).status, 201);
      const later = await b.request({ headers });
      assert.deepEqual(later.json, { signalId: 'sig-slow', deliveredTo: 1 });
      assert.equal(a.calls.length + b.calls.length, 1);
    });

    it('answers 422 on the other instance for the same key with a different signal', async () => {
      await twoInstances();
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      assert.equal((await a.request({ headers })).status, 201);
      const reply = await b.request({
        headers,
        body: validSignal({ pupil: { name: 'Joris Klaverveld', birthDate: '2013-11-21' } }),
      });
      assertProblem(reply, 422, 'idempotency-key-reused');
      assert.equal(b.calls.length, 0);
    });

    it('keeps keys apart per sender across instances', async () => {
      await twoInstances();
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      const body = validSignal({ schoolId: 'de-noordster' });
      assert.equal((await a.request({ headers, body })).status, 201);
      assert.equal((await b.request({ headers, body, auth: { apiKey: API_KEY_NOORD } })).status, 201);
      assert.equal(a.calls.length + b.calls.length, 2);
    });

    it('forgets the key after a 503, so a retry on the other instance is delivered', async () => {
      await twoInstances();
      a.receive = async () => {
        throw new HwcError('delivery.no-coordinator-reachable', 'nobody reachable');
      };
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      assertProblem(await a.request({ headers }), 503, 'no-coordinator-reachable');
      assert.deepEqual(await redis.keys().then((keys) => keys.filter((k) => k.includes(':idem:'))), []);
      const retry = await b.request({ headers });
      assert.equal(retry.status, 201);
      assert.equal(a.calls.length + b.calls.length, 2);
    });
  });

  describe('rate limits', () => {
    it("holds a sender's budget across both instances", async () => {
      await twoInstances({ requestsPerMinute: 3 });
      assert.equal((await a.request()).status, 201);
      assert.equal((await b.request()).status, 201);
      assert.equal((await a.request()).status, 201);
      const refused = await b.request();
      assertProblem(refused, 429, 'rate-limited');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assertProblem(await a.request(), 429, 'rate-limited');
      // Another sender has a budget of its own.
      const other = await b.request({
        auth: { apiKey: API_KEY_NOORD },
        body: validSignal({ schoolId: 'de-noordster' }),
      });
      assert.equal(other.status, 201);
      assert.equal(a.calls.length + b.calls.length, 4);
    });

    it('holds the failed-authentication budget of an address across both instances', async () => {
      await twoInstances({ failedAuthPerMinute: 2 });
      assert.equal((await a.request({ auth: 'none' })).status, 401);
      assert.equal((await b.request({ auth: { apiKey: 'wrong-key-wrong-key-wrong' } })).status, 401);
      const refused = await a.request({ auth: 'none' });
      assertProblem(refused, 429, 'rate-limited');
      assert.ok(Number(refused.headers['retry-after']) >= 1);
      assertProblem(await b.request({ auth: 'none' }), 429, 'rate-limited');
      // A valid credential is never held back by someone else's failures.
      assert.equal((await b.request({ auth: { apiKey: API_KEY_ALL } })).status, 201);
    });
  });

  describe('what Redis holds', () => {
    it("holds no Idempotency-Key, pupil's name, date of birth or API key, and every key expires", async () => {
      await twoInstances({ failedAuthPerMinute: 5 });
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      assert.equal((await a.request({ headers })).status, 201);
      assert.equal((await b.request({ headers })).status, 201);
      const mismatch = validSignal({ pupil: { name: 'Joris Klaverveld', birthDate: '2013-11-21' } });
      assert.equal((await b.request({ headers, body: mismatch })).status, 422);
      assert.equal((await a.request({ auth: 'none' })).status, 401);
      const keys = await dump(redis);
      assert.ok(
        keys.some((k) => k.key.includes(':idem:')),
        'an idempotency record',
      );
      assert.ok(
        keys.some((k) => k.key.includes(':rate:intake-sender:')),
        'a sender bucket',
      );
      assert.ok(
        keys.some((k) => k.key.includes(':rate:intake-failed-auth:')),
        'a failed-auth bucket',
      );
      const forbidden = [
        IDEMPOTENCY_KEY,
        PUPIL.name,
        ...PUPIL.name.split(' '),
        PUPIL.birthDate,
        PUPIL_DATE_DUTCH,
        'Klaverveld',
        '2013-11-21',
        API_KEY_ALL,
        'key#1',
        '127.0.0.1',
      ];
      for (const { key, value, pttl } of keys) {
        for (const text of forbidden) {
          assert.ok(!key.includes(text), `${key} names ${text}`);
          assert.ok(!value.includes(text), `${key} holds ${text}`);
        }
        assert.ok(pttl > 0, `${key} has no TTL`);
      }
      const record = keys.find((k) => k.key.includes(':idem:'))!;
      assert.ok(record.pttl <= 24 * 60 * 60 * 1000);
      for (const bucket of keys.filter((k) => k.key.includes(':rate:'))) assert.ok(bucket.pttl <= 61_000);
    });
  });

  describe('when Redis fails', () => {
    it('answers 503 with Retry-After and a neutral message, and the retry succeeds, when receiveSignal finds the store unavailable', async () => {
      await twoInstances();
      a.receive = async () => {
        throw new HwcError('store.unavailable', 'Redis did not answer: create a case');
      };
      const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
      const reply = await a.request({ headers });
      assertProblem(reply, 503, 'service-unavailable');
      assert.equal(reply.headers['retry-after'], '60');
      assert.equal(reply.json.detail, STORE_UNAVAILABLE_DETAIL);
      assert.ok(!reply.text.includes(PUPIL.name));
      // The claim was released: the retry, here or on the other instance, is delivered.
      const retry = await b.request({ headers });
      assert.equal(retry.status, 201);
      assert.equal(a.calls.length + b.calls.length, 2);
    });

    it('answers 503, never 201, when the shared pieces cannot reach Redis, and delivers nothing', async () => {
      const down = await closedClient(redis.url);
      a = await startIntake({
        limits: { retryAfterSeconds: 30 },
        shared: createRedisIntakeShared({ client: down, secret: SECRET, prefix: redis.prefix }),
      });
      opened.push(a);
      for (const request of [
        {},
        { headers: { 'Idempotency-Key': IDEMPOTENCY_KEY } },
        { auth: 'none' as const },
      ]) {
        const reply = await a.request(request);
        assertProblem(reply, 503, 'service-unavailable');
        assert.equal(reply.headers['retry-after'], '30');
        assert.equal(reply.json.detail, STORE_UNAVAILABLE_DETAIL);
      }
      assert.equal(a.calls.length, 0);
      assert.ok(a.logLines.some((l) => l.includes('store.unavailable')));
      assert.ok(!a.logLines.join('').includes(IDEMPOTENCY_KEY));
    });

    it('answers 503 when only the idempotency store cannot reach Redis', async () => {
      const down = await closedClient(redis.url);
      await twoInstances(undefined, {
        idempotency: new RedisIdempotencyStore({ client: down, secret: SECRET, prefix: redis.prefix }),
      });
      const reply = await a.request({ headers: { 'Idempotency-Key': IDEMPOTENCY_KEY } });
      assertProblem(reply, 503, 'service-unavailable');
      assert.equal(a.calls.length, 0);
      // Without a key nothing is claimed: the signal is delivered as before.
      assert.equal((await a.request()).status, 201);
    });

    it('keeps a 201 when the answer cannot be kept afterwards: the signal was delivered', async () => {
      const own = await connect(redis.url);
      a = await startIntake({
        shared: {
          ...createRedisIntakeShared({ client: redis.client, secret: SECRET, prefix: redis.prefix }),
          idempotency: new RedisIdempotencyStore({ client: own, secret: SECRET, prefix: redis.prefix }),
        },
      });
      opened.push(a);
      a.receive = async () => {
        own.destroy();
        return { signalId: 'sig-delivered', deliveredTo: 1 };
      };
      const reply = await a.request({ headers: { 'Idempotency-Key': IDEMPOTENCY_KEY } });
      assert.equal(reply.status, 201);
      assert.ok(a.logLines.some((l) => l.includes('could not be kept')));
    });
  });
});

describe('intake API: the shared store fails, in memory otherwise', () => {
  let intake: Harness;
  beforeEach(async () => {
    intake = await startIntake();
  });
  afterEach(async () => {
    await intake.close();
  });

  it('answers 503 with Retry-After when receiveSignal rejects with store.unavailable, and keeps nothing', async () => {
    let attempts = 0;
    intake.receive = async () => {
      if (++attempts === 1) throw new HwcError('store.unavailable', 'Redis did not answer: create a case');
      return { signalId: 'sig-after-outage', deliveredTo: 1 };
    };
    const headers = { 'Idempotency-Key': IDEMPOTENCY_KEY };
    const first = await intake.request({ headers });
    assertProblem(first, 503, 'service-unavailable');
    assert.equal(first.headers['retry-after'], '60');
    assert.equal(first.json.detail, STORE_UNAVAILABLE_DETAIL);
    const retry = await intake.request({ headers });
    assert.equal(retry.status, 201);
    assert.equal(intake.calls.length, 2);
  });
});
