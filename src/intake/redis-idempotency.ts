import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HwcError } from '../domain/errors';
import { storeCall, type RedisClient } from '../redis/redis-client';
import {
  sameFingerprint,
  type IdempotencyClaim,
  type IdempotencyStore,
  type StoredResponse,
} from './idempotency';
import { RedisScript } from '../redis/redis-script';

/** The setting the shared HMAC secret comes from, for error messages. */
export const IDEMPOTENCY_SECRET_SETTING = 'INTAKE_IDEMPOTENCY_SECRET';
export const MIN_IDEMPOTENCY_SECRET_BYTES = 32;

export interface RedisIdempotencyStoreOptions {
  /** The process's shared, connected client; the store never closes it. */
  client: RedisClient;
  /**
   * INTAKE_IDEMPOTENCY_SECRET, the same on every instance (at least 32 bytes): it keys the HMACs
   * of the fingerprints and of the key names, so neither can be tested against guesses.
   */
  secret: Buffer;
  /** Before every key name; default '{hwc}:'. */
  prefix?: string;
  /** How long a final answer is kept; default 24 hours. */
  ttlMs?: number;
  /** How long a claim holds while its request is worked on; default 2 minutes. */
  pendingTtlMs?: number;
  /** How often a request looks again for another instance's answer; default 100 ms. */
  pollIntervalMs?: number;
  /** How long it looks at most before answering 'busy'; default 30 seconds. */
  maxWaitMs?: number;
}

const hex = z.string().regex(/^[0-9a-f]{64}$/);
const storedResponse = z.object({
  status: z.number().int(),
  body: z.string(),
  headers: z.record(z.string(), z.string()),
});
// Unknown fields are dropped, not refused: a record of a newer instance in a rolling deploy still reads.
const storedRecord = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending'), fingerprint: hex }),
  z.object({ state: z.literal('done'), fingerprint: hex, answer: storedResponse }),
]);

/**
 * KEYS: record. ARGV: pending marker, its ttl ms. Nil when the marker was set (the claim is ours),
 * else the record that is there. A script rather than SET NX GET, which needs Redis 7.
 */
const CLAIM = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false`);

/**
 * KEYS: record. ARGV: our pending marker, the done record ('' to forget the key), its ttl ms.
 * Never overwrites a claim another instance made after ours had expired.
 */
const SETTLE = new RedisScript(`
local current = redis.call('GET', KEYS[1])
if ARGV[2] == '' then
  if current == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 1
