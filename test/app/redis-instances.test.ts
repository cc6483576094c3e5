import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { claimCase, openCase } from '../../src/domain/case';
import { HwcError } from '../../src/domain/errors';
import { mutateCase } from '../../src/store/case-store';
import { FakeBotConnector, type RecordedActivity } from '../support/fake-bot-connector';
import {
  colleagues,
  coordinatorA,
  coordinatorB,
  deputy,
  groupTeacher,
  gymTeacher,
  otherSchool,
  signal,
  testSchool,
} from '../support/fixtures';
import { cardText, posting, waitFor } from '../support/flow-checks';
import { dumpRedis, keysOfCase, keysWithPupilData } from '../support/redis-scan';
import { testRedis, type TestRedis } from '../support/redis';
import { startTestApp, type TestApp } from '../support/test-app';

/** How long Redis may keep a case past its expiry (RedisCaseStore's default margin). */
const MARGIN_MS = 30 * 60_000;
/** Monday 23 November 2026, 07:00 in Amsterdam: lessons at 08:30, escalation at 08:00, day end 15:00. */
const MONDAY_7AM = new Date('2026-11-23T06:00:00Z');
const ESCALATION = new Date('2026-11-23T07:00:00Z');
const DAY_END = new Date('2026-11-23T14:00:00Z');

