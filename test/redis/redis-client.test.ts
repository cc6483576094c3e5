import assert from 'node:assert/strict';
import { HwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, storeCall, type RedisClient } from '../../src/redis/redis-client';
import { redisRequirementProblems } from '../../src/redis/redis-requirements';
import { freePort, RedisServerProcess, testRedisUrl } from '../support/redis';

describe('the Redis connection', function () {
  this.timeout(20_000);
  let server: RedisServerProcess | undefined;
  let clients: RedisClient[];
  const silent = createLogger({ level: 'silent' });

  beforeEach(() => {
    clients = [];
  });
  afterEach(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
    server = undefined;
  });

  async function ownServer(this: Mocha.Context): Promise<RedisServerProcess> {
    if (!RedisServerProcess.available()) this.skip();
    server = new RedisServerProcess(await freePort());
    await server.start();
    return server;
  }

  it('fails a call on a Redis that hangs without going down, then reconnects by itself', async function () {
    const s = await ownServer.call(this);
    const client = await connectRedis({ url: s.url, socketTimeoutMs: 1000, pingIntervalMs: 300 }, silent);
    const blocker = await connectRedis({ url: s.url }, silent);
    clients.push(client, blocker);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await client.ping(), 'PONG', 'an idle connection stays open: its pings answer');

    void blocker.sendCommand(['DEBUG', 'SLEEP', '3']).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assert.rejects(
      storeCall('read', () => client.get('x')),
      (error: HwcError) => error.code === 'store.unavailable',
    );
    const deadline = Date.now() + 10_000;
    while (!client.isReady) {
      assert.ok(Date.now() < deadline, 'reconnected');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(await client.ping(), 'PONG');
  });

  it('gives up starting, naming REDIS_URL, when Redis does not answer, and keeps no connection trying', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      connectRedis({ url: `redis://127.0.0.1:${port}` }, silent, 500),
      (error: HwcError) =>
        error.code === 'config.invalid' && /REDIS_URL: no answer from Redis/.test(error.message),
    );
    assert.ok(Date.now() - started < 5_000);
  });

  it('accepts a Redis 7 with maxmemory-policy noeviction', async () => {
    const client = await connectRedis({ url: testRedisUrl() }, silent);
    clients.push(client);
    assert.deepEqual(await redisRequirementProblems(client), []);
  });

  it('refuses a Redis whose eviction policy could drop open signals', async function () {
    const s = await ownServer.call(this);
    const client = await connectRedis({ url: s.url }, silent);
    clients.push(client);
    await client.configSet('maxmemory-policy', 'allkeys-lru');
    const problems = await redisRequirementProblems(client);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /maxmemory-policy is allkeys-lru; it must be noeviction/);
  });
});
