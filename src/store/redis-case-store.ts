import { RESP_TYPES } from 'redis';
import { z } from 'zod';
import type { Scheduler } from '../app/ports';
import { parentsChoices, type HwcCase } from '../domain/case';
import { signalSources } from '../domain/signal';
import { procedures } from '../domain/school';
import type { Logger } from '../logging/logger';
import { storeCall, type RedisClient } from '../redis/redis-client';
import { openSealed, type CaseKeyring } from './case-cipher';
import { caseEndings, type CaseEnding, type CaseStore, type OldestOpenCase } from './case-store';
import { expiryKey } from './in-memory-case-store';
import { RedisScript } from '../redis/redis-script';

export interface RedisCaseStoreOptions {
  /** The process's shared, connected client; the store never closes it. */
  client: RedisClient;
  keyring: CaseKeyring;
  /** The app's one scheduler, which runs each case's expiry task. */
  scheduler: Scheduler;
  /** Before every key name; default '{hwc}:'. */
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

/** A posted card, as a stored case (or mail draft) remembers it. */
export const storedShell = z.object({
  staffId: z.string(),
  role: z.enum(['coordinator', 'deputy', 'colleague']),
  conversationId: z.string(),
  activityId: z.string(),
  serviceUrl: z.string(),
  teamsUserId: z.string().optional(),
  locale: z.string().optional(),
});

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
  mailSender: z.object({ mailbox: z.string(), address: z.string() }).optional(),
  group: z.string().optional(),
  talk: z
    .object({
      at: date,
      by: staff,
      support: z.object({ optionIds: z.array(z.string()), note: z.string() }),
      nobodyToInform: z.boolean(),
      // A case stored before procedures existed was talk-first.
      procedure: z.enum(procedures).default('talk-first'),
    })
    .optional(),
  colleagues: z.array(
    z.object({
      staff,
      delivery: z.enum(['sending', 'sent', 'unreachable']),
      sentAt: date.optional(),
      acknowledgedAt: date.optional(),
      reminders: z.number(),
      parentsOnly: z.boolean().optional(),
    }),
  ),
  parents: z
    .object({
      choice: z.enum(parentsChoices),
      at: date,
      by: staff.optional(),
      doneAt: date.optional(),
      remindedAt: date.optional(),
    })
    .optional(),
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
  shells: z.array(storedShell),
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
// Every script takes KEYS case, index, tombstone, received and ARGV id, now, margin, then its own.

const PREAMBLE = `
local function ttlAt(exp) return string.format('%.0f', tonumber(exp) + tonumber(ARGV[3])) end
-- The indexes live as long as their latest case and no longer; each is gone with its last member.
local function keepIndex()
  local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if latest[2] then
    redis.call('PEXPIREAT', KEYS[2], ttlAt(latest[2]))
    redis.call('PEXPIREAT', KEYS[4], ttlAt(latest[2]))
  end
end
-- The case's entry in the received index (a case written before the index has no 'sch': none).
local function unreceive()
  local school = redis.call('HGET', KEYS[1], 'sch')
  if school then redis.call('ZREM', KEYS[4], school .. ':' .. ARGV[1]) end
end
`;

/**
 * ARGV 4..9: ver, exp, kid, blob, school id, received (ms). 1, or 0 when the id exists. The school
 * id goes in the clear too (`sch`), so a delete can find the case's entry in the received index.
 */
const CREATE = new RedisScript(`${PREAMBLE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[4], 'exp', ARGV[5], 'kid', ARGV[6], 'blob', ARGV[7], 'sch', ARGV[8])
redis.call('PEXPIREAT', KEYS[1], ttlAt(ARGV[5]))
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[9], ARGV[8] .. ':' .. ARGV[1])
keepIndex()
return 1`);

/**
 * ARGV 4..8: expected ver, next ver, kid, blob, and the new exp when the expiry moves. 1 when
 * stored; 0 when the case is gone, its time has come, or its ver is not the expected one.
 */
const REPLACE = new RedisScript(`${PREAMBLE}
local current = redis.call('HMGET', KEYS[1], 'ver', 'exp')
if not current[1] or not current[2] then return 0 end
if tonumber(current[2]) <= tonumber(ARGV[2]) then return 0 end
if current[1] ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[5], 'kid', ARGV[6], 'blob', ARGV[7])
if ARGV[8] then
  redis.call('HSET', KEYS[1], 'exp', ARGV[8])
  redis.call('PEXPIREAT', KEYS[1], ttlAt(ARGV[8]))
  redis.call('ZADD', KEYS[2], ARGV[8], ARGV[1])
  keepIndex()
end
return 1`);

/** ARGV 4..5, when a tombstone is to be kept: how it ended, until when. */
const DELETE = new RedisScript(`${PREAMBLE}
unreceive()
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
keepIndex()
if ARGV[4] then redis.call('SET', KEYS[3], ARGV[4], 'PXAT', ARGV[5]) end
return 1`);

/**
 * ARGV 4: until when the 'expired' tombstone is kept. The case's ver, kid and blob when its time
 * had come (it is then deleted, and the tombstone written); else nil.
 */
const TAKE_EXPIRED = new RedisScript(`${PREAMBLE}
local current = redis.call('HMGET', KEYS[1], 'exp', 'ver', 'kid', 'blob')
if not current[1] or tonumber(current[1]) > tonumber(ARGV[2]) then return nil end
unreceive()
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
keepIndex()
if ARGV[4] ~= '' then
  redis.call('SET', KEYS[3], 'expired', 'PXAT', ARGV[4])
end
return {current[2] or false, current[3] or false, current[4] or false}`);

/**
 * KEYS: case index, received index. ARGV: now, margin. Flat pairs of school id and received (ms),
 * the oldest open case per school. Entries whose case is gone (Redis dropped it past its margin,
 * its expiry task never ran) are removed on the way; the walk is over a day's open cases.
 */
const OLDEST_OPEN = new RedisScript(`
local seen, found = {}, {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local sep = string.find(member, ':', 1, true)
  local school, id = string.sub(member, 1, sep - 1), string.sub(member, sep + 1)
  local exp = redis.call('ZSCORE', KEYS[1], id)
  if not exp or tonumber(exp) <= tonumber(ARGV[1]) - tonumber(ARGV[2]) then
    redis.call('ZREM', KEYS[2], member)
  elseif tonumber(exp) > tonumber(ARGV[1]) and not seen[school] then
    seen[school] = true
    table.insert(found, school)
    table.insert(found, redis.call('ZSCORE', KEYS[2], member))
  end
end
return found`);

/**
 * Open cases in Redis, shared by every instance, so a restart or a second instance loses none.
 *
 * Keys, each holding only the prefix, fixed words and the case's random id:
 * - `${prefix}case:${id}`: a hash of `ver` (the version), `exp` (expiresAt, ms), `kid` and
 *   `blob` (the case as JSON, AES-256-GCM with the id as AAD); expires at exp + margin.
 * - `${prefix}tomb:${id}`: how the case ended, one word; expires at the tombstone's `until`.
 * - `${prefix}cases`: a sorted set of ids by exp, for `size()`; it expires with its latest case.
 * - `${prefix}received`: a sorted set of `${schoolId}:${id}` by the time the case came in, for
 *   the age of each school's oldest open case (operations); it expires with `cases`.
 *
 * Every write is a Lua script, which Redis runs one at a time, so no other instance's command
 * comes between the check and the write of a compare-and-set. A script may only touch keys of one
 * hash slot on a clustered Redis (Azure Managed Redis is one, with either clustering policy): the
 * prefix is a hash tag (`{hwc}:` by default, REDIS_KEY_PREFIX), which puts every key of the bot in one slot.
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
    this.prefix = options.prefix ?? '{hwc}:';
    this.now = options.now ?? Date.now;
    this.marginMs = options.expiryMarginMs ?? DEFAULT_MARGIN_MS;
    this.log = options.log;
  }

  async create(c: HwcCase, expiresAt: Date): Promise<void> {
    const { kid, blob } = this.seal(c);
    // Both at once, one round trip less before the coordinators' cards go out. An expiry task
    // without its case (the create failed) finds nothing to expire when it falls due.
    const [created] = await Promise.all([
      this.run('create a case', CREATE, c.id, [
        String(c.version),
        String(expiresAt.getTime()),
        kid,
        blob,
        c.schoolId,
        String(c.receivedAt.getTime()),
      ]),
      this.scheduleExpiry(c.id, expiresAt),
    ]);
    // The id alone: an id is random, never the pupil's.
    if (created !== 1) throw new Error(`case id collision: ${c.id}`);
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
    const stored = await this.run('replace a case', REPLACE, next.id, [
      String(expectedVersion),
      String(next.version),
      kid,
      blob,
      ...(expiresAt ? [String(expiresAt.getTime())] : []),
    ]);
    if (stored !== 1) return false;
    if (expiresAt) await this.scheduleExpiry(next.id, expiresAt);
    return true;
  }

  async delete(id: string, ending?: { how: CaseEnding; until: Date }): Promise<void> {
    const bury =
      ending && ending.until.getTime() > this.now()
        ? [ending.how, String(ending.until.getTime() + this.skew())]
        : [];
    await this.run('delete a case', DELETE, id, bury);
    await this.scheduler.cancel(expiryKey(id));
  }

  async takeExpired(id: string, tombstoneUntil: Date): Promise<HwcCase | undefined> {
    const until = tombstoneUntil.getTime();
    const taken = await this.run('take an expired case', TAKE_EXPIRED, id, [
      until > this.now() ? String(until + this.skew()) : '',
    ]);
    // Moved meanwhile (the pupil was absent) and the new time has not come, or gone already.
    if (!Array.isArray(taken)) return undefined;
    const [ver, kid, blob] = taken as unknown[];
    const c =
      Buffer.isBuffer(ver) && Buffer.isBuffer(kid) && Buffer.isBuffer(blob)
        ? this.open(id, ver, kid, blob)
        : undefined;
    if (!c) {
      // Its cards cannot be made neutral now; the id says which case, and nothing more is known.
      this.log?.warn({ caseId: id }, 'an expired case could not be read back; its cards stay as they are');
    }
    return c;
  }

  async ending(id: string): Promise<CaseEnding | undefined> {
    const [how, exp] = (await storeCall('read a tombstone', () =>
      this.client.multi().get(this.tombKey(id)).hGet(this.caseKey(id), 'exp').exec(),
    )) as unknown as [string | null, string | null];
    // Still here, but its time has come: its expiry task has not run yet.
    if (exp !== null && Number(exp) <= this.now()) return 'expired';
    return caseEndings.find((ending) => ending === how);
  }

  /**
   * Key expiry runs on Redis's clock, the case's times on the app's (the same in production; a
   * test's clock may be elsewhere): the difference shifts one to the other.
   */
  private skew(): number {
    return Date.now() - this.now();
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

  async oldestOpen(): Promise<OldestOpenCase[]> {
    const found = await storeCall('find the oldest open cases', () =>
      OLDEST_OPEN.run<unknown>(
        this.client,
        [this.indexKey(), this.receivedKey()],
        [String(this.now()), String(this.marginMs)],
      ),
    );
    const pairs = Array.isArray(found) ? found.map(String) : [];
    const oldest: OldestOpenCase[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      oldest.push({ schoolId: pairs[i] ?? '', receivedAt: new Date(Number(pairs[i + 1])) });
    }
    return oldest;
  }

  /** Leaves Redis as it is: open cases outlive the process, and the client is the app's. */
  close(): void {}

  private run(what: string, script: RedisScript, id: string, more: Array<string | Buffer>): Promise<unknown> {
    return storeCall(what, () =>
      script.run<unknown>(
        this.raw,
        [this.caseKey(id), this.indexKey(), this.tombKey(id), this.receivedKey()],
        // ARGV[3] shifts expiry times from the app's clock to Redis's, with the margin added.
        [id, String(this.now()), String(this.marginMs + this.skew()), ...more],
      ),
    );
  }

  private seal(c: HwcCase): { kid: string; blob: Buffer } {
    return this.keyring.encrypt(JSON.stringify(c), c.id);
  }

  /**
   * The case, or undefined when the stored value cannot be what was written for this id at this
   * version: an unknown key, bytes that do not authenticate (tampered, or copied from another id),
   * JSON that does not fit, or a version or id that differs from the hash's own. It is then treated
   * as gone, and the log says so with the id and the reason, nothing else.
   */
  private open(id: string, ver: Buffer, kid: Buffer, blob: Buffer): HwcCase | undefined {
    const gone = (reason: string) => {
      this.log?.warn({ caseId: id, reason }, 'a stored case could not be read back; it is treated as gone');
      return undefined;
    };
    const opened = openSealed(this.keyring, kid.toString(), blob, id, storedCase);
    if (!opened.ok) return gone(opened.reason === 'does-not-fit' ? 'not-a-case' : opened.reason);
    const c: HwcCase = opened.value;
    if (c.id !== id || String(c.version) !== ver.toString()) return gone('mismatch');
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

  private receivedKey(): string {
    return `${this.prefix}received`;
  }
}
