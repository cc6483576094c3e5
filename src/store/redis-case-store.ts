import { RESP_TYPES } from 'redis';
import { z } from 'zod';
import type { Scheduler } from '../app/ports';
import { parentsChoices, type HwcCase } from '../domain/case';
import { signalSources } from '../domain/signal';
import type { Logger } from '../logging/logger';
import { storeCall, type RedisClient } from '../redis/redis-client';
import { CaseDecryptError, type CaseKeyring } from './case-cipher';
import { caseEndings, type CaseEnding, type CaseStore } from './case-store';
import { expiryKey } from './in-memory-case-store';

export interface RedisCaseStoreOptions {
  /** The process's shared, connected client; the store never closes it. */
  client: RedisClient;
  keyring: CaseKeyring;
  /** The app's one scheduler, which runs each case's expiry task. */
  scheduler: Scheduler;
  /** Before every key name; default 'hwc:'. */
  prefix?: string;
  now?: () => number;
  /**
   * How long Redis keeps a case after its expiry, for an expiry task that runs late (every
   * instance was down); default 30 minutes. Past it, Redis deletes the case by itself.
   */
  expiryMarginMs?: number;
  log?: Logger;
}

const DEFAULT_MARGIN_MS = 30 * 60 * 1000;

/** The same connection, answering bulk strings as Buffers: the blob is binary. */
function buffersOf(client: RedisClient) {
  return client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

const date = z.iso.datetime().transform((value) => new Date(value));
// Not school.ts's staffMemberSchema: a colleague picked by id has an empty name until Teams names them.
const staff = z.object({ id: z.string(), name: z.string() });

/**
 * A decrypted case, with its Dates revived. Unknown fields are dropped rather than refused: a
 * case written by a newer instance during a rolling deploy stays workable.
 */
const storedCase = z.object({
  id: z.string(),
  schoolId: z.string(),
  pupil: z.object({ name: z.string(), birthDate: z.string() }),
  source: z.enum(signalSources),
  receivedAt: date,
  supportDay: z.object({ date: z.string(), lessonStart: date, dayEnd: date }),
  state: z.enum(['received', 'claimed', 'informing', 'closed']),
  claim: z.object({ by: staff, at: date, handedOverBy: staff.optional() }).optional(),
  claimedBeforeLessons: z.boolean().optional(),
  group: z.string().optional(),
  talk: z
    .object({
      at: date,
      by: staff,
      support: z.object({ optionIds: z.array(z.string()), note: z.string() }),
      nobodyToInform: z.boolean(),
    })
    .optional(),
  colleagues: z.array(
    z.object({
      staff,
      delivery: z.enum(['sending', 'sent', 'unreachable']),
      sentAt: date.optional(),
      acknowledgedAt: date.optional(),
      reminders: z.number(),
    }),
  ),
  parents: z.object({ choice: z.enum(parentsChoices), at: date }).optional(),
  absences: z.number(),
  escalatedAt: date.optional(),
  reminderRounds: z.number(),
  autoRemindedAt: date.optional(),
  closed: z
    .object({
      reason: z.enum(['not-our-pupil', 'completed', 'closed-early', 'pupil-absent']),
      by: staff.optional(),
      at: date,
    })
    .optional(),
  shells: z.array(
    z.object({
      staffId: z.string(),
      role: z.enum(['coordinator', 'deputy', 'colleague']),
      conversationId: z.string(),
      activityId: z.string(),
      serviceUrl: z.string(),
      teamsUserId: z.string().optional(),
      locale: z.string().optional(),
    }),
  ),
  version: z.number().int(),
});

// A field added to HwcCase but not to the schema above would be dropped on every read: this stops
// the build instead. Paths of every (nested) field, compared both ways.
type FieldPaths<T> = T extends Date
  ? never
  : T extends readonly (infer E)[]
    ? FieldPaths<E>
    : T extends object
      ? { [K in keyof T & string]-?: K | `${K}.${FieldPaths<NonNullable<T[K]>>}` }[keyof T & string]
      : never;
type Missing<A, B> = Exclude<FieldPaths<A>, FieldPaths<B>>;
const _schemaCoversEveryField: [Missing<HwcCase, z.output<typeof storedCase>>] extends [never]
  ? [Missing<z.output<typeof storedCase>, HwcCase>] extends [never]
    ? true
    : false
  : false = true;

// Hash fields: ver and exp in the clear for the scripts (numbers, no pupil data); kid and blob.
// `now` and the expiry come from the caller's clock, as in the in-memory store, not from Redis.

/**
 * Lua: puts id at score exp in the index (KEYS[2]) and keeps the index until the last of its cases
 * is gone. GT alone would never set a TTL on an index without one: it counts that as infinite.
 */
const INDEX = (id: string, exp: string, ttlAt: string) => `
redis.call('ZADD', KEYS[2], ${exp}, ${id})
if redis.call('PTTL', KEYS[2]) == -1 then
  redis.call('PEXPIREAT', KEYS[2], ${ttlAt})
else
  redis.call('PEXPIREAT', KEYS[2], ${ttlAt}, 'GT')
end`;

/** KEYS: case, index. ARGV: id, ver, exp, ttlAt, kid, blob. 1, or 0 when the id exists. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'exp', ARGV[3], 'kid', ARGV[5], 'blob', ARGV[6])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
${INDEX('ARGV[1]', 'ARGV[3]', 'ARGV[4]')}
return 1`;

/**
 * KEYS: case, index. ARGV: id, expected ver, now, next ver, kid, blob, and when the expiry moves:
 * exp, ttlAt. 1 when stored; 0 when the case is gone, its time has come, or its ver differs.
 */
const REPLACE = `
local current = redis.call('HMGET', KEYS[1], 'ver', 'exp')
if not current[1] or not current[2] then return 0 end
if tonumber(current[2]) <= tonumber(ARGV[3]) then return 0 end
if current[1] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[4], 'kid', ARGV[5], 'blob', ARGV[6])
if ARGV[7] then
  redis.call('HSET', KEYS[1], 'exp', ARGV[7])
  redis.call('PEXPIREAT', KEYS[1], ARGV[8])
  ${INDEX('ARGV[1]', 'ARGV[7]', 'ARGV[8]')}
end
return 1`;

/**
 * KEYS: case, index, tombstone. ARGV: id, now, tombstone until. The case's ver, kid and blob
 * when its time had come (it is then deleted and an 'expired' tombstone written); else nil.
 */
const TAKE_EXPIRED = `
local current = redis.call('HMGET', KEYS[1], 'exp', 'ver', 'kid', 'blob')
if not current[1] or tonumber(current[1]) > tonumber(ARGV[2]) then return nil end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if tonumber(ARGV[3]) > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[3], 'expired', 'PXAT', ARGV[3])
end
return {current[2] or false, current[3] or false, current[4] or false}`;

/**
 * Open cases in Redis, shared by every instance, so a restart or a second instance loses none.
 *
 * Keys, each holding only the prefix, fixed words and the case's random id:
 * - `${prefix}case:${id}`: a hash of `ver` (the version), `exp` (expiresAt, ms), `kid` and `blob`
 *   (the case as JSON, AES-256-GCM with the id as AAD); expires at exp + margin.
 * - `${prefix}tomb:${id}`: how the case ended, one word; expires at the tombstone's `until`.
 * - `${prefix}cases`: a sorted set of ids by exp, for `size()`; it expires with the last case.
 *
 * Writes that must not interleave with another instance's (create, the compare-and-set of
 * replace, takeExpired) are Lua scripts, which Redis runs one at a time.
 */
export class RedisCaseStore implements CaseStore {
  private readonly client: RedisClient;
  private readonly raw: ReturnType<typeof buffersOf>;
  private readonly keyring: CaseKeyring;
  private readonly scheduler: Scheduler;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly marginMs: number;
  private readonly log: Logger | undefined;

  constructor(options: RedisCaseStoreOptions) {
    this.client = options.client;
    this.raw = buffersOf(options.client);
    this.keyring = options.keyring;
    this.scheduler = options.scheduler;
    this.prefix = options.prefix ?? 'hwc:';
    this.now = options.now ?? Date.now;
    this.marginMs = options.expiryMarginMs ?? DEFAULT_MARGIN_MS;
    this.log = options.log;
  }

  async create(c: HwcCase, expiresAt: Date): Promise<void> {
    const exp = expiresAt.getTime();
    const { kid, blob } = this.seal(c);
    const created = await storeCall('create a case', () =>
      this.client.eval(CREATE, {
        keys: [this.caseKey(c.id), this.indexKey()],
        arguments: [c.id, String(c.version), String(exp), String(exp + this.marginMs), kid, blob],
      }),
    );
    // The id alone: an id is random, never the pupil's.
    if (created !== 1) throw new Error(`case id collision: ${c.id}`);
    await this.scheduleExpiry(c.id, expiresAt);
  }

  async get(id: string): Promise<HwcCase | undefined> {
    const [ver, exp, kid, blob] = await storeCall('read a case', () =>
      this.raw.hmGet(this.caseKey(id), ['ver', 'exp', 'kid', 'blob']),
    );
    if (!ver || !exp || !kid || !blob) return undefined;
    if (Number(exp.toString()) <= this.now()) return undefined;
    return this.open(id, ver, kid, blob);
  }

  async replace(expectedVersion: number, next: HwcCase, expiresAt?: Date): Promise<boolean> {
    const { kid, blob } = this.seal(next);
    const moved = expiresAt ? [String(expiresAt.getTime()), String(expiresAt.getTime() + this.marginMs)] : [];
    const stored = await storeCall('replace a case', () =>
      this.client.eval(REPLACE, {
        keys: [this.caseKey(next.id), this.indexKey()],
        arguments: [
          next.id,
          String(expectedVersion),
          String(this.now()),
          String(next.version),
          kid,
          blob,
          ...moved,
        ],
      }),
    );
    if (stored !== 1) return false;
    if (expiresAt) await this.scheduleExpiry(next.id, expiresAt);
    return true;
  }

  async delete(id: string, ending?: { how: CaseEnding; until: Date }): Promise<void> {
    const buryUntil = ending && ending.until.getTime() > this.now() ? ending.until.getTime() : undefined;
    await storeCall('delete a case', () => {
      const multi = this.client.multi().del(this.caseKey(id)).zRem(this.indexKey(), id);
      if (ending && buryUntil !== undefined) {
        multi.set(this.tombKey(id), ending.how, { expiration: { type: 'PXAT', value: buryUntil } });
      }
      return multi.exec();
    });
    await this.scheduler.cancel(expiryKey(id));
  }

  async takeExpired(id: string, tombstoneUntil: Date): Promise<HwcCase | undefined> {
    const taken = await storeCall('take an expired case', () =>
      this.raw.eval(TAKE_EXPIRED, {
        keys: [this.caseKey(id), this.indexKey(), this.tombKey(id)],
        arguments: [id, String(this.now()), String(tombstoneUntil.getTime())],
      }),
    );
    // Moved meanwhile (the pupil was absent) and the new time has not come, or gone already.
    if (!Array.isArray(taken)) return undefined;
    const [ver, kid, blob] = taken as unknown[];
    const c =
      Buffer.isBuffer(ver) && Buffer.isBuffer(kid) && Buffer.isBuffer(blob)
        ? this.open(id, ver, kid, blob)
        : undefined;
    if (!c) {
      // Its cards cannot be made neutral now; the ids say which case, and nothing more is known.
      this.log?.warn({ caseId: id }, 'an expired case could not be read back; its cards stay as they are');
    }
    return c;
  }

  async ending(id: string): Promise<CaseEnding | undefined> {
    const how = await storeCall('read a tombstone', () => this.client.get(this.tombKey(id)));
    return caseEndings.find((ending) => ending === how);
  }

  /** Open cases; one whose time has come but whose expiry has not run yet is not counted. */
  async size(): Promise<number> {
    const now = this.now();
    const [, open] = await storeCall('count the cases', () =>
      this.client
        .multi()
        // Ids whose case Redis has deleted by itself (its expiry task never ran) go too.
        .zRemRangeByScore(this.indexKey(), '-inf', `(${now - this.marginMs}`)
        .zCount(this.indexKey(), `(${now}`, '+inf')
        .exec(),
    );
    return Number(open);
  }

  /** Leaves Redis as it is: open cases outlive the process, and the client is the app's. */
  close(): void {}

  private seal(c: HwcCase): { kid: string; blob: Buffer } {
    return this.keyring.encrypt(JSON.stringify(c), c.id);
  }

  /**
   * The case, or undefined when the stored value cannot be what was written for this id at this
   * version: an unknown key, bytes that do not authenticate (tampered, or copied from another id),
   * JSON that does not fit, or a version or id that differs from the hash's own.
   */
  private open(id: string, ver: Buffer, kid: Buffer, blob: Buffer): HwcCase | undefined {
    let plaintext: Buffer;
    try {
      plaintext = this.keyring.decrypt(kid.toString(), blob, id);
    } catch (error) {
      if (error instanceof CaseDecryptError) return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(plaintext.toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = storedCase.safeParse(json);
    if (!parsed.success) return undefined;
    const c: HwcCase = parsed.data;
    if (c.id !== id || String(c.version) !== ver.toString()) return undefined;
    return c;
  }

  private scheduleExpiry(id: string, expiresAt: Date): Promise<void> {
    return this.scheduler.schedule(expiryKey(id), expiresAt, { kind: 'expire', caseId: id });
  }

  private caseKey(id: string): string {
    return `${this.prefix}case:${id}`;
  }

  private tombKey(id: string): string {
    return `${this.prefix}tomb:${id}`;
  }

  private indexKey(): string {
    return `${this.prefix}cases`;
  }
}