describe('open signals on Redis: restarts and several instances (real Redis, fake Bot Connector)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let connector: FakeBotConnector;
  let now: Date;
  let apps: TestApp[];

  beforeEach(async () => {
    redis = await testRedis();
    now = MONDAY_7AM;
    apps = [];
    const staff = [testSchool, otherSchool].flatMap((s) => [
      ...s.coordinators,
      ...s.deputies,
      ...s.intakeUsers,
    ]);
    connector = new FakeBotConnector({
      members: [...staff, ...colleagues].map((m) => ({ aadObjectId: m.id, name: m.name })),
    });
    await connector.start();
  });

  afterEach(async () => {
    for (const app of apps) await app.stop().catch(() => undefined);
    await connector.stop();
    await redis.cleanup();
  });

  /** An instance of the bot on the shared Redis, the shared fake Teams and the test's clock. */
  async function instance(): Promise<TestApp> {
    const app = await startTestApp({
      sharedConnector: connector,
      env: {
        ...redis.appEnv,
      },
      start: { clock: () => now },
    });
    apps.push(app);
    return app;
  }

  async function crash(app: TestApp): Promise<void> {
    apps = apps.filter((a) => a !== app);
    await app.crash();
  }

  /** Everything in this person's chats with the bot. */
  function chatOf(staffId: string): RecordedActivity[] {
    const chats = new Set([
      // The chat the person's own clicks came from, which the bot then writes into too.
      `a:personal-${staffId}`,
      ...connector.conversations.filter((c) => c.members.some((m) => m.id === staffId)).map((c) => c.id),
    ]);
    return connector.activities.filter((a) => chats.has(a.conversationId));
  }

  /** New messages (not updates) the bot posted to this person: each one notifies. */
  function postsTo(staffId: string): RecordedActivity[] {
    return chatOf(staffId).filter((a) => posting.has(a.kind));
  }

  async function deliver(app: TestApp, idempotencyKey = randomUUID()): Promise<string> {
    const casesOf = () =>
      postsTo(coordinatorA.id).flatMap(
        (card) => /"caseId":"([0-9a-f-]{36})"/.exec(JSON.stringify(card.body))?.[1] ?? [],
      );
    const before = new Set(casesOf());
    const res = await app.postSignal(signal, { 'Idempotency-Key': idempotencyKey });
    assert.equal(res.status, 201, res.body);
    const caseId = casesOf().find((id) => !before.has(id));
    assert.ok(caseId, 'the coordinator got a card for a new case');
    return caseId;
  }

  async function invoke(
    app: TestApp,
    who: string,
    verb: string,
    data: Record<string, unknown>,
  ): Promise<string> {
    const res = await app.invoke(who, verb, data);
    assert.equal(res.status, 200, `${verb}: ${res.text}`);
    return cardText(res.card);
  }

  /** Scans every key: no pupil data anywhere, and every key of the case expires by its expiry plus the margin. */
  async function assertRedisHoldsNothingOfThePupil(caseId: string, expiresAt = DAY_END): Promise<void> {
    const dumps = await dumpRedis(redis.client, redis.prefix);
    assert.deepEqual(keysWithPupilData(dumps), [], 'no key name or value holds the pupil');
    // Redis expires keys by its own clock; the test's clock stands elsewhere, so compare in Redis's time.
    // Each write maps the test's time to Redis's as it stood then; the clock only moves on from MONDAY_7AM.
    const latest = expiresAt.getTime() + MARGIN_MS + (Date.now() - MONDAY_7AM.getTime()) + 5_000;
    for (const key of keysOfCase(dumps, caseId)) {
      assert.ok(key.expiresAt > 0, `${key.key} has a TTL`);
      assert.ok(key.expiresAt <= latest, `${key.key} expires by the case's expiry + margin`);
    }
  }

  /** After closing or expiry no key of the case is left but its tombstone. */
  async function assertOnlyTheTombstoneRemains(caseId: string): Promise<void> {
    const dumps = await dumpRedis(redis.client, redis.prefix);
    assert.deepEqual(
      keysOfCase(dumps, caseId).map((d) => d.key.slice(redis.prefix.length).replace(caseId, '<id>')),
      ['tomb:<id>'],
    );
    assert.deepEqual(keysWithPupilData(dumps), []);
  }

  /** Claim, talk, colleagues read, parents: each step on the instance `on` picks. */
  async function wholeMorning(
    on: (step: number) => TestApp,
    caseId: string,
    parents: 'by-me' | 'by-group-teacher',
  ): Promise<void> {
    assert.match(
      await invoke(on(0), coordinatorA.id, 'case.view', { caseId }),
      new RegExp(signal.pupil.name),
    );
    assert.match(await invoke(on(1), coordinatorA.id, 'case.claim', { caseId }), /opgepakt/);
    await invoke(on(2), coordinatorA.id, 'case.record-talk', {
      caseId,
      support: 'quiet-spot',
      note: 'Mag even naar de gang',
      others: `${groupTeacher.id},${gymTeacher.id}`,
      nobody: 'false',
    });
    await assertRedisHoldsNothingOfThePupil(caseId);
    for (const [index, colleague] of [groupTeacher, gymTeacher].entries()) {
      assert.match(await invoke(on(3 + index), colleague.id, 'colleague.view', { caseId }), /Gelezen/);
      await invoke(on(4 + index), colleague.id, 'colleague.acknowledge', { caseId });
    }
    // The case waits until whoever informs the parents says it was done, on any instance.
    const chosen = await invoke(on(6), coordinatorA.id, 'case.record-parents', {
      caseId,
      parents,
      ...(parents === 'by-group-teacher' ? { parentsBy: groupTeacher.id } : {}),
    });
    assert.match(chosen, /Ouders geïnformeerd/);
    const done =
      parents === 'by-me'
        ? await invoke(on(7), coordinatorA.id, 'case.parents-done', { caseId })
        : await invoke(on(7), groupTeacher.id, 'colleague.parents-done', { caseId });
    assert.match(done, parents === 'by-me' ? /Afgerond/ : /afgerond en verwijderd/);
    assert.doesNotMatch(done, new RegExp(signal.pupil.name));
    for (const app of apps) await app.settled();
    await assertOnlyTheTombstoneRemains(caseId);
    const later = await invoke(on(8), coordinatorB.id, 'case.view', { caseId });
    assert.match(later, /Afgerond en verwijderd/);
  }

  it('a signal accepted before a crash is shown, claimed, escalated at its time and completed after the restart', async () => {
    const first = await instance();
    const caseId = await deliver(first);
    await crash(first);

    const second = await instance();
    const view = await invoke(second, coordinatorA.id, 'case.view', { caseId });
    assert.match(view, new RegExp(signal.pupil.name), 'the restarted bot shows the pupil');
    assert.doesNotMatch(view, /Onbekend signaal|en verwijderd/);
    await assertRedisHoldsNothingOfThePupil(caseId);

    // Nobody claimed it by 08:00: the deputy gets it, from the scheduler of the new process.
    assert.equal(postsTo(deputy.id).length, 0);
    now = new Date(ESCALATION.getTime() + 1000);
    await waitFor(() => postsTo(deputy.id).length === 1);

    await wholeMorning(() => second, caseId, 'by-me');
  });

  it('two instances, requests alternating, complete the morning of either parents procedure', async () => {
    const pair = [await instance(), await instance()];
    const alternating = (step: number) => pair[step % 2]!;
    await wholeMorning(alternating, await deliver(pair[0]!), 'by-me');
    await wholeMorning(alternating, await deliver(pair[1]!), 'by-group-teacher');
  });

  it('a retry with the same Idempotency-Key on the other instance posts no second card', async () => {
    const [a, b] = [await instance(), await instance()];
    const key = randomUUID();
    const first = await a.postSignal(signal, { 'Idempotency-Key': key });
    const retry = await b.postSignal(signal, { 'Idempotency-Key': key });
    assert.equal(first.status, 201);
    assert.equal(retry.status, 201);
    assert.equal(retry.body, first.body, 'the first answer');
    assert.equal(postsTo(coordinatorA.id).length, 1, 'one card');
  });

  it('with two instances, the escalation and the automatic reminder are each sent exactly once', async () => {
    const [a, b] = [await instance(), await instance()];
    const caseId = await deliver(a);
    now = new Date(ESCALATION.getTime() + 1000);
    await waitFor(() => postsTo(deputy.id).length >= 1);
    // Both instances poll twice a second: give each several chances to run it again.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(postsTo(deputy.id).length, 1, 'the deputy got one card');
    assert.equal(postsTo(coordinatorA.id).length, 2, 'the first card and one reminder');

    await invoke(b, coordinatorA.id, 'case.claim', { caseId });
    await invoke(a, coordinatorA.id, 'case.record-talk', {
      caseId,
      support: 'quiet-spot',
      note: '',
      others: groupTeacher.id,
      nobody: 'false',
    });
    await a.settled();
    assert.equal(postsTo(groupTeacher.id).length, 1);
    now = new Date(now.getTime() + (testSchool.reminderAfterMinutes + 1) * 60_000);
    await waitFor(() => postsTo(groupTeacher.id).length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(postsTo(groupTeacher.id).length, 2, 'the card and one automatic reminder');
  });

  it('when one instance dies mid-flow, the other finishes the morning', async () => {
    const [a, b] = [await instance(), await instance()];
    const caseId = await deliver(a);
    await invoke(a, coordinatorA.id, 'case.claim', { caseId });
    // Instance A dies while the colleague's card is on its way: Teams never got it.
    connector.holdRequests((r) => r.route === 'createConversation');
    await invoke(a, coordinatorA.id, 'case.record-talk', {
      caseId,
      support: 'quiet-spot',
      note: '',
      others: groupTeacher.id,
      nobody: 'false',
    });
    await waitFor(() => connector.held > 0);
    await crash(a);
    // The request A made is never served (its process is gone); later ones are.
    connector.hold = undefined;
    assert.equal(postsTo(groupTeacher.id).length, 0, 'no card yet');
    // The fan-out's resume task, written before it started, falls due on B.
    now = new Date(now.getTime() + 4 * 60_000);
    await waitFor(() => postsTo(groupTeacher.id).length >= 1);
    await b.settled();
    assert.equal(postsTo(groupTeacher.id).length, 1, 'B sent the card A could not');
    await invoke(b, groupTeacher.id, 'colleague.acknowledge', { caseId });
    assert.match(await invoke(b, coordinatorA.id, 'case.view', { caseId }), /1 van 1 gelezen|gelezen om/);
    assert.match(
      await invoke(b, coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' }),
      /Afgerond/,
    );
    await b.settled();
    await assertOnlyTheTombstoneRemains(caseId);
  });

  it('a double click that lands once on each instance changes nothing twice', async () => {
    const [a, b] = [await instance(), await instance()];
    const caseId = await deliver(a);
    const claims = await Promise.all([
      invoke(a, coordinatorA.id, 'case.claim', { caseId }),
      invoke(b, coordinatorB.id, 'case.claim', { caseId }),
    ]);
    const stored = await a.app.services.store.get(caseId);
    const owner = stored?.claim?.by.id;
    assert.ok(owner === coordinatorA.id || owner === coordinatorB.id);
    assert.equal(claims.filter((c) => c.includes('Jij hebt dit signaal opgepakt')).length, 1, 'one owner');
    const claimedLines = apps.flatMap((app) =>
      app.logs.lines.filter((l) => l.includes('"msg":"case claimed"')),
    );
    assert.equal(claimedLines.length, 1, 'one claim took effect');

    await invoke(a, owner, 'case.record-talk', {
      caseId,
      support: 'quiet-spot',
      note: '',
      others: groupTeacher.id,
      nobody: 'false',
    });
    await Promise.all([
      invoke(a, groupTeacher.id, 'colleague.acknowledge', { caseId }),
      invoke(b, groupTeacher.id, 'colleague.acknowledge', { caseId }),
    ]);
    const acknowledged = await b.app.services.store.get(caseId);
    assert.equal(acknowledged?.colleagues.filter((c) => c.acknowledgedAt).length, 1);
    const parents = await Promise.all([
      invoke(a, owner, 'case.record-parents', { caseId, parents: 'not-now' }),
      invoke(b, owner, 'case.record-parents', { caseId, parents: 'not-now' }),
    ]);
    assert.ok(parents.some((p) => /Afgerond/.test(p)));
    for (const app of apps) await app.settled();
    // One close: the stats counted it once, and the card was made neutral once.
    const neutral = chatOf(owner).filter(
      (x) => x.kind === 'update' && /afgerond/.test(JSON.stringify(x.body)),
    );
    assert.equal(new Set(neutral.map((x) => x.activityId)).size, neutral.length > 0 ? 1 : 0);
    await assertOnlyTheTombstoneRemains(caseId);
  });

  it('1,000 claim races across two instances each end with exactly one owner', async () => {
    const [a, b] = [await instance(), await instance()];
    const stores = [a.app.services.store, b.app.services.store] as const;
    const races = 1000;
    let contested = 0;
    for (let from = 0; from < races; from += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, races - from) }, async () => {
          const c = openCase({
            id: randomUUID(),
            schoolId: testSchool.id,
            pupil: signal.pupil,
            source: 'police',
            receivedAt: now,
            supportDay: {
              date: '2026-11-23',
              lessonStart: new Date('2026-11-23T07:30:00Z'),
              dayEnd: DAY_END,
            },
          });
          await stores[0].create(c, DAY_END);
          const outcomes = await Promise.allSettled([
            mutateCase(stores[0], c.id, (x) => claimCase(testSchool, x, coordinatorA, now)),
            mutateCase(stores[1], c.id, (x) => claimCase(testSchool, x, coordinatorB, now)),
          ]);
          const winners = outcomes.filter((o) => o.status === 'fulfilled');
          assert.equal(winners.length, 1, 'exactly one claim wins');
          for (const o of outcomes) {
            if (o.status === 'rejected') assert.equal((o.reason as HwcError).code, 'case.already-claimed');
          }
          const stored = await stores[1].get(c.id);
          assert.equal(stored?.version, 2);
          if (stored?.claim?.by.id === coordinatorB.id) contested++;
          await stores[1].delete(c.id);
        }),
      );
    }
    // Both instances won some: the races were real races, not one instance always first.
    assert.ok(contested > 0 && contested < races, `instance B won ${contested} of ${races}`);
  });
});
