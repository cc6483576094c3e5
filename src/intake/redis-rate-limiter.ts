import { createHash, createHmac } from 'node:crypto';
import { storeCall, type RedisClient } from '../redis/redis-client';
import type { AsyncRateLimiter, RateDecision } from './rate-limiter';
import { RedisScript } from '../redis/redis-script';

export interface RedisRateLimiterOptions {
  /** The process's shared, connected client; the limiter never closes it. */
  client: RedisClient;
  /** Which budget this is, in the key name: 'intake-sender', 'intake-failed-auth', 'stats-failed-auth'. */
  name: string;
  /** Requests per minute per key, in a burst, refilled evenly over the minute. */
  perMinute: number;
  /** Before every key name; default '{hwc}:'. */
  prefix?: string;
  /**
   * Hashes the keys (client addresses, sender ids) into key names with an HMAC. Without it a plain
   * SHA-256, which an IPv4 address can be guessed back from: pass the configured secret.
   */
  keySecret?: Buffer;
}

/**
 * KEYS: bucket. ARGV: perMinute, ttl ms. {1, 0} when a request was taken, else {0, seconds to wait}.
 * The time is Redis's own, so instances whose clocks differ still refill one bucket alike.
 */
const TAKE = new RedisScript(`
local capacity = tonumber(ARGV[1])
local perMs = capacity / 60000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if state[1] and state[2] then
  tokens = math.min(capacity, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * perMs)
end
local taken = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait = math.max(1, math.ceil((1 - tokens) / perMs / 1000))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {taken, wait}`);

/** An untouched bucket is full again after a minute, so it can go then: a missing one is full. */
const BUCKET_TTL_MS = 61_000;

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The token bucket of MemoryRateLimiter, shared by every instance: one hash per key,
 * `${prefix}rate:${name}:${hex}` with `tokens` and `at`, taken in one Lua script (Redis runs
 * scripts one at a time, so two instances never spend the same token). The hex is an HMAC (or
 * SHA-256) of the key, so no client address or sender id is in a key name.
 */
export class RedisRateLimiter implements AsyncRateLimiter {
  private readonly client: RedisClient;
  private readonly perMinute: number;
  private readonly keyPrefix: string;
  private readonly hashKey: (key: string) => string;

  constructor(options: RedisRateLimiterOptions) {
    if (!NAME.test(options.name))
      throw new RangeError('a rate limit name is lowercase letters, digits and dashes');
    if (!Number.isInteger(options.perMinute) || options.perMinute < 1)
      throw new RangeError('a rate limit needs at least 1 request per minute, a whole number');
    this.client = options.client;
    this.perMinute = options.perMinute;
    this.keyPrefix = `${options.prefix ?? '{hwc}:'}rate:${options.name}:`;
    const secret = options.keySecret;
    if (secret) {
      // A key of its own, so this HMAC never equals one made with the same secret elsewhere.
      const own = createHmac('sha256', secret).update('hwc rate-limit key names').digest();
      this.hashKey = (key) => createHmac('sha256', own).update(key, 'utf8').digest('hex');
    } else {
      this.hashKey = (key) => createHash('sha256').update(key, 'utf8').digest('hex');
    }
  }

  async take(key: string): Promise<RateDecision> {
    const reply = await storeCall('take from a rate limit', () =>
      TAKE.run(
        this.client,
        [this.keyPrefix + this.hashKey(key)],
        [String(this.perMinute), String(BUCKET_TTL_MS)],
      ),
    );
    if (!Array.isArray(reply) || reply.length !== 2)
      throw new TypeError('the rate limit script answered in an unexpected form');
    const [taken, wait] = reply.map(Number);
    if (taken === 1) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, wait ?? 1) };
  }
}
