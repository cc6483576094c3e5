import assert from 'node:assert/strict';
import sinon from 'sinon';
import { claimCase, openCase, type HwcCase } from '../../src/domain/case';
import { HwcError } from '../../src/domain/errors';
import { mutateCase } from '../../src/store/case-store';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { InMemoryCaseStore } from '../../src/store/in-memory-case-store';
import { coordinatorA, coordinatorB, pupil, testSchool } from '../support/fixtures';

function makeCase(id: string): HwcCase {
  return openCase({
    id,
    schoolId: testSchool.id,
    pupil,
    source: 'municipality',
    receivedAt: new Date(0),
    supportDay: { date: '2026-11-23', lessonStart: new Date(1000), dayEnd: new Date(2000) },
  });
}

/** A store whose expiry tasks run as in the app: they take the case out, and the test hears which. */
function storeWithExpiry(now: () => number = Date.now) {
  const expired: string[] = [];
  const scheduler = new InProcessScheduler(now);
  const store = new InMemoryCaseStore({ scheduler, now });
  scheduler.start(async (task) => {
    if (task.kind !== 'expire') return;
    const taken = await store.takeExpired(task.caseId, new Date(now() + 3600_000));
    if (taken) expired.push(taken.id);
  });
  return { store, scheduler, expired };
}

describe('the in-memory case store', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => clock.restore());

  it('forgets a case by itself at its expiry, and says which one expired', async () => {
    const { store, expired } = storeWithExpiry();
    await store.create(makeCase('a'), new Date(5_000));
    await store.create(makeCase('b'), new Date(60_000));
    await clock.tickAsync(5_000);
    assert.deepEqual(expired, ['a']);
    assert.equal(await store.get('a'), undefined);
    assert.ok(await store.get('b'));
    await clock.tickAsync(55_000);
    assert.deepEqual(expired, ['a', 'b']);
    assert.equal(await store.size(), 0);
    store.close();
  });

  it('does not hand out an expired case even when no timer fired (the process slept)', async () => {
    let now = 0;
    const { store } = storeWithExpiry(() => now);
    await store.create(makeCase('a'), new Date(1_000));
    now = 10_000; // the wall clock jumped; the timer has not run
    assert.equal(await store.get('a'), undefined);
    store.close();
  });

  it('a case whose time passed unnoticed expires once, at the next wake-up, with a tombstone', async () => {
    let now = 0;
    const { store, scheduler, expired } = storeWithExpiry(() => now);
    await store.create(makeCase('a'), new Date(1_000));
    assert.equal(scheduler.size, 1);
    now = 10_000;
    assert.equal(await store.get('a'), undefined);
    scheduler.runDue();
    await clock.tickAsync(0);
    assert.deepEqual(expired, ['a']);
    assert.equal(scheduler.size, 0);
    assert.equal(await store.ending('a'), 'expired');
    scheduler.runDue();
    await clock.tickAsync(0);
    assert.deepEqual(expired, ['a'], 'once');
    store.close();
  });

  it('a case moved to another day expires then, not at its first time', async () => {
    const { store, expired } = storeWithExpiry();
    const c = makeCase('a');
    await store.create(c, new Date(5_000));
    assert.equal(await store.replace(1, { ...c, version: 2 }, new Date(90_000)), true);
    await clock.tickAsync(60_000);
    assert.deepEqual(expired, []);
    assert.ok(await store.get('a'));
    await clock.tickAsync(30_000);
    assert.deepEqual(expired, ['a']);
    store.close();
  });

  it('a deleted case leaves no expiry behind, and a tombstone only when told how it ended', async () => {
    const { store, scheduler } = storeWithExpiry();
    await store.create(makeCase('a'), new Date(5_000));
    await store.create(makeCase('b'), new Date(5_000));
    await store.delete('a', { how: 'not-our-pupil', until: new Date(3_000) });
    await store.delete('b');
    assert.equal(scheduler.size, 0);
    assert.equal(await store.ending('a'), 'not-our-pupil');
    assert.equal(await store.ending('b'), undefined);
    await clock.tickAsync(3_000);
    assert.equal(await store.ending('a'), undefined, 'the tombstone ends when it was told to');
    store.close();
  });

  it('replaces a case only at the version it was read', async () => {
    const { store } = storeWithExpiry();
    const c = makeCase('a');
    await store.create(c, new Date(60_000));
    assert.equal(await store.replace(1, { ...c, version: 2 }), true);
    assert.equal(await store.replace(1, { ...c, version: 2 }), false);
    store.close();
  });

  it('when two coordinators claim at once, only one wins', async () => {
    const { store } = storeWithExpiry();
    await store.create(makeCase('race'), new Date(60_000));
    const outcomes = await Promise.allSettled([
      mutateCase(store, 'race', (c) => claimCase(testSchool, c, coordinatorA, new Date())),
      mutateCase(store, 'race', (c) => claimCase(testSchool, c, coordinatorB, new Date())),
    ]);
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    const losers = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(winners.length, 1);
    assert.equal(losers.length, 1);
    assert.ok(
      losers[0]?.status === 'rejected' && (losers[0].reason as HwcError).code === 'case.already-claimed',
    );
    const stored = await store.get('race');
    assert.equal(stored?.version, 2);
    store.close();
  });

  it('reports a case that is gone as not found', async () => {
    const { store } = storeWithExpiry();
    await assert.rejects(
      mutateCase(store, 'missing', (c) => ({ case: c, changed: false })),
      (error: HwcError) => error.code === 'case.not-found',
    );
    store.close();
  });

  it("tells each school's oldest open case, and leaves out what ended or expired", async () => {
    const { store } = storeWithExpiry();
    const first = { ...makeCase('c-first'), receivedAt: new Date(100) };
    const later = { ...makeCase('c-later'), receivedAt: new Date(200) };
    const elsewhere = { ...makeCase('c-elsewhere'), schoolId: 'other-school', receivedAt: new Date(300) };
    for (const c of [first, later, elsewhere]) await store.create(c, new Date(5000));
    assert.deepEqual(
      (await store.oldestOpen()).map((o) => [o.schoolId, o.receivedAt.getTime()]).sort(),
      [
        ['other-school', 300],
        [testSchool.id, 100],
      ].sort(),
    );
    await store.delete(first.id);
    assert.equal(
      (await store.oldestOpen()).find((o) => o.schoolId === testSchool.id)?.receivedAt.getTime(),
      200,
    );
    clock.tick(5000);
    assert.deepEqual(await store.oldestOpen(), [], 'past their time, none is open');
  });
});
