import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';
import { createTeamsRateLimiter, type RateSlot, type TeamsBucket } from '../../src/teams/rate-limiter';
import { SharedRateBudget, SharedRateLimiter } from '../../src/teams/shared-rate-budget';
import { testRedis, type TestRedis } from '../support/redis';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
const tenant: RateSlot<TeamsBucket> = { bucket: 'tenant', key: TENANT_ID };
const chat = (id: string): RateSlot<TeamsBucket> => ({ bucket: 'conversation', key: id });

/** One instance of the bot: its own limiter and its own Redis connection, the shared prefix. */
function instance(client: RedisClient, prefix: string, logger = createLogger({ level: 'silent' })) {
  return new SharedRateLimiter(
    createTeamsRateLimiter(),
    new SharedRateBudget({ shared: { client, prefix }, logger }),
  );
}

/** Acquires, notes when the call was let through, and finishes it on the next turn of the event loop. */
async function call(
  limiter: SharedRateLimiter,
  slots: RateSlot<TeamsBucket>[],
  letThrough: number[],
  onLetThrough: () => void = () => {},
) {
  const release = await limiter.acquire(slots);
  letThrough.push(Date.now());
  onLetThrough();
  await new Promise((resolve) => setImmediate(resolve));
  release();
}

/** The most calls let through within any `windowMs` (a half-open window starting at any call). */
function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((x, y) => x - y);
  let most = 0;
  for (let i = 0, first = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[first]! >= windowMs) first++;
    most = Math.max(most, i - first + 1);
  }
  return most;
}

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('Teams’ rate limits shared by several instances through Redis', function () {
  this.timeout(30_000);
  let a: TestRedis;
  let b: TestRedis;

  beforeEach(async function () {
    a = await testRedis();
    b = await testRedis();
  });
  afterEach(async function () {
    await b.cleanup();
    await a.cleanup();
  });

  it('two instances sending 200 calls together never let more than 50 through in any second', async function () {
    const one = instance(a.client, a.prefix);
    const other = instance(b.client, a.prefix);
    const byOne: number[] = [];
    const byOther: number[] = [];

    await Promise.all(
      Array.from({ length: 100 }, (_, i) => [
        call(one, [tenant, chat(`a:one-${i}`)], byOne),
        call(other, [tenant, chat(`a:other-${i}`)], byOther),
      ]).flat(),
    );

    assert.equal(byOne.length + byOther.length, 200, 'every call went out in the end');
    // Each instance alone would let 50 through at once: together they must share the 50.
    const most = mostInAnyWindow([...byOne, ...byOther], 1000);
    assert.ok(most <= 50, `${most} calls within one second`);
    assert.ok(byOne.length === 100 && byOther.length === 100);
  });

  it('holds one chat to 7 calls in any second and 8 in any two across instances, in order per instance', async function () {
    const one = instance(a.client, a.prefix);
    const other = instance(b.client, a.prefix);
    const letThrough: number[] = [];
    const order: number[] = [];

    await Promise.all(
      Array.from({ length: 8 }, (_, i) => [
        call(one, [tenant, chat('a:the-same-chat')], letThrough, () => order.push(i)),
        call(other, [tenant, chat('a:the-same-chat')], letThrough),
      ]).flat(),
    );

    assert.equal(letThrough.length, 16);
    assert.ok(mostInAnyWindow(letThrough, 1000) <= 7, `${mostInAnyWindow(letThrough, 1000)} in one second`);
    assert.ok(mostInAnyWindow(letThrough, 2000) <= 8, `${mostInAnyWindow(letThrough, 2000)} in two seconds`);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('a 429 on one instance pauses the tenant on every instance', async function () {
    const one = new SharedRateBudget({ shared: { client: a.client, prefix: a.prefix } });
    const other = instance(b.client, a.prefix);

    await one.pause(TENANT_ID, 700);
    assert.ok((await a.keys()).includes(`${a.prefix}rate:pause:${TENANT_ID}`));
    const asked = Date.now();
    const letThrough: number[] = [];
    await call(other, [tenant, chat('a:elsewhere')], letThrough);

    assert.ok(letThrough[0]! - asked >= 600, `let through ${letThrough[0]! - asked} ms after asking`);
  });

  it('keeps short-lived keys, a chat only as a hash', async function () {
    const one = instance(a.client, a.prefix);
    await call(one, [tenant, chat('a:private-conversation-id')], []);
    await call(one, [tenant, { bucket: 'members', key: 'a:private-conversation-id' }], []);

    const keys = (await a.keys()).sort();
    assert.equal(keys.length, 3, keys.join(', '));
    assert.ok(keys.every((k) => !k.includes('private-conversation-id')));
    assert.ok(keys.some((k) => /rate:chat:[0-9a-f]{64}$/.test(k)));
    assert.ok(keys.some((k) => /rate:members:[0-9a-f]{64}$/.test(k)));
    assert.ok(keys.includes(`${a.prefix}rate:tenant:${TENANT_ID}`));
    const tenantTtl = await a.client.pTTL(`${a.prefix}rate:tenant:${TENANT_ID}`);
    assert.ok(tenantTtl > 0 && tenantTtl <= 15_000, `tenant key TTL ${tenantTtl} ms`);
  });

  it('when Redis fails, calls go out on the local limiter alone, and it is logged once', async function () {
    const { lines, logger } = capturedLogger();
    const broken = await connectRedis({ url: a.url }, createLogger({ level: 'silent' }));
    broken.destroy();
    const alone = instance(broken, a.prefix, logger);
    const letThrough: number[] = [];

    await Promise.all(
      Array.from({ length: 60 }, (_, i) => call(alone, [tenant, chat(`a:c-${i}`)], letThrough)),
    );

    assert.equal(letThrough.length, 60);
    assert.ok(mostInAnyWindow(letThrough, 1000) <= 50, 'the local limiter still holds');
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.event, 'teams.rate-budget.redis-failed');
  });
});
