import { ManagedIdentityCredential } from '@azure/identity';
import {
  DEFAULT_TOKEN_MANAGER_CONFIG,
  EntraIdCredentialsProviderFactory,
  REDIS_SCOPE_DEFAULT,
} from '@redis/entraid';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createClient } from 'redis';
import { HwcError, isHwcError } from '../domain/errors';
import { errorSummary } from '../logging/error-summary';
import type { Logger } from '../logging/logger';

/** The node-redis client every Redis adapter of a process shares. */
export type RedisClient = ReturnType<typeof newClient>;

export interface RedisConnectionSettings {
  /** `redis://` or `rediss://`, with a password in it or none (Entra sign-in). */
  url: string;
  /** Sign in to Azure Managed Redis with Microsoft Entra, as this user-assigned managed identity. */
  entraClientId?: string;
  /**
   * A Redis that hangs (not down, just silent) is noticed when nothing came back for this long,
   * pings included (default 15 s): the socket is then closed, waiting commands fail (a 503 or a
   * 'try again' card) and the client reconnects. node-redis's command timeout covers only the
   * wait before a command is written, not the wait for its answer.
   */
  socketTimeoutMs?: number;
  /** How often an idle connection is pinged (default 5 s), well inside socketTimeoutMs. */
  pingIntervalMs?: number;
  /** The longest wait before a reconnect (default 2 s). */
  maxReconnectDelayMs?: number;
}

/**
 * Opens the connection every Redis adapter of one process shares. Commands fail at once while
 * the connection is down (no offline queue), so a request gets its 503 or 'try again' card at
 * once instead of waiting; the client reconnects by itself.
 */
/** `startTimeoutMs`: how long the first connection may take before the start gives up. */
export async function connectRedis(
  settings: RedisConnectionSettings,
  log: Logger,
  startTimeoutMs = 15_000,
): Promise<RedisClient> {
  const client = newClient(settings, log);
  let down = false;
  // Without a listener an 'error' event would end the process; the URL (with its password) is never logged.
  client.on('error', (error: unknown) => {
    if (!down) log.warn(errorSummary(error), 'Redis connection lost; reconnecting');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('Redis connection restored');
    down = false;
  });
  try {
    await within(client.connect(), startTimeoutMs, 'connect');
  } catch (error) {
    // Else it would go on reconnecting, and keep the process alive, after the start gave up.
    client.destroy();
    if (error instanceof RedisTimeout) {
      throw new HwcError(
        'config.invalid',
        `REDIS_URL: no answer from Redis within ${startTimeoutMs / 1000} s`,
      );
    }
    throw error;
  }
  return client;
}

function newClient(settings: RedisConnectionSettings, log: Logger) {
  const maxDelay = settings.maxReconnectDelayMs ?? 2000;
  return createClient({
    url: settings.url,
    disableOfflineQueue: true,

    pingInterval: settings.pingIntervalMs ?? 5_000,
    socket: {
      connectTimeout: 5000,
      socketTimeout: settings.socketTimeoutMs ?? 15_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), maxDelay),
    },
    ...(settings.entraClientId
      ? {
          credentialsProvider: EntraIdCredentialsProviderFactory.createForDefaultAzureCredential({
            credential: new ManagedIdentityCredential({ clientId: settings.entraClientId }),
            scopes: REDIS_SCOPE_DEFAULT,
            tokenManagerConfig: DEFAULT_TOKEN_MANAGER_CONFIG,
            onReAuthenticationError: (error: unknown) =>
              log.error(errorSummary(error), 'Redis: renewing the Entra sign-in failed'),
          }),
        }
      : {}),
  });
}

/**
 * Runs a store call; a failure of Redis itself becomes 'store.unavailable', without its message.
 * Within a traced request or task it is a Redis dependency span named by `what` (fixed words,
 * never a key or an argument). The distro does not instrument node-redis 6; and a call outside
 * any trace (the scheduler's polls, twice a second) makes no span, which would only be noise.
 */
export async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  if (!trace.getSpan(context.active())) return runStoreCall(what, call);
  // Asked for each call, not kept: a tracer kept across a telemetry restart would write to the old provider.
  return trace.getTracer('handle-with-care/redis').startActiveSpan(
    `redis: ${what}`,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system': 'redis', 'db.system.name': 'redis', 'db.operation.name': what },
    },
    async (span) => {
      try {
        return await runStoreCall(what, call);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'store.unavailable' });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

async function runStoreCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isHwcError(error)) throw error;
    throw new HwcError('store.unavailable', `Redis did not answer: ${what}`, { cause: error });
  }
}

/** Rejects with a timeout when `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeout(what)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

/** What `within` rejects with. */
export class RedisTimeout extends Error {
  constructor(what: string) {
    super(`Redis did not answer in time: ${what}`);
    this.name = 'RedisTimeout';
  }
}
