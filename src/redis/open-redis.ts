import type { RedisSettings } from '../config/app-config';
import { configError } from '../domain/errors';
import type { Logger } from '../logging/logger';
import type { CaseKeyring } from '../store/case-cipher';
import { connectRedis, within, type RedisClient } from './redis-client';
import { redisRequirementProblems } from './redis-requirements';

/** The process's one Redis connection, with what every Redis adapter needs besides it. */
export interface OpenRedis {
  client: RedisClient;
  prefix: string;
  keyring: CaseKeyring;
  idempotencySecret: Buffer;
  /** For /readyz: a PING that answers within a second. */
  ping(): Promise<'ok' | 'unavailable'>;
  close(): Promise<void>;
}

/** How long the start waits for Redis before it gives up with a message that names REDIS_URL. */
const START_TIMEOUT_MS = 15_000;

/**
 * Connects and checks what the bot needs from Redis; a Redis that cannot serve it stops the start
 * (a config error, by setting name). Once started, a Redis that goes away is waited for: the
 * client reconnects by itself, and /readyz says not ready meanwhile.
 */
export async function openRedis(settings: RedisSettings, log: Logger): Promise<OpenRedis> {
  const redisLog = log.child({ component: 'redis' });
  const client = await connectRedis(
    { url: settings.url, ...(settings.entraClientId ? { entraClientId: settings.entraClientId } : {}) },
    redisLog,
    START_TIMEOUT_MS,
  );
  const problems = await redisRequirementProblems(client).catch(() => [
    'REDIS_URL: Redis did not answer INFO, which the bot reads to check the server',
  ]);
  if (problems.length > 0) {
    client.destroy();
    throw configError(problems);
  }
  return {
    client,
    prefix: settings.prefix,
    keyring: settings.keyring,
    idempotencySecret: settings.idempotencySecret,
    async ping() {
      if (!client.isReady) return 'unavailable';
      try {
        await within(client.ping(), 1000, 'ping');
        return 'ok';
      } catch {
        return 'unavailable';
      }
    },
    async close() {
      try {
        await client.close();
      } catch {
        client.destroy();
      }
    },
  };
}
