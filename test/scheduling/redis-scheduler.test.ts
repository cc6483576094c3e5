import assert from 'node:assert/strict';
import type { ScheduledTask, TaskRunner } from '../../src/app/ports';
import { isHwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';
import { RedisScheduler, type RedisSchedulerOptions } from '../../src/scheduling/redis-scheduler';
import { freePort, RedisServerProcess, testRedis, type TestRedis } from '../support/redis';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const LEASE_MS = MINUTE;
const KEEP_MS = 30 * MINUTE;
/** Long enough that no timer poll comes between the polls a test makes with runDue. */
const NO_TIMER_POLLS = 60 * MINUTE;

const escalate = (caseId: string): ScheduledTask => ({ kind: 'escalate', caseId });
const remind = (caseId: string): ScheduledTask => ({ kind: 'remind', caseId });

function caseIdOf(task: ScheduledTask): string {
  if (task.kind === 'cleanup-retry') return task.key;
  return task.kind === 'mail-draft-expire' ? task.draftId : task.caseId;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function logCapture(): { lines: Record<string, unknown>[]; log: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { lines, log };
}

describe('the Redis scheduler', () => {
  let redis: TestRedis;
  let now: number;
  let T0: number;
  let ran: string[];
  let errors: { key: string; error: unknown }[];
  let schedulers: RedisScheduler[];
  let extraClients: RedisClient[];
  /** Lets a test's hanging runners end, so closing the schedulers does not wait forever. */
  let releaseHung: (() => void)[];

  const record: TaskRunner = async (task) => {
    ran.push(caseIdOf(task));
  };

  function scheduler(options: Partial<RedisSchedulerOptions> = {}): RedisScheduler {
    const made = new RedisScheduler({
      client: redis.client,
      prefix: redis.prefix,
      now: () => now,
      pollIntervalMs: NO_TIMER_POLLS,
      leaseMs: LEASE_MS,
      keepAfterDueMs: KEEP_MS,
      onError: (key, error) => errors.push({ key, error }),
      ...options,
    });
    schedulers.push(made);
    return made;
  }

  async function otherClient(): Promise<RedisClient> {
    const client = await connectRedis({ url: redis.url }, createLogger({ level: 'silent' }));
    extraClients.push(client);
    return client;
  }

  const recordKey = (key: string) => `${redis.prefix}sched:task:${key}`;
  const groupKey = (group: string) => `${redis.prefix}sched:group:${group}`;
  const dueKey = () => `${redis.prefix}sched:due`;

  async function storedRecord(key: string): Promise<{ task: ScheduledTask; attempts: number } | null> {
    const raw = await redis.client.get(recordKey(key));
    return raw === null ? null : (JSON.parse(raw) as { task: ScheduledTask; attempts: number });
  }

  beforeEach(async () => {
    redis = await testRedis();
    // Near the real clock: Redis expires records by its own.
    T0 = Math.ceil(Date.now() / SECOND) * SECOND;
    now = T0;
    ran = [];
    errors = [];
    schedulers = [];
    extraClients = [];
    releaseHung = [];
  });

  afterEach(async () => {
    for (const release of releaseHung) release();
    await Promise.all(schedulers.map((s) => s.close()));
    for (const client of extraClients) if (client.isOpen) client.destroy();
    await redis.cleanup();
  });

  it('runs a task at its time, not before, and leaves no key behind once it ran', async () => {
    const s = scheduler();
    s.start(record);
    await s.schedule('a:escalate', new Date(T0 + 10 * SECOND), escalate('a'));
    now = T0 + 10 * SECOND - 1;
    assert.equal(await s.runDue(), 0);
    assert.deepEqual(ran, []);
    now = T0 + 10 * SECOND;
    assert.equal(await s.runDue(), 1);
    assert.deepEqual(ran, ['a']);
    assert.equal(await s.size(), 0);
    assert.deepEqual(await redis.keys(), []);
    assert.equal(await s.runDue(), 0, 'it runs once');
  });

  it('does not run a task within the call that schedules it, even when its time has passed', async () => {
    const s = scheduler({ pollIntervalMs: 10 });
    s.start(record);
    await s.schedule('a:escalate', new Date(T0 - MINUTE), escalate('a'));
    assert.deepEqual(ran, []);
    await waitFor(() => ran.length === 1, 'the next poll');
    assert.deepEqual(ran, ['a']);
  });

  it('scheduling a key again replaces the earlier task, its time as well as its work', async () => {
    const s = scheduler();
    s.start(record);
    await s.schedule('a:remind', new Date(T0 + SECOND), remind('old'));
    await s.schedule('a:remind', new Date(T0 + 5 * SECOND), remind('new'));
    assert.equal(await s.size(), 1);
    now = T0 + SECOND;
    assert.equal(await s.runDue(), 0, 'not at the old time');
    now = T0 + 5 * SECOND;
    assert.equal(await s.runDue(), 1);
    assert.deepEqual(ran, ['new']);
  });

  it("cancels a whole group, or one key of it, without touching other groups' tasks", async () => {
    const s = scheduler();
    s.start(record);
    const at = new Date(T0 + SECOND);
    await s.schedule('a:escalate', at, escalate('a-escalate'));
    await s.schedule('a:remind', at, remind('a-remind'));
    await s.schedule('a:expire', at, { kind: 'expire', caseId: 'a-expire' });
    await s.schedule('b:escalate', at, escalate('b-escalate'));
    await s.schedule('ab:escalate', at, escalate('ab-escalate'));
    await s.schedule('cleanup-1:retry', at, remind('cleanup-1-retry'));
    await s.schedule('cleanup-1:retryx', at, remind('cleanup-1-retryx'));
    await s.schedule('cleanup-10:retry', at, remind('cleanup-10-retry'));

    await s.cancel('a:escalate');
    await s.cancel('cleanup-1:retry');
    assert.equal(await s.size(), 5);
    assert.equal(await redis.client.exists(recordKey('a:escalate')), 0, 'the record goes with the task');

    await s.cancel('a:');
    assert.equal(await s.size(), 3);
    assert.equal(await redis.client.exists(groupKey('a:')), 0);

    now = T0 + SECOND;
    await s.runDue();
    assert.deepEqual(ran.sort(), ['ab-escalate', 'b-escalate', 'cleanup-10-retry']);
  });

  it('refuses what it cannot do without a scan of every key: cancel all, or keys outside a group', async () => {
    const s = scheduler();
    await assert.rejects(s.cancel(''), RangeError);
    await assert.rejects(s.cancel('abc'), RangeError);
    await assert.rejects(s.schedule('abc', new Date(T0), escalate('abc')), RangeError);
    assert.deepEqual(await redis.keys(), []);
  });

  it('runs a task whose time passed while no instance was running once one starts', async () => {
    // Scheduled by an instance that then went away; no scheduler polled while the time passed.
    const before = scheduler();
    await before.schedule('a:escalate', new Date(T0 + MINUTE), escalate('a'));
    await before.close();

    now = T0 + 20 * MINUTE;
    const after = scheduler({ pollIntervalMs: 10 });
    after.start(record);
    await waitFor(() => ran.length === 1, 'the task to run');
    assert.deepEqual(ran, ['a']);
    await waitFor(async () => (await after.size()) === 0, 'the task to be removed');
  });

  it('two instances polling the same 200 due tasks run each exactly once', async () => {
    const setup = scheduler();
    const ids = Array.from({ length: 200 }, (_, i) => `case${i}`);
    await Promise.all(ids.map((id) => setup.schedule(`${id}:escalate`, new Date(T0), escalate(id))));
    assert.equal(await setup.size(), 200);

    const runs = new Map<string, number>();
    const byInstance = [0, 0];
    const runnerOf =
      (instance: 0 | 1): TaskRunner =>
      async (task) => {
        byInstance[instance]!++;
        runs.set(caseIdOf(task), (runs.get(caseIdOf(task)) ?? 0) + 1);
        // Lets the other instance's poll in while this one's tasks run.
        await new Promise((resolve) => setImmediate(resolve));
      };
    const a = scheduler({ pollIntervalMs: 5 });
    const b = scheduler({ client: await otherClient(), pollIntervalMs: 5 });
    a.start(runnerOf(0));
    b.start(runnerOf(1));

    await waitFor(async () => (await a.size()) === 0, 'every task to be done');
    await a.runDue();
    await b.runDue();
    assert.equal(runs.size, 200);
    assert.deepEqual(
      ids.filter((id) => runs.get(id) !== 1),
      [],
      'no task ran twice',
    );
    assert.equal(byInstance[0]! + byInstance[1]!, 200);
  });

  it('runs a task again on another instance when the one that claimed it crashed mid-task', async () => {
    await scheduler().schedule('a:escalate', new Date(T0), escalate('a'));

    const hung = deferred();
    releaseHung.push(hung.resolve);
    let startedOnA = 0;
    const a = scheduler();
    a.start(async () => {
      startedOnA++;
      await hung.promise;
    });
    const b = scheduler({ client: await otherClient() });
    b.start(record);

    // A claims the task and never finishes it: as good as a crash.
    const aPoll = a.runDue();
    await waitFor(() => startedOnA === 1, 'A to start the task');
    assert.equal(await b.runDue(), 0, 'B leaves it alone while A holds the lease');
    now = T0 + LEASE_MS - 1;
    assert.equal(await b.runDue(), 0);
    now = T0 + LEASE_MS;
    assert.equal(await b.runDue(), 1, 'the lease ran out');
    assert.deepEqual(ran, ['a']);
    assert.equal(await b.size(), 0);

    // A's late end changes nothing: the task is done.
    hung.resolve();
    assert.equal(await aPoll, 1);
    assert.equal(await a.size(), 0);
    assert.equal(startedOnA, 1);
    assert.deepEqual(errors, []);
  });

  it('an instance whose lease ran out cannot disturb the one that holds the task now, even when its run fails', async () => {
    await scheduler().schedule('a:escalate', new Date(T0), escalate('a'));
    const lateA = deferred();
    const slowB = deferred();
    releaseHung.push(lateA.resolve, slowB.resolve);
    let startedOnB = 0;
    const a = scheduler();
    a.start(async () => {
      await lateA.promise;
      throw new Error('A failed, long after its lease ran out');
    });
    const b = scheduler({ client: await otherClient() });
    b.start(async (task) => {
      startedOnB++;
      await slowB.promise;
      ran.push(caseIdOf(task));
    });

    const aPoll = a.runDue();
    await waitFor(
      async () => Number(await redis.client.zScore(dueKey(), 'a:escalate')) === T0 + LEASE_MS,
      'A',
    );
    now = T0 + LEASE_MS;
    const bPoll = b.runDue();
    await waitFor(() => startedOnB === 1, 'B to take the task over');

    lateA.resolve();
    await aPoll;
    assert.equal(
      Number(await redis.client.zScore(dueKey(), 'a:escalate')),
      T0 + 2 * LEASE_MS,
      "B's lease stands: no backoff from A cut it short",
    );
    assert.equal((await storedRecord('a:escalate'))?.attempts, 0, "A's failure is not counted");
    assert.equal(await a.runDue(), 0, 'nor can anyone else claim it meanwhile');

    slowB.resolve();
    assert.equal(await bPoll, 1);
    assert.deepEqual(ran, ['a']);
    assert.equal(await b.size(), 0);
    assert.deepEqual(errors, []);
  });

  it('retries a failing task with a growing backoff and drops it after maxAttempts, telling onError', async () => {
    const failure = new Error('Teams is away');
    let tries = 0;
    const s = scheduler({ maxAttempts: 3 });
    s.start(async () => {
      tries++;
      throw failure;
    });
    await s.schedule('a:escalate', new Date(T0), escalate('a'));

    assert.equal(await s.runDue(), 1);
    assert.equal((await storedRecord('a:escalate'))?.attempts, 1);
    now = T0 + 2 * SECOND - 1;
    assert.equal(await s.runDue(), 0, 'not before 2 s');
    now = T0 + 2 * SECOND;
    assert.equal(await s.runDue(), 1);
    assert.equal((await storedRecord('a:escalate'))?.attempts, 2);
    assert.deepEqual(errors, [], 'not told while it still retries');

    now += 4 * SECOND - 1;
    assert.equal(await s.runDue(), 0, 'not before 4 s more');
    now += 1;
    assert.equal(await s.runDue(), 1);
    assert.equal(tries, 3);
    assert.deepEqual(errors, [{ key: 'a:escalate', error: failure }]);
    assert.equal(await s.size(), 0);
    assert.deepEqual(await redis.keys(), []);
    now += LEASE_MS;
    assert.equal(await s.runDue(), 0, 'dropped for good');
  });

  it('drops an invalid record planted in Redis and reports it, without its contents, and polls on', async () => {
    const { lines, log } = logCapture();
    const s = scheduler({ log });
    s.start(record);
    await s.schedule('good:escalate', new Date(T0), escalate('good'));
    const planted = {
      'bad1:escalate': 'Jantje de Vries, 12-03-2015',
      'bad2:escalate': JSON.stringify({
        task: { kind: 'gossip', caseId: 'Jantje' },
        attempts: 0,
        token: 't',
      }),
      'bad3:escalate': JSON.stringify({ task: { kind: 'escalate' }, attempts: -1 }),
    };
    for (const [key, raw] of Object.entries(planted)) {
      await redis.client.set(recordKey(key), raw, { expiration: { type: 'PX', value: KEEP_MS } });
      await redis.client.zAdd(dueKey(), { score: T0, value: key });
    }

    assert.equal(await s.runDue(), 4);
    assert.deepEqual(ran, ['good']);
    assert.deepEqual(errors.map((e) => e.key).sort(), Object.keys(planted).sort());
    for (const { error } of errors) assert.ok(error instanceof Error);
    assert.equal(await s.size(), 0);
    assert.deepEqual(await redis.keys(), []);

    const logged = JSON.stringify(lines) + errors.map((e) => String(e.error)).join();
    assert.doesNotMatch(logged, /Jantje|Vries|2015|gossip/);

    await s.schedule('next:escalate', new Date(T0), escalate('next'));
    assert.equal(await s.runDue(), 1);
    assert.deepEqual(ran, ['good', 'next']);
  });

  it('keeps a task scheduled under the same key while the earlier one ran, whether that run succeeds or fails', async () => {
    const s = scheduler();
    s.start(async (task) => {
      ran.push(caseIdOf(task));
      if (caseIdOf(task) === 'a1') await s.schedule('a:remind', new Date(T0 + MINUTE), remind('a2'));
      if (caseIdOf(task) === 'b1') {
        await s.schedule('b:remind', new Date(T0 + MINUTE), remind('b2'));
        throw new Error('failed after it scheduled its successor');
      }
    });
    await s.schedule('a:remind', new Date(T0), remind('a1'));
    await s.schedule('b:remind', new Date(T0), remind('b1'));

    assert.equal(await s.runDue(), 2);
    assert.equal(await s.size(), 2);
    assert.deepEqual((await storedRecord('a:remind'))?.task, remind('a2'));
    const b = await storedRecord('b:remind');
    assert.deepEqual(
      [b?.task, b?.attempts],
      [remind('b2'), 0],
      'the failure is not counted against the new task',
    );
    assert.equal(Number(await redis.client.zScore(dueKey(), 'b:remind')), T0 + MINUTE, 'nor does it move it');

    now = T0 + MINUTE;
    assert.equal(await s.runDue(), 2);
    assert.deepEqual(ran.sort(), ['a1', 'a2', 'b1', 'b2']);
    assert.equal(await s.size(), 0);
    assert.deepEqual(errors, []);
  });

  it('a task that cancels itself while it runs (a cleanup that succeeded) ends quietly', async () => {
    const s = scheduler();
    s.start(async () => {
      await s.cancel('cleanup-1:retry');
    });
    await s.schedule('cleanup-1:retry', new Date(T0), remind('c'));
    assert.equal(await s.runDue(), 1);
    assert.equal(await s.size(), 0);
    assert.deepEqual(await redis.keys(), []);
    assert.deepEqual(errors, []);
  });

  it('gives every key but the due set a TTL, records expiring at due + keepAfterDueMs and groups no sooner', async () => {
    const s = scheduler();
    await s.schedule('a:escalate', new Date(T0 + MINUTE), escalate('a'));
    await s.schedule('a:expire', new Date(T0 + 10 * MINUTE), { kind: 'expire', caseId: 'a' });
    // Moved earlier: the group must still outlive its other member.
    await s.schedule('a:remind', new Date(T0 + 20 * MINUTE), remind('a'));
    await s.schedule('a:remind', new Date(T0 + 2 * MINUTE), remind('a'));
    await s.schedule('b:remind', new Date(T0 + 5 * MINUTE), remind('b'));
    // A time that passed long ago still gets its margin, counted from now.
    await s.schedule('c:remind', new Date(T0 - 2 * KEEP_MS), remind('c'));

    const keys = await redis.keys();
    assert.deepEqual(
      keys.sort(),
      [
        dueKey(),
        groupKey('a:'),
        groupKey('b:'),
        groupKey('c:'),
        recordKey('a:escalate'),
        recordKey('a:expire'),
        recordKey('a:remind'),
        recordKey('b:remind'),
        recordKey('c:remind'),
      ].sort(),
    );
    for (const key of keys) {
      if (key === dueKey()) assert.equal(await redis.client.pTTL(key), -1);
      else assert.ok((await redis.client.pTTL(key)) > 0, `${key} has a TTL`);
    }
    const expiry = (key: string) => redis.client.pExpireTime(key);
    // Expiry runs on Redis's clock, so the scheduler shifts the test's clock by its distance to the real one.
    const near = async (key: string, expected: number) => {
      const actual = await expiry(key);
      assert.ok(Math.abs(actual - expected - (Date.now() - T0)) < 5_000, `${key} expires at due + keep`);
    };
    await near(recordKey('a:escalate'), T0 + MINUTE + KEEP_MS);
    await near(recordKey('a:expire'), T0 + 10 * MINUTE + KEEP_MS);
    await near(recordKey('a:remind'), T0 + 2 * MINUTE + KEEP_MS);
    await near(recordKey('c:remind'), T0 + KEEP_MS);
    const skew = Date.now() - T0 - 1_000;
    assert.ok(
      (await expiry(groupKey('a:'))) >= T0 + 10 * MINUTE + KEEP_MS + skew,
      'group a outlives its members',
    );
    assert.ok(
      (await expiry(groupKey('b:'))) >= T0 + 5 * MINUTE + KEEP_MS + skew,
      'group b outlives its member',
    );

    // A failed try keeps the record's expiry: retries do not stretch its life.
    s.start(async () => {
      throw new Error('fails');
    });
    now = T0 + MINUTE;
    const before = await expiry(recordKey('a:escalate'));
    assert.equal(await s.runDue(), 2);
    assert.equal(await expiry(recordKey('a:escalate')), before);
  });

  it('lets no record outlive due + keepAfterDueMs: a task missed by every instance is dropped and reported', async () => {
    const keepAfterDueMs = 300;
    const s = scheduler({ now: () => Date.now(), keepAfterDueMs });
    s.start(record);
    const due = Date.now() + 50;
    await s.schedule('a:escalate', new Date(due), escalate('a'));
    const expiresAt = await redis.client.pExpireTime(recordKey('a:escalate'));
    assert.ok(Math.abs(expiresAt - (due + keepAfterDueMs)) < 50, 'the record expires at due + keep');

    await new Promise((resolve) => setTimeout(resolve, 50 + keepAfterDueMs + 100));
    assert.equal(await redis.client.exists(recordKey('a:escalate')), 0, 'the record is gone');
    assert.equal(await redis.client.exists(groupKey('a:')), 0, 'and its group with it');
    assert.equal(await s.runDue(), 0);
    assert.deepEqual(ran, []);
    assert.deepEqual(
      errors.map((e) => e.key),
      ['a:escalate'],
    );
    assert.equal(await s.size(), 0);
    assert.deepEqual(await redis.keys(), []);
  });

  it('close waits for the running tasks and leaves every task in Redis', async () => {
    const s = scheduler();
    const slow = deferred();
    let finished = false;
    s.start(async () => {
      await slow.promise;
      finished = true;
    });
    await s.schedule('a:escalate', new Date(T0), escalate('a'));
    await s.schedule('b:escalate', new Date(T0 + MINUTE), escalate('b'));
    void s.runDue();
    await waitFor(async () => Number(await redis.client.zScore(dueKey(), 'a:escalate')) > T0, 'the claim');
    const closing = s.close();
    setTimeout(slow.resolve, 20);
    await closing;
    assert.ok(finished, 'the running task finished before close resolved');
    assert.equal(await s.size(), 1);
    assert.ok(await storedRecord('b:escalate'));
  });

  it('rejects with store.unavailable when Redis is away, and its polls neither throw nor log more than once', async () => {
    const { lines, log } = logCapture();
    const dead = await otherClient();
    dead.destroy();
    const s = scheduler({ client: dead, log });
    s.start(record);

    await assert.rejects(s.schedule('a:escalate', new Date(T0), escalate('a')), (error) =>
      isHwcError(error, 'store.unavailable'),
    );
    await assert.rejects(s.cancel('a:'), (error) => isHwcError(error, 'store.unavailable'));
    await assert.rejects(s.size(), (error) => isHwcError(error, 'store.unavailable'));
    assert.equal(await s.runDue(), 0);
    assert.equal(await s.runDue(), 0);
    const warnings = lines.filter((line) => line.level === 'warn');
    assert.equal(warnings.length, 1, 'an outage is logged once');
    assert.equal(warnings[0]?.errorCode, 'store.unavailable');
  });

  it('recovers by itself when Redis comes back', async function () {
    if (!RedisServerProcess.available()) this.skip();
    this.timeout(20_000);
    const server = new RedisServerProcess(await freePort());
    await server.start();
    try {
      const client = await connectRedis(
        { url: server.url, maxReconnectDelayMs: 50 },
        createLogger({ level: 'silent' }),
      );
      extraClients.push(client);
      const { lines, log } = logCapture();
      const s = scheduler({ client, log, pollIntervalMs: 10 });
      s.start(record);

      await server.stop();
      await waitFor(() => lines.some((line) => line.level === 'warn'), 'the outage to be noticed');
      await server.start();
      // A server without persistence comes back empty: a new task shows that polling resumed.
      await waitFor(async () => {
        try {
          await s.schedule('a:escalate', new Date(T0), escalate('a'));
          return true;
        } catch {
          return false;
        }
      }, 'Redis to answer again');
      await waitFor(() => ran.length === 1, 'the task to run');
      assert.deepEqual(ran, ['a']);
      assert.equal(lines.filter((line) => line.level === 'warn').length, 1);
      assert.equal(lines.filter((line) => line.level === 'info').length, 1, 'the return is logged');
    } finally {
      await Promise.all(schedulers.map((s) => s.close()));
      schedulers = [];
      await server.stop();
    }
  });
});
