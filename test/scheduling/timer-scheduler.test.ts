import assert from 'node:assert/strict';
import sinon from 'sinon';
import { TimerScheduler } from '../../src/scheduling/timer-scheduler';

const T0 = Date.parse('2026-11-23T06:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MAX_SLEEP_MS = 60_000;

/**
 * Fake timers stand for Node's monotonic clock; the wall clock the scheduler reads is that plus a
 * skew, so a test can set the wall clock or let the machine "sleep" without the timers moving.
 */
describe('the timer scheduler', () => {
  let clock: sinon.SinonFakeTimers;
  let skew: number;
  let log: string[];
  let errors: { key: string; error: unknown }[];
  let scheduler: TimerScheduler;

  const wall = (): number => clock.now + skew;
  const at = (ms: number): Date => new Date(T0 + ms);
  const record = (name: string) => async (): Promise<void> => {
    log.push(name);
  };

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout'] });
    skew = 0;
    log = [];
    errors = [];
    scheduler = new TimerScheduler(wall, (key, error) => errors.push({ key, error }));
  });
  afterEach(() => {
    scheduler.close();
    clock.restore();
  });

  it('a task moved to now, after its time passed while the machine slept, runs at once and not at the next wake-up', async () => {
    scheduler.schedule('a:expire', at(5 * MINUTE), record('a'));
    skew = 10 * MINUTE; // the machine slept: the wall clock moved on, the timers did not
    scheduler.schedule('a:expire', new Date(wall()), record('a now'));
    await clock.tickAsync(1);
    assert.deepEqual(log, ['a now']);
  });

  it('runs tasks in the order of their time, and tasks due at the same time in the order they were scheduled', async () => {
    scheduler.schedule('c:remind', at(3_000), record('c'));
    scheduler.schedule('a:remind', at(1_000), record('a'));
    scheduler.schedule('b:escalate', at(2_000), record('b1'));
    scheduler.schedule('b:remind', at(2_000), record('b2'));
    await clock.tickAsync(1_500);
    assert.deepEqual(log, ['a']);
    await clock.tickAsync(1_500);
    assert.deepEqual(log, ['a', 'b1', 'b2', 'c']);
    assert.equal(scheduler.size, 0);
  });

  it('tasks that fall due at one wake-up run earliest first', async () => {
    scheduler.schedule('c:x', at(3 * HOUR), record('c'));
    scheduler.schedule('a:x', at(1 * HOUR), record('a'));
    scheduler.schedule('d:x', at(5 * HOUR), record('d'));
    scheduler.schedule('b:x', at(2 * HOUR), record('b'));
    skew = 4 * HOUR;
    await clock.tickAsync(MAX_SLEEP_MS);
    assert.deepEqual(log, ['a', 'b', 'c']);
    assert.equal(scheduler.size, 1, 'the task at 5 h still waits');
  });

  it('scheduling a key again replaces the earlier task, its time as well as its work', async () => {
    scheduler.schedule('a:remind', at(1_000), record('old'));
    scheduler.schedule('a:remind', at(5_000), record('new'));
    assert.equal(scheduler.size, 1);
    await clock.tickAsync(4_999);
    assert.deepEqual(log, [], 'not at the old time');
    await clock.tickAsync(1);
    assert.deepEqual(log, ['new']);

    scheduler.schedule('b:remind', at(HOUR), record('later'));
    scheduler.schedule('b:remind', at(10_000), record('sooner'));
    await clock.tickAsync(5_000);
    assert.deepEqual(log, ['new', 'sooner'], 'moved forward, it runs at the new time');
    await clock.tickAsync(2 * HOUR);
    assert.deepEqual(log, ['new', 'sooner'], 'the replaced task never runs');
  });

  it('a replaced task takes its new place among the others', async () => {
    scheduler.schedule('a:x', at(1_000), record('a'));
    scheduler.schedule('b:x', at(2_000), record('b'));
    scheduler.schedule('c:x', at(3_000), record('c'));
    scheduler.schedule('a:x', at(4_000), record('a'));
    scheduler.schedule('c:x', at(500), record('c'));
    await clock.tickAsync(2_000);
    assert.deepEqual(log, ['c', 'b']);
    await clock.tickAsync(2_000);
    assert.deepEqual(log, ['c', 'b', 'a']);
  });

  it("cancelling a case's group cancels all of its tasks and none of another case", async () => {
    scheduler.schedule('a:escalate', at(1_000), record('a:escalate'));
    scheduler.schedule('a:remind', at(2_000), record('a:remind'));
    scheduler.schedule('a:expire', at(3_000), record('a:expire'));
    scheduler.schedule('ab:escalate', at(1_000), record('ab:escalate'));
    scheduler.schedule('b:remind', at(2_000), record('b:remind'));
    scheduler.cancel('a:');
    assert.equal(scheduler.size, 2);
    await clock.tickAsync(HOUR);
    assert.deepEqual(log, ['ab:escalate', 'b:remind']);
  });

  it('cancelling a whole key cancels that task only, not the rest of its group', async () => {
    scheduler.schedule('a:escalate', at(1_000), record('a:escalate'));
    scheduler.schedule('a:remind', at(2_000), record('a:remind'));
    scheduler.cancel('a:escalate');
    scheduler.cancel('a:nothing-by-this-name');
    assert.equal(scheduler.size, 1);
    await clock.tickAsync(HOUR);
    assert.deepEqual(log, ['a:remind']);
  });

  it('a prefix that is neither a group nor a key cancels every task whose key starts with it', async () => {
    for (const key of [
      'a:escalate',
      'a:expire',
      'a:remind',
      'abc:x',
      'ab',
      'zz',
      'cleanup:1',
      'cleanup:10',
    ]) {
      scheduler.schedule(key, at(1_000), record(key));
    }
    scheduler.cancel('a:e');
    scheduler.cancel('ab');
    scheduler.cancel('cleanup:1');
    await clock.tickAsync(1_000);
    assert.deepEqual(log, ['a:remind', 'zz']);
  });

  it('a task scheduled for the past runs soon after, but never inside schedule', async () => {
    let scheduling = true;
    scheduler.schedule('a:escalate', at(-5 * MINUTE), async () => {
      log.push(scheduling ? 'inside schedule' : 'past');
    });
    scheduling = false;
    assert.deepEqual(log, []);
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(0);
    assert.deepEqual(log, ['past']);
  });

  it('a task at an invalid date runs at the next wake-up and leaves the order of the others intact', async () => {
    scheduler.schedule('b:x', at(2_000), record('b'));
    scheduler.schedule('a:x', new Date(Number.NaN), record('invalid'));
    scheduler.schedule('c:x', at(1_000), record('c'));
    await clock.tickAsync(0);
    assert.deepEqual(log, ['invalid']);
    await clock.tickAsync(2_000);
    assert.deepEqual(log, ['invalid', 'c', 'b']);
  });

  it('when the wall clock jumps forward past a task, the task runs at the next wake-up, within maxSleepMs', async () => {
    let ranAt: number | undefined;
    scheduler.schedule('a:escalate', at(2 * HOUR), async () => {
      ranAt = clock.now;
    });
    await clock.tickAsync(10_000);
    skew += 3 * HOUR;
    const jumpedAt = clock.now;
    await clock.tickAsync(MAX_SLEEP_MS);
    assert.ok(ranAt !== undefined, 'ran');
    assert.ok(ranAt - jumpedAt <= MAX_SLEEP_MS, `ran ${ranAt - jumpedAt} ms of timer time after the jump`);
  });

  it('a smaller maxSleepMs bounds how late a task runs after the clock jumps', async () => {
    scheduler.close();
    scheduler = new TimerScheduler(wall, () => undefined, { maxSleepMs: 5_000 });
    scheduler.schedule('a:escalate', at(HOUR), record('a'));
    await clock.tickAsync(1_000);
    skew += HOUR;
    await clock.tickAsync(4_000);
    assert.deepEqual(log, ['a']);
  });

  it('when the wall clock is set back, a task does not run early and runs when the wall clock reaches its time', async () => {
    const due = T0 + 10 * MINUTE;
    scheduler.schedule('a:remind', new Date(due), record('a'));
    await clock.tickAsync(5 * MINUTE);
    skew -= HOUR;
    await clock.tickAsync(6 * MINUTE);
    assert.deepEqual(log, [], 'the old time passed on the timers, not on the wall clock');
    await clock.tickAsync(due - wall() - 1);
    assert.deepEqual(log, [], 'not a millisecond early');
    await clock.tickAsync(1);
    assert.deepEqual(log, ['a']);
  });

  it('after the process slept for hours, the tasks that fell due meanwhile run, in order, within maxSleepMs of waking', async () => {
    scheduler.schedule('c:escalate', at(3 * HOUR), record('c'));
    scheduler.schedule('a:escalate', at(1 * HOUR), record('a'));
    scheduler.schedule('b:escalate', at(2 * HOUR), record('b'));
    scheduler.schedule('d:escalate', at(12 * HOUR), record('d'));
    await clock.tickAsync(30_000);
    // Suspended: the wall clock moves on by eight hours, the monotonic clock and its timers do not.
    skew += 8 * HOUR;
    await clock.tickAsync(MAX_SLEEP_MS);
    assert.deepEqual(log, ['a', 'b', 'c']);
    assert.equal(scheduler.size, 1);
  });

  it('a task that throws or rejects is reported with its key, and the other tasks still run', async () => {
    scheduler.schedule('a:sync', at(1_000), () => {
      throw new Error('thrown');
    });
    scheduler.schedule('a:async', at(1_000), async () => {
      await Promise.resolve();
      throw new Error('rejected');
    });
    scheduler.schedule('b:ok', at(1_000), record('b'));
    scheduler.schedule('c:later', at(2_000), record('c'));
    await clock.tickAsync(2_000);
    assert.deepEqual(log, ['b', 'c']);
    assert.deepEqual(
      errors.map(({ key, error }) => [key, (error as Error).message]),
      [
        ['a:sync', 'thrown'],
        ['a:async', 'rejected'],
      ],
    );
  });

  it('an error sink that throws itself does not stop the other tasks', async () => {
    scheduler.close();
    scheduler = new TimerScheduler(wall, () => {
      throw new Error('the log is gone');
    });
    scheduler.schedule('a:x', at(1_000), () => Promise.reject(new Error('fails')));
    scheduler.schedule('b:x', at(1_000), () => {
      throw new Error('fails too');
    });
    scheduler.schedule('c:x', at(1_000), record('c'));
    await clock.tickAsync(1_000);
    assert.deepEqual(log, ['c']);
  });

  it('keeps one Node timer pending at a time, never for longer than maxSleepMs', async () => {
    assert.equal(clock.countTimers(), 0, 'none while nothing waits');
    let seed = 7;
    const random = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const expected: { when: number; key: string }[] = [];
    for (let i = 0; i < 500; i++) {
      const when = T0 + Math.floor((random() - 0.1) * 24 * HOUR);
      const key = `case-${i}:escalate`;
      scheduler.schedule(key, new Date(when), record(key));
      if (i % 5 === 0) scheduler.cancel(`case-${i}:`);
      else expected.push({ when, key });
      assert.equal(clock.countTimers(), scheduler.size > 0 ? 1 : 0);
    }
    expected.sort((a, b) => a.when - b.when);
    while (scheduler.size > 0) {
      const before = clock.now;
      await clock.nextAsync();
      assert.ok(clock.now - before <= MAX_SLEEP_MS, `slept ${clock.now - before} ms`);
      assert.ok(clock.countTimers() <= 1, `${clock.countTimers()} timers pending`);
      assert.equal(clock.countTimers(), scheduler.size > 0 ? 1 : 0);
    }
    assert.deepEqual(
      log,
      expected.map((e) => e.key),
    );
  });

  it('does not hold the process open', () => {
    const spy = sinon.spy(globalThis, 'setTimeout');
    try {
      scheduler.schedule('a:x', at(HOUR), record('a'));
      assert.equal(spy.callCount, 1);
      assert.equal(spy.returnValues[0]?.hasRef(), false);
    } finally {
      spy.restore();
    }
  });

  it('runDue starts what is due by the wall clock now and says how many it started', () => {
    scheduler.schedule('a:x', at(1 * HOUR), record('a'));
    scheduler.schedule('b:x', at(2 * HOUR), record('b'));
    scheduler.schedule('c:x', at(3 * HOUR), record('c'));
    assert.equal(scheduler.runDue(), 0);
    skew = 2 * HOUR;
    assert.equal(scheduler.runDue(), 2);
    assert.deepEqual(log, ['a', 'b']);
    assert.equal(scheduler.size, 1);
    assert.equal(scheduler.runDue(), 0);
    assert.equal(clock.countTimers(), 1, 'armed again for what is left');
  });

  it('a task that schedules itself in the past runs again at the next wake-up, not in a loop within one', async () => {
    let runs = 0;
    const again = async (): Promise<void> => {
      // Bounded, so that a scheduler that loops fails this test instead of hanging it.
      if (++runs < 100) scheduler.schedule('a:again', new Date(wall() - 1), again);
    };
    scheduler.schedule('a:again', at(-1), again);
    assert.equal(scheduler.runDue(), 1);
    assert.equal(runs, 1);
    assert.equal(scheduler.size, 1);
    await clock.tickAsync(0);
    assert.equal(runs, 2);
  });

  it('a task cancelled by an earlier task of the same wake-up does not run', async () => {
    scheduler.schedule('a:escalate', at(1_000), async () => {
      log.push('a');
      scheduler.cancel('b:');
    });
    scheduler.schedule('b:remind', at(1_000), record('b'));
    await clock.tickAsync(1_000);
    assert.deepEqual(log, ['a']);
    assert.equal(scheduler.size, 0);
  });

  it('under many schedules, replacements and cancels it runs exactly what a plain list would, in the same order', () => {
    let seed = 11;
    const random = (below: number): number =>
      Math.floor(((seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647) * below);
    const model = new Map<string, { when: number; seq: number }>();
    let seq = 0;
    const expected: string[] = [];
    for (let op = 0; op < 5_000; op++) {
      const choice = random(100);
      const group = `c${random(300)}:`;
      const key =
        random(10) === 0 ? `loose${random(5)}` : group + ['escalate', 'remind', 'expire'][random(3)]!;
      if (choice < 50) {
        const when = wall() + random(6 * HOUR) - HOUR;
        scheduler.schedule(key, new Date(when), record(key));
        model.set(key, { when, seq: seq++ });
      } else if (choice < 75) {
        scheduler.cancel(group);
        for (const k of model.keys()) if (k.startsWith(group)) model.delete(k);
      } else if (choice < 92) {
        scheduler.cancel(key);
        for (const k of model.keys()) if (k.startsWith(key)) model.delete(k);
      } else {
        skew += random(HOUR);
        const due = [...model]
          .filter(([, t]) => t.when <= wall())
          .sort(([, a], [, b]) => a.when - b.when || a.seq - b.seq);
        for (const [k] of due) model.delete(k);
        expected.push(...due.map(([k]) => k));
        assert.equal(scheduler.runDue(), due.length);
      }
      assert.equal(scheduler.size, model.size);
    }
    assert.ok(expected.length > 300, `${expected.length} tasks ran`);
    assert.deepEqual(log, expected);
  });

  it('after most tasks are cancelled or replaced, the rest still run in order', () => {
    let seed = 5;
    const random = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    const whens = new Map<string, number>();
    for (let i = 0; i < 1_000; i++) {
      const key = `c${i}:escalate`;
      const when = T0 + Math.floor(random() * 24 * HOUR);
      scheduler.schedule(key, new Date(when), record(key));
      whens.set(key, when);
    }
    for (let i = 0; i < 1_000; i++) {
      const key = `c${i}:escalate`;
      if (i % 5 === 0) continue;
      if (i % 5 === 1) {
        const when = T0 + Math.floor(random() * 24 * HOUR);
        scheduler.schedule(key, new Date(when), record(key));
        whens.set(key, when);
      } else {
        scheduler.cancel(key);
        whens.delete(key);
      }
    }
    assert.equal(scheduler.size, 400);
    skew += 2 * 24 * HOUR;
    assert.equal(scheduler.runDue(), 400);
    const expected = [...whens].sort(([, a], [, b]) => a - b).map(([key]) => key);
    assert.deepEqual(log, expected);
  });

  it('close cancels every waiting task and leaves no timer behind', async () => {
    scheduler.schedule('a:escalate', at(1_000), record('a'));
    scheduler.schedule('b:remind', at(-1_000), record('b'));
    scheduler.schedule('loose', at(HOUR), record('loose'));
    scheduler.close();
    assert.equal(scheduler.size, 0);
    assert.equal(clock.countTimers(), 0);
    await clock.tickAsync(24 * HOUR);
    assert.deepEqual(log, []);
  });
});
