import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ScheduledTask, Scheduler, TaskRunner } from '../app/ports';
import { isHwcError } from '../domain/errors';
import { errorSummary } from '../logging/error-summary';
import { createLogger, type Logger } from '../logging/logger';
import { storeCall, type RedisClient } from '../redis/redis-client';
import { RedisScript } from '../redis/redis-script';
import { caseEndings } from '../store/case-store';

export interface RedisSchedulerOptions {
  /** The connection the process's Redis adapters share. */
  client: RedisClient;
  /** Put before every key (default '{hwc}:'). */
  prefix?: string;
  /** The wall clock in ms; tests move it. */
  now?: () => number;
  /** How often an instance looks for due tasks (default 500 ms). */
  pollIntervalMs?: number;
  /**
   * How long a claimed task is left to the instance that claimed it (default 60 s): longer than any
   * task takes, since another instance runs a task again once its lease ran out.
   */
  leaseMs?: number;
  /**
   * How long a record is kept after its due time (default 30 min), so that a task whose time passed
   * while every instance was down still runs when one comes back within this margin.
   */
  keepAfterDueMs?: number;
  /** Runs of a failing task before it is dropped and `onError` told (default 5). */
  maxAttempts?: number;
  /** The most tasks one instance runs at once, and so claims in one poll (default 50). */
  batchSize?: number;
  /** Told of a task that was dropped: its key (ids and fixed words only) and why. */
  onError?: (key: string, error: unknown) => void;
  log?: Logger;
}

const nonEmpty = z.string().min(1);

const taskSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('escalate'), caseId: nonEmpty }),
  z.object({ kind: z.literal('remind'), caseId: nonEmpty }),
  z.object({ kind: z.literal('expire'), caseId: nonEmpty }),
  z.object({ kind: z.literal('parents-remind'), caseId: nonEmpty }),
  z.object({ kind: z.literal('inform'), caseId: nonEmpty }),
  z.object({
    kind: z.literal('cleanup-retry'),
    key: nonEmpty,
    card: z.object({
      message: z.object({ conversationId: z.string(), activityId: z.string(), serviceUrl: z.string() }),
      locale: z.string().optional(),
      ending: z.enum(caseEndings).optional(),
      attempts: z.number().int().min(0),
    }),
  }),
  z.object({ kind: z.literal('mail-draft-expire'), draftId: nonEmpty }),
]) satisfies z.ZodType<ScheduledTask>;

/**
 * `token` is new with every `schedule`, so that a run can tell its own record from one written
 * under the same key while it ran, even when the task and its attempts are the same.
 */
const recordSchema = z.object({ task: taskSchema, attempts: z.number().int().min(0), token: z.string() });

type TaskRecord = z.infer<typeof recordSchema>;

/** A due task this instance holds the lease of: the record as it was read, and the lease's end. */
interface Claim {
  key: string;
  raw: string;
  leaseUntil: number;
}

/**
 * Claims the due members, earliest first: each one's score moves to the end of its lease, so no
 * other instance takes it before then. A member whose record is gone (its time plus the margin
 * passed) is removed and returned apart, to be reported.
 * KEYS: due. ARGV: now, lease end, limit, record key prefix, group key prefix.
 */
const CLAIM = new RedisScript(`
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local claimed, expired = {}, {}
for _, key in ipairs(members) do
  local record = redis.call('GET', ARGV[4] .. key)
  if record then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[2], key)
    claimed[#claimed + 1] = key
    claimed[#claimed + 1] = record
  else
    redis.call('ZREM', KEYS[1], key)
    local colon = string.find(key, ':', 1, true)
    redis.call('SREM', ARGV[5] .. (colon and string.sub(key, 1, colon) or key), key)
    expired[#expired + 1] = key
  end
end
return {claimed, expired}
`);

/**
 * Whether the caller still holds the lease: the record is the one it claimed (not rescheduled or
 * cancelled since) and the score is its lease's end (no other instance claimed it after the lease
 * ran out). KEYS: due, record. ARGV: key, claimed record, lease end.
 */
const STILL_OURS = `
local function stillOurs()
  if redis.call('GET', KEYS[2]) ~= ARGV[2] then return false end
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  return score ~= false and tonumber(score) == tonumber(ARGV[3])
end
`;

/** Removes a task that ran (or is dropped), if still ours. KEYS: due, record, group. */
const RELEASE = new RedisScript(`${STILL_OURS}
if not stillOurs() then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return 1
`);

