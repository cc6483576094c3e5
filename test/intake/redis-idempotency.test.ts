import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isHwcError } from '../../src/domain/errors';
import type { IdempotencyClaim, StoredResponse } from '../../src/intake/idempotency';
import { RedisIdempotencyStore, type RedisIdempotencyStoreOptions } from '../../src/intake/redis-idempotency';
import { RedisRateLimiter } from '../../src/intake/redis-rate-limiter';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';
import { testRedis, type TestRedis } from '../support/redis';

// Invented: a secret per run, a sender and a client's key.
const SECRET = randomBytes(32);
const SCOPE = 'api-key:key#1\nclient-key-9c1e';
const ANSWER: StoredResponse = {
  status: 201,
  body: '{"signalId":"sig-1","deliveredTo":1}',
  headers: { 'Content-Type': 'application/json' },
};

function newClaim(claim: IdempotencyClaim): Extract<IdempotencyClaim, { kind: 'new' }> {
  assert.equal(claim.kind, 'new');
  return claim as Extract<IdempotencyClaim, { kind: 'new' }>;
}

describe('the Redis idempotency store', () => {
  let redis: TestRedis;
  let second: RedisClient;

  const store = (client: RedisClient, options: Partial<RedisIdempotencyStoreOptions> = {}) =>
    new RedisIdempotencyStore({ client, secret: SECRET, prefix: redis.prefix, ...options });

  beforeEach(async () => {
    redis = await testRedis();
    second = await connectRedis({ url: redis.url }, createLogger({ level: 'silent' }));
  });
  afterEach(async () => {
    second.destroy();
    await redis.cleanup();
  });

  it('refuses a missing or short secret, naming the setting and not the value', () => {
    for (const secret of [Buffer.alloc(0), Buffer.from('too-short-secret')]) {
      assert.throws(
        () => new RedisIdempotencyStore({ client: redis.client, secret }),
        (error: unknown) =>
          isHwcError(error, 'config.invalid') &&
          /INTAKE_IDEMPOTENCY_SECRET/.test(error.message) &&
          !error.message.includes('too-short'),
      );
    }
  });

  it('fingerprints alike on every instance with the same secret, and differently with another', () => {
    const a = store(redis.client);
    const b = store(second);
    const other = store(second, { secret: randomBytes(32) });
    assert.deepEqual(a.fingerprint('same'), b.fingerprint('same'));
    assert.notDeepEqual(a.fingerprint('same'), other.fingerprint('same'));
    assert.notDeepEqual(a.fingerprint('same'), a.fingerprint('other'));
  });

  it('claims a key once across instances, then replays the kept answer with the full TTL', async () => {
    const a = store(redis.client, { ttlMs: 60_000, pendingTtlMs: 5_000 });
    const b = store(second, { ttlMs: 60_000, pendingTtlMs: 5_000 });
    const fp = a.fingerprint('signal');
    const claim = newClaim(await a.claim(SCOPE, fp));
    const keys = await redis.keys();
    assert.equal(keys.length, 1);
    const key = keys[0]!;
    assert.ok(key.startsWith(`${redis.prefix}idem:`) && /:idem:[0-9a-f]{64}$/.test(key), key);
    const pending = await redis.client.pTTL(key);
    assert.ok(pending > 0 && pending <= 5_000, `pending TTL ${pending}`);
    assert.equal(JSON.parse((await redis.client.get(key))!).state, 'pending');

    await claim.settle(ANSWER, true);
    const kept = await redis.client.pTTL(key);
    assert.ok(kept > 5_000 && kept <= 60_000, `kept TTL ${kept}`);
    const replay = await b.claim(SCOPE, b.fingerprint('signal'));
    assert.equal(replay.kind, 'replay');
    if (replay.kind === 'replay') assert.deepEqual(await replay.answer, ANSWER);
    assert.equal((await b.claim(SCOPE, b.fingerprint('another signal'))).kind, 'mismatch');
  });

  it('forgets the key when the answer is not kept, so the next claim is new', async () => {
    const a = store(redis.client);
    const claim = newClaim(await a.claim(SCOPE, a.fingerprint('signal')));
    await claim.settle({ ...ANSWER, status: 503 }, false);
    assert.deepEqual(await redis.keys(), []);
    newClaim(await store(second).claim(SCOPE, a.fingerprint('signal')));
  });

  it('shares an in-flight answer with a duplicate on the same instance, as in memory, even one not kept', async () => {
    const a = store(redis.client);
    const fp = a.fingerprint('signal');
    const claim = newClaim(await a.claim(SCOPE, fp));
    const duplicate = await a.claim(SCOPE, fp);
    assert.equal(duplicate.kind, 'replay');
    assert.equal((await a.claim(SCOPE, a.fingerprint('other'))).kind, 'mismatch');
    await claim.settle({ ...ANSWER, status: 503 }, false);
    if (duplicate.kind === 'replay') assert.equal((await duplicate.answer).status, 503);
  });

  it('makes a claim on another instance wait, and take over when the first is forgotten', async () => {
    const a = store(redis.client);
    const b = store(second, { pollIntervalMs: 20 });
    const fp = a.fingerprint('signal');
    const first = newClaim(await a.claim(SCOPE, fp));
    const waiting = b.claim(SCOPE, fp);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.settle({ ...ANSWER, status: 503 }, false);
    newClaim(await waiting);
  });

  it('answers busy after the longest wait, when the first is still in flight elsewhere', async () => {
    const a = store(redis.client);
    const b = store(second, { pollIntervalMs: 20, maxWaitMs: 150 });
    const fp = a.fingerprint('signal');
    newClaim(await a.claim(SCOPE, fp));
    const started = performance.now();
    assert.equal((await b.claim(SCOPE, fp)).kind, 'busy');
    assert.ok(performance.now() - started >= 100);
  });

  it('lets a claim lapse when its instance died, so another can claim the key', async () => {
    const a = store(redis.client, { pendingTtlMs: 100 });
    const b = store(second, { pollIntervalMs: 20 });
    const fp = a.fingerprint('signal');
    newClaim(await a.claim(SCOPE, fp));
    newClaim(await b.claim(SCOPE, fp));
  });

  it('does not overwrite a later claim of another instance when a lapsed one settles', async () => {
    const a = store(redis.client, { pendingTtlMs: 100 });
    const b = store(second);
    const fp = a.fingerprint('signal');
    const lapsed = newClaim(await a.claim(SCOPE, fp));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const later = newClaim(await b.claim(SCOPE, fp));
    await lapsed.settle({ ...ANSWER, body: '{"signalId":"sig-lapsed","deliveredTo":1}' }, true);
    const [key] = await redis.keys();
    assert.equal(JSON.parse((await redis.client.get(key!))!).state, 'pending');
    await later.settle(ANSWER, true);
    const replay = await a.claim(SCOPE, fp);
    if (replay.kind !== 'replay') assert.fail(replay.kind);
    assert.deepEqual(await replay.answer, ANSWER);
  });

  it('rejects with store.unavailable when Redis does not answer', async () => {
    second.destroy();
    const b = store(second);
    await assert.rejects(b.claim(SCOPE, b.fingerprint('signal')), (error: unknown) =>
      isHwcError(error, 'store.unavailable'),
    );
  });
});