end
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`);

interface InFlight {
  fingerprint: Buffer;
  answer: Promise<StoredResponse>;
}

/**
 * The Idempotency-Key answers, shared by every instance. One string per (sender, key):
 * `${prefix}idem:${hex HMAC of the scope}` holding JSON `{state, fingerprint, answer?}`: the scope
 * holds the sender id and the client's key, so only its HMAC is in the key name.
 *
 * A claim sets a pending marker (only if there is no record) that expires after `pendingTtlMs`,
 * should its instance die. A request that finds another instance's marker looks again every
 * `pollIntervalMs` until the answer is there, or the marker is gone (the first request failed
 * and was forgotten: this one then claims the key itself), or `maxWaitMs` has passed ('busy').
 * Duplicates within this instance wait for the first without asking Redis, as in memory.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly client: RedisClient;
  private readonly keyPrefix: string;
  private readonly fingerprintKey: Buffer;
  private readonly scopeKey: Buffer;
  private readonly ttlMs: number;
  private readonly pendingTtlMs: number;
  private readonly pollIntervalMs: number;
  private readonly maxWaitMs: number;
  private readonly inFlight = new Map<string, InFlight>();

  constructor(options: RedisIdempotencyStoreOptions) {
    if (!Buffer.isBuffer(options.secret) || options.secret.length < MIN_IDEMPOTENCY_SECRET_BYTES)
      throw new HwcError(
        'config.invalid',
        `${IDEMPOTENCY_SECRET_SETTING} must be at least ${MIN_IDEMPOTENCY_SECRET_BYTES} bytes`,
      );
    this.client = options.client;
    this.keyPrefix = `${options.prefix ?? '{hwc}:'}idem:`;
    // Two keys of their own, so a fingerprint never equals a key name made from the same text.
    this.fingerprintKey = createHmac('sha256', options.secret).update('hwc idempotency fingerprint').digest();
    this.scopeKey = createHmac('sha256', options.secret).update('hwc idempotency key name').digest();
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.pendingTtlMs = options.pendingTtlMs ?? 2 * 60 * 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.maxWaitMs = options.maxWaitMs ?? 30_000;
    for (const [name, value] of Object.entries({
      ttlMs: this.ttlMs,
      pendingTtlMs: this.pendingTtlMs,
      pollIntervalMs: this.pollIntervalMs,
      maxWaitMs: this.maxWaitMs,
    })) {
      if (!Number.isInteger(value) || value < 1)
        throw new HwcError('config.invalid', `idempotency ${name} must be a positive whole number`);
    }
  }

  fingerprint(canonicalBody: string): Buffer {
    return createHmac('sha256', this.fingerprintKey).update(canonicalBody, 'utf8').digest();
  }

  async claim(scope: string, fingerprint: Buffer): Promise<IdempotencyClaim> {
    const key = this.keyPrefix + createHmac('sha256', this.scopeKey).update(scope, 'utf8').digest('hex');
    const marker = JSON.stringify({
      state: 'pending',
      fingerprint: fingerprint.toString('hex'),
      // Tells this claim's marker from a later one of the same request, for settle.
      owner: randomBytes(16).toString('hex'),
    });
    const deadline = performance.now() + this.maxWaitMs;
    for (;;) {
      const local = this.inFlight.get(key);
      if (local) {
        return sameFingerprint(local.fingerprint, fingerprint)
          ? { kind: 'replay', answer: local.answer }
          : { kind: 'mismatch' };
      }
      const current = await storeCall('claim an Idempotency-Key', () =>
        CLAIM.run(this.client, [key], [marker, String(this.pendingTtlMs)]),
      );
      if (current === null) return this.newClaim(key, marker, fingerprint);
      const record = readRecord(current);
      if (!sameFingerprint(Buffer.from(record.fingerprint, 'hex'), fingerprint)) return { kind: 'mismatch' };
      if (record.state === 'done') return { kind: 'replay', answer: Promise.resolve(record.answer) };
      if (performance.now() + this.pollIntervalMs > deadline) return { kind: 'busy' };
      await sleep(this.pollIntervalMs);
    }
  }

  private newClaim(key: string, marker: string, fingerprint: Buffer): IdempotencyClaim {
    let resolve!: (answer: StoredResponse) => void;
    const entry: InFlight = { fingerprint, answer: new Promise<StoredResponse>((r) => (resolve = r)) };
    this.inFlight.set(key, entry);
    let settled = false;
    return {
      kind: 'new',
      settle: async (answer, keep) => {
        if (settled) return;
        settled = true;
        // Waiters here get the answer whatever happens to Redis next.
        resolve(answer);
        if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
        const done = keep
          ? JSON.stringify({ state: 'done', fingerprint: fingerprint.toString('hex'), answer })
          : '';
        await storeCall('settle an Idempotency-Key', () =>
          SETTLE.run(this.client, [key], [marker, done, String(this.ttlMs)]),
        );
      },
    };
  }
}

function readRecord(value: unknown): z.infer<typeof storedRecord> {
  let parsed: unknown;
  try {
    parsed = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch {
    parsed = undefined;
  }
  const record = storedRecord.safeParse(parsed);
  // Neither the record nor its key name is quoted: the message stays free of anything sent.
  if (!record.success) throw new Error('an Idempotency-Key record in Redis is not readable');
  return record.data;
}