/**
 * Puts a failed task back for another try, if still ours: its record keeps its expiry, so the
 * retries end with the margin too. KEYS: due, record. ARGV: …, new record, next try.
 */
const RETRY = new RedisScript(`${STILL_OURS}
if not stillOurs() then return 0 end
redis.call('SET', KEYS[2], ARGV[4], 'KEEPTTL')
redis.call('ZADD', KEYS[1], 'XX', ARGV[5], ARGV[1])
return 1
`);

/**
 * Writes a task in one step, replacing any under its key; the group's expiry only ever grows, so
 * the group outlives its longest-lived member. KEYS: due, record, group. ARGV: key, record, due,
 * record expiry.
 */
const SCHEDULE = new RedisScript(`
redis.call('SET', KEYS[2], ARGV[2], 'PXAT', ARGV[4])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('PEXPIRETIME', KEYS[3]) < tonumber(ARGV[4]) then
  redis.call('PEXPIREAT', KEYS[3], ARGV[4])
end
return 1
`);

/**
 * Cancels a group's keys that start with a prefix (all of them for the group itself).
 * KEYS: due, group. ARGV: record key prefix, key prefix.
 */
const CANCEL = new RedisScript(`
local cancelled = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if string.sub(key, 1, #ARGV[2]) == ARGV[2] then
    redis.call('ZREM', KEYS[1], key)
    redis.call('DEL', ARGV[1] .. key)
    redis.call('SREM', KEYS[2], key)
    cancelled = cancelled + 1
  end
end
return cancelled
`);

/**
 * The scheduler shared by every instance of the bot on one Redis, so follow-ups survive a restart
 * and run where there is an instance to run them.
 *
 * Tasks wait in a sorted set by due time (`sched:due`), their records in keys of their own
 * (`sched:task:<key>`, JSON) and their keys per group (`sched:group:<group>`) for `cancel`. Each
 * poll claims the due tasks in one Lua script, pushing their score to the end of a lease; a task
 * that ran is removed only if it is still the one claimed, so one scheduled while it ran stands.
 * A failed task comes due again after a backoff, and is dropped after `maxAttempts` runs.
 *
 * Guarantees: each task runs on one instance at a time, at least once. An instance that crashes
 * (or stalls beyond `leaseMs`) mid-task leaves the task to come due again when the lease runs out,
 * and another instance runs it again: tasks are idempotent by design (they carry ids only and
 * re-read the case). Records expire `keepAfterDueMs` after their due time: a task is late by at
 * most that much, or dropped, when every instance was down.
 *
 * Not BullMQ: BullMQ requires ioredis, which cannot renew the Microsoft Entra tokens that sign in to
 * Azure Managed Redis; this uses the node-redis client the rest of the app shares. The claim
 * script reads records by keys it computes, so all of a prefix's keys must be in one shard: a
 * non-clustered Redis, or a prefix with a hash tag ('{hwc}:') on a clustered one. Needs Redis 7.0
 * or later (PEXPIRETIME), which Azure Managed Redis is.
 */
export class RedisScheduler implements Scheduler {
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly pollIntervalMs: number;
  private readonly leaseMs: number;
  private readonly keepAfterDueMs: number;
  private readonly maxAttempts: number;
  private readonly batchSize: number;
  private readonly onError: (key: string, error: unknown) => void;
  private readonly log: Logger;
  private readonly dueKey: string;
  private runner: TaskRunner | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Polls run one after another: the timer's and `runDue`'s. */
  private polls: Promise<unknown> = Promise.resolve();
  private readonly running = new Set<Promise<void>>();
  /** Whether the last poll found Redis away, so an outage is logged once, not at every poll. */
  private away = false;

