import assert from 'node:assert/strict';
import type { ScheduledTask } from '../../src/app/ports';
import { openCase } from '../../src/domain/case';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { testSchool } from '../support/fixtures';
import { testServices } from '../support/services';

const T0 = Date.parse('2026-11-23T14:00:00Z');

/** Resolves after the next turns of the event loop, until `done` holds (or gives up). */
async function turnsUntil(done: () => boolean, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('the in-process scheduler runs what falls due at once in slices', () => {
  let now = T0;
  let scheduler: InProcessScheduler;
  afterEach(() => scheduler?.close());

  it('starts at most a slice per turn of the event loop, in order, and every task runs', async () => {
    scheduler = new InProcessScheduler(() => now, undefined, { sliceSize: 25 });
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    const ran: { key: string; turn: number }[] = [];
    scheduler.start(async (task) => {
      ran.push({ key: task.kind === 'expire' ? task.caseId : '?', turn });
      // Work of promise callbacks only, as an expiry with the memory store.
      for (let i = 0; i < 5; i++) await Promise.resolve();
    });
    const keys = Array.from({ length: 200 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    for (const [i, key] of keys.entries()) {
      await scheduler.schedule(`${key}:expire`, new Date(T0 - 1000 + i), { kind: 'expire', caseId: key });
    }
    let seenByEarlierCallback = -1;
    setImmediate(() => (seenByEarlierCallback = ran.length));
    setImmediate(tick);
    now = T0;
    assert.equal(scheduler.runDue(), 200, 'every due task is taken from the timers');
    assert.equal(ran.length, 25, 'only the first slice started inside runDue');
    await turnsUntil(() => ran.length === 200);
    ticking = false;
    assert.equal(seenByEarlierCallback, 25, 'a callback queued before the mass run ran after one slice');
    assert.deepEqual(
      ran.map((r) => r.key),
      keys,
      'every task ran, earliest first',
    );
    const perTurn = new Map<number, number>();
    for (const r of ran) perTurn.set(r.turn, (perTurn.get(r.turn) ?? 0) + 1);
    assert.ok(Math.max(...perTurn.values()) <= 25, `a turn started ${Math.max(...perTurn.values())} tasks`);
    assert.equal(perTurn.size, 8, 'eight turns of 25');
  });

  it('a task that fails in a later slice is reported like any other', async () => {
    const errors: string[] = [];
    scheduler = new InProcessScheduler(
      () => now,
      (key) => errors.push(key),
      { sliceSize: 2 },
    );
    scheduler.start((task: ScheduledTask) =>
      task.kind === 'expire' && task.caseId === 'c4' ? Promise.reject(new Error('x')) : Promise.resolve(),
    );
    for (let i = 0; i < 5; i++) {
      await scheduler.schedule(`c${i}:expire`, new Date(T0 - 1), { kind: 'expire', caseId: `c${i}` });
    }
    scheduler.runDue();
    await turnsUntil(() => errors.length > 0, 20);
    assert.deepEqual(errors, ['c4:expire'], 'the failure of the last slice reached onError');
  });

  it('close drops the due tasks still waiting for their slice', async () => {
    scheduler = new InProcessScheduler(() => now, undefined, { sliceSize: 3 });
    let ran = 0;
    scheduler.start(async () => void ran++);
    for (let i = 0; i < 10; i++) {
      await scheduler.schedule(`c${i}:expire`, new Date(T0 - 1), { kind: 'expire', caseId: `c${i}` });
    }
    scheduler.runDue();
    scheduler.close();
    await turnsUntil(() => false, 5);
    assert.equal(ran, 3, 'only the first slice ran');
  });

  it('refuses a slice of less than one task', () => {
    assert.throws(() => new InProcessScheduler(() => now, undefined, { sliceSize: 0 }), RangeError);
  });
});

describe('a thousand cases expiring at once', () => {
  it('expire over many turns of the event loop, each case once, and leave the store empty', async () => {
    let now = new Date('2026-11-23T13:00:00Z');
    const services = testServices([testSchool], {
      messenger: {
        sendCard: () => Promise.reject(new Error('no Teams here')),
        updateCard: () => Promise.resolve(),
        deleteCard: () => Promise.resolve('deleted'),
      },
      clock: () => now,
    });
    const dayEnd = new Date('2026-11-23T14:00:00Z');
    for (let i = 0; i < 1_000; i++) {
      const c = openCase({
        id: services.newId(),
        schoolId: testSchool.id,
        pupil: { name: 'Fenna Quakkelaar', birthDate: '2016-04-12' },
        source: 'police',
        receivedAt: new Date('2026-11-22T19:00:00Z'),
        supportDay: { date: '2026-11-23', lessonStart: new Date('2026-11-23T07:30:00Z'), dayEnd },
      });
      await services.store.create(c, dayEnd);
    }
    assert.equal(await services.store.size(), 1_000, 'a thousand open cases');
    let expired = 0;
    const store = services.store;
    const takeExpired = store.takeExpired.bind(store);
    store.takeExpired = async (id, until) => {
      const c = await takeExpired(id, until);
      if (c) expired++;
      return c;
    };
    now = new Date('2026-11-23T14:00:01Z');
    let seenByEarlierCallback = -1;
    setImmediate(() => (seenByEarlierCallback = expired));
    (services.scheduler as InProcessScheduler).runDue();
    await turnsUntil(() => expired === 1_000);
    assert.equal(expired, 1_000, 'every case expired');
    assert.ok(
      seenByEarlierCallback > 0 && seenByEarlierCallback < 1_000,
      `a callback queued before the expiry saw ${seenByEarlierCallback} of 1000 expired: not sliced`,
    );
    assert.equal(await services.store.size(), 0, 'the store is empty');
    (services.scheduler as InProcessScheduler).close();
  });
});
