import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';

/**
 * Tests run against a real Redis server, never a mock: TEST_REDIS_URL when set, else the one on
 * 127.0.0.1:6379, else a `redis-server` the suite starts itself (see mochaHooks in
 * test/support/redis-hooks.ts). Each test uses database 9 and a key prefix of its own, and
 * deletes its keys afterwards.
 */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: the Redis hooks did not run (see .mocharc.json)');
  return url;
}

export interface TestRedis {
  url: string;
  client: RedisClient;
  /** `{hwc-test-<random>}:`, a hash tag as REDIS_KEY_PREFIX wants, so tests never see each other's keys. */
  prefix: string;
  /**
   * The app's settings for this Redis: its URL and prefix, and encryption keys and an idempotency
   * secret made for it. The same for every instance a test starts on it, so each reads what another wrote.
   */
  appEnv: Record<
    'REDIS_URL' | 'REDIS_KEY_PREFIX' | 'CASE_ENCRYPTION_KEYS' | 'INTAKE_IDEMPOTENCY_SECRET',
    string
  >;
  /** Every key under the prefix. */
  keys(): Promise<string[]>;
  /** Deletes every key under the prefix and closes the client. */
  cleanup(): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const url = testRedisUrl();
  const client = await connectRedis({ url }, createLogger({ level: 'silent' }));
  const prefix = `{hwc-test-${randomUUID().slice(0, 8)}}:`;
  const keys = async () => {
    const found: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) found.push(...batch);
    return found;
  };
  return {
    url,
    client,
    prefix,
    appEnv: {
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      CASE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      INTAKE_IDEMPOTENCY_SECRET: randomBytes(32).toString('base64'),
    },
    keys,
    async cleanup() {
      if (client.isReady) {
        const left = await keys();
        if (left.length > 0) await client.unlink(left);
      }
      client.destroy();
    },
  };
}

/** Whether a Redis server answers PING on host:port within a second. */
export function redisAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A redis-server of the test's own, without persistence, for tests that stop and start it. */
export class RedisServerProcess {
  private child: ChildProcess | undefined;

  constructor(readonly port: number) {}

  static available(): boolean {
    return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        // DEBUG SLEEP makes a server that hangs without going down.
        '--enable-debug-command',
        'local',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const deadline = Date.now() + 10_000;
    while (!(await redisAnswers(this.port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('redis-server did not answer within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}