  constructor(options: RedisSchedulerOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? '{hwc}:';
    this.now = options.now ?? (() => Date.now());
    this.pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 500);
    this.leaseMs = positive('leaseMs', options.leaseMs ?? 60_000);
    this.keepAfterDueMs = positive('keepAfterDueMs', options.keepAfterDueMs ?? 30 * 60_000);
    this.maxAttempts = positive('maxAttempts', options.maxAttempts ?? 5);
    this.batchSize = positive('batchSize', options.batchSize ?? 50);
    this.onError = options.onError ?? (() => undefined);
    this.log = options.log ?? createLogger({ level: 'silent' });
    this.dueKey = `${this.prefix}sched:due`;
  }

  /** Sets what runs a task that fell due and starts polling. */
  start(runner: TaskRunner): void {
    if (this.closed) throw new Error('the scheduler was closed');
    if (this.runner) throw new Error('the scheduler was already started');
    this.runner = runner;
    this.arm();
  }

  /**
   * The record expires `keepAfterDueMs` after the due time, or after now for a time that passed:
   * a task scheduled late must still get its run.
   */
  async schedule(key: string, when: Date, task: ScheduledTask): Promise<void> {
    const group = groupOf(key);
    if (group === undefined) throw new RangeError('a scheduler key is <group>:<name>');
    const now = this.now();
    const at = when.getTime();
    // An invalid date runs at the next poll, as a past one does, rather than never.
    const due = Number.isFinite(at) ? at : now;
    // Key expiry runs on Redis's clock: `now` is the app's (a test's, say), so shift by their difference.
    const expireAt = Math.max(due, now) + this.keepAfterDueMs + (Date.now() - now);
    const record = JSON.stringify({ task, attempts: 0, token: randomUUID() } satisfies TaskRecord);
    await storeCall('schedule a task', () =>
      this.eval(
        SCHEDULE,
        [this.dueKey, this.recordKey(key), this.groupKey(group)],
        [key, record, String(due), String(expireAt)],
      ),
    );
  }

  /**
   * A group (`${caseId}:`) or keys of one group starting with the prefix. A prefix without ':'
   * (and so '') is not supported: it could match keys of any group, which only a scan of every
   * key could find.
   */
  async cancel(prefix: string): Promise<void> {
    const group = groupOf(prefix);
    if (group === undefined) {
      throw new RangeError('the Redis scheduler cancels a group (<group>:) or keys within one');
    }
    await storeCall('cancel tasks', () =>
      this.eval(CANCEL, [this.dueKey, this.groupKey(group)], [this.recordKey(''), prefix]),
    );
  }

  /** One poll now; resolves with how many tasks it claimed, once they are done (tests). */
  async runDue(): Promise<number> {
    const started = await this.poll();
    await Promise.all(started);
    return started.length;
  }

  /** How many tasks wait or run, across all instances. */
  size(): Promise<number> {
    return storeCall('count tasks', () => this.client.zCard(this.dueKey));
  }

  /**
   * Stops polling and waits for the tasks this instance runs. Leaves Redis as it is: the tasks
   * belong to every instance, and one that is left runs on another.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.polls;
    await Promise.all([...this.running]);
  }

  private arm(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => {
        this.timer = undefined;
        this.arm();
      });
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  /** Claims what is due and starts it; never rejects. Resolves with the started tasks. */
  private poll(): Promise<Promise<void>[]> {
    const next = this.polls.then(() => this.claimAndStart());
    this.polls = next.catch(() => undefined);
    return next;
  }

  private async claimAndStart(): Promise<Promise<void>[]> {
    const runner = this.runner;
    if (!runner) throw new Error('start the scheduler before it runs tasks');
    const room = this.batchSize - this.running.size;
    if (this.closed || room <= 0) return [];
    let claims: Claim[];
    let expired: string[];
    try {
      ({ claims, expired } = await this.claim(room));
    } catch (error) {
      if (!this.away) {
        this.log.warn(
          { errorCode: isHwcError(error) ? error.code : undefined },
          'scheduler: Redis did not answer; polling on',
        );
      }
      this.away = true;
      return [];
    }
    if (this.away) this.log.info('scheduler: Redis answers again');
    this.away = false;
    for (const key of expired) {
      this.log.warn({ key }, 'scheduler: a task was dropped, its time passed while no instance ran');
      this.report(key, new Error('the task record expired before the task could run'));
    }
    return claims.map((claim) => {
      const run = this.runClaimed(claim, runner);
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
      return run;
    });
  }

  private async claim(limit: number): Promise<{ claims: Claim[]; expired: string[] }> {
    const now = this.now();
    const leaseUntil = now + this.leaseMs;
    const reply = await storeCall('claim due tasks', () =>
      this.eval(
        CLAIM,
        [this.dueKey],
        [String(now), String(leaseUntil), String(limit), this.recordKey(''), this.groupKey('')],
      ),
    );
    const [claimed, expired] = Array.isArray(reply) ? reply : [];
    const flat = strings(claimed);
    const claims: Claim[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      claims.push({ key: flat[i]!, raw: flat[i + 1]!, leaseUntil });
    return { claims, expired: strings(expired) };
  }

  /** Runs one claimed task to its end: done, back for another try, or dropped. Never rejects. */
  private async runClaimed(claim: Claim, runner: TaskRunner): Promise<void> {
    const record = parseRecord(claim.raw);
    if (record instanceof Error) {
      await this.drop(claim, undefined, record);
      return;
    }
    const kind = record.task.kind;
    try {
      await runner(record.task);
    } catch (error) {
      await this.afterFailure(claim, record, error);
      return;
    }
    try {
      await this.release(claim);
    } catch (error) {
      this.log.warn(
        { key: claim.key, kind, ...errorSummary(error) },
        'scheduler: a task ran but could not be marked done; it runs again after its lease',
      );
    }
  }

  private async afterFailure(claim: Claim, record: TaskRecord, error: unknown): Promise<void> {
    const { key } = claim;
    const kind = record.task.kind;
    const attempts = record.attempts + 1;
    if (attempts >= this.maxAttempts) {
      await this.drop(claim, kind, error);
      return;
    }
    const retryAt = this.now() + Math.min(this.leaseMs, 1000 * 2 ** attempts);
    const next = JSON.stringify({ ...record, attempts } satisfies TaskRecord);
    this.log.warn({ key, kind, attempts, ...errorSummary(error) }, 'scheduler: a task failed; it runs again');
    try {
      await storeCall('put a task back', () =>
        this.eval(
          RETRY,
          [this.dueKey, this.recordKey(key)],
          [key, claim.raw, String(claim.leaseUntil), next, String(retryAt)],
        ),
      );
    } catch (putBack) {
      // The lease still runs out, and the task with it comes due again, one try not counted.
      this.log.warn(
        { key, kind, ...errorSummary(putBack) },
        'scheduler: a failed task could not be put back',
      );
    }
  }

  /** Removes a task that will not run again (if no one replaced it meanwhile) and reports it. */
  private async drop(claim: Claim, kind: string | undefined, error: unknown): Promise<void> {
    let dropped: boolean;
    try {
      dropped = await this.release(claim);
    } catch (releasing) {
      // Its lease runs out and it gets another run, after which it is dropped again.
      this.log.warn({ key: claim.key, kind, ...errorSummary(releasing) }, 'scheduler: could not drop a task');
      return;
    }
    if (!dropped) return;
    this.log.error({ key: claim.key, kind, ...errorSummary(error) }, 'scheduler: a task was dropped');
    this.report(claim.key, error);
  }

  /** Removes the task if this instance still holds it; false when it was replaced or cancelled. */
  private async release(claim: Claim): Promise<boolean> {
    const { key } = claim;
    const removed = await storeCall('remove a task', () =>
      this.eval(
        RELEASE,
        [this.dueKey, this.recordKey(key), this.groupKey(groupOf(key) ?? key)],
        [key, claim.raw, String(claim.leaseUntil)],
      ),
    );
    return removed === 1;
  }

  private report(key: string, error: unknown): void {
    try {
      this.onError(key, error);
    } catch {
      // An error sink that fails has nowhere left to report to; it must not stop the poller.
    }
  }

  private eval(script: RedisScript, keys: string[], args: string[]): Promise<unknown> {
    return script.run(this.client, keys, args);
  }

  private recordKey(key: string): string {
    return `${this.prefix}sched:task:${key}`;
  }

  private groupKey(group: string): string {
    return `${this.prefix}sched:group:${group}`;
  }
}

/** The key up to and including its first ':'; undefined without one. */
function groupOf(key: string): string | undefined {
  const colon = key.indexOf(':');
  return colon < 0 ? undefined : key.slice(0, colon + 1);
}

/**
 * The record, or why it cannot run. The error names fields only: the record's contents (and
 * JSON.parse's message, which quotes them) stay out of logs.
 */
function parseRecord(raw: string): TaskRecord | Error {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return new Error('invalid task record: not JSON');
  }
  const parsed = recordSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(record)'))];
  return new Error(`invalid task record: ${fields.join(', ')}`);
}

function strings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.filter((item): item is string => typeof item === 'string') : [];
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be above 0, not ${value}`);
  return value;
}