describe('the Redis rate limiter', () => {
  let redis: TestRedis;
  let second: RedisClient;

  beforeEach(async () => {
    redis = await testRedis();
    second = await connectRedis({ url: redis.url }, createLogger({ level: 'silent' }));
  });
  afterEach(async () => {
    second.destroy();
    await redis.cleanup();
  });

  const limiter = (client: RedisClient, perMinute = 3, keySecret?: Buffer) =>
    new RedisRateLimiter({
      client,
      name: 'test-budget',
      perMinute,
      prefix: redis.prefix,
      ...(keySecret ? { keySecret } : {}),
    });

  it('spends one budget per key across instances, then says how long to wait', async () => {
    const a = limiter(redis.client, 3);
    const b = limiter(second, 3);
    assert.deepEqual(await a.take('ip:192.0.2.7'), { ok: true });
    assert.deepEqual(await b.take('ip:192.0.2.7'), { ok: true });
    assert.deepEqual(await a.take('ip:192.0.2.7'), { ok: true });
    const refused = await b.take('ip:192.0.2.7');
    assert.equal(refused.ok, false);
    // 3 per minute: one token back every 20 seconds.
    if (!refused.ok) assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 20);
    assert.deepEqual(await a.take('ip:192.0.2.8'), { ok: true });
  });

  it('never spends the same token twice under concurrent takes', async () => {
    const a = limiter(redis.client, 5);
    const b = limiter(second, 5);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).take('api-key:key#1')),
    );
    assert.equal(results.filter((r) => r.ok).length, 5);
  });

  it('names its key by an HMAC of the key, with a TTL of about a minute', async () => {
    await limiter(redis.client, 3, SECRET).take('ip:192.0.2.7');
    await limiter(redis.client, 3).take('ip:192.0.2.9');
    const keys = await redis.keys();
    assert.equal(keys.length, 2);
    for (const key of keys) {
      assert.match(key, /:rate:test-budget:[0-9a-f]{64}$/);
      assert.ok(!key.includes('192.0.2'));
      const ttl = await redis.client.pTTL(key);
      assert.ok(ttl > 0 && ttl <= 61_000, `TTL ${ttl}`);
    }
  });

  it('rejects with store.unavailable when Redis does not answer', async () => {
    second.destroy();
    await assert.rejects(limiter(second).take('ip:192.0.2.7'), (error: unknown) =>
      isHwcError(error, 'store.unavailable'),
    );
  });

  it('refuses a name that does not fit in a key name, and a limit below 1', () => {
    assert.throws(
      () => new RedisRateLimiter({ client: redis.client, name: 'Bad Name', perMinute: 1 }),
      RangeError,
    );
    assert.throws(() => new RedisRateLimiter({ client: redis.client, name: 'ok', perMinute: 0 }), RangeError);
  });
});
