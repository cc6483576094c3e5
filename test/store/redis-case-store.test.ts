import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { RESP_TYPES } from 'redis';
import type { ScheduledTask, Scheduler } from '../../src/app/ports';
import {
  acknowledge,
  claimCase,
  openCase,
  type HwcCase,
  type InformedColleague,
  type PostedShell,
} from '../../src/domain/case';
import { isHwcError } from '../../src/domain/errors';
import type { StaffMember } from '../../src/domain/school';
import { createLogger } from '../../src/logging/logger';
import { connectRedis, type RedisClient } from '../../src/redis/redis-client';
import { parseEncryptionKeys, type CaseKeyring } from '../../src/store/case-cipher';
import { mutateCase, type CaseStore } from '../../src/store/case-store';
import { expiryKey, InMemoryCaseStore } from '../../src/store/in-memory-case-store';
import { RedisCaseStore } from '../../src/store/redis-case-store';
import { coordinatorA, coordinatorB, deputy, testSchool } from '../support/fixtures';
import { freePort, RedisServerProcess, testRedis, type TestRedis } from '../support/redis';
import { dumpRedis } from '../support/redis-scan';

const MINUTE = 60_000;
const MARGIN = 30 * MINUTE;

// Invented; the privacy scan below looks for this pupil in every key and value.
const pupil = { name: 'Saar Vermeulen-Okafor', birthDate: '2016-04-12' };
const pupilTraces: Array<[label: string, text: string]> = [
  ['full name', pupil.name],
  ['given name', 'Saar'],
  ['surname', 'Vermeulen-Okafor'],
  ['first part of the surname', 'Vermeulen'],
  ['second part of the surname', 'Okafor'],
  ['birth date yyyy-mm-dd', '2016-04-12'],
  ['birth date dd-mm-yyyy', '12-04-2016'],
  ['birth date dd/mm/yyyy', '12/04/2016'],
  ['birth date dd.mm.yyyy', '12.04.2016'],
  ['birth date ddmmyyyy', '12042016'],
  ['birth date yyyymmdd', '20160412'],
];

const silent = createLogger({ level: 'silent' });

function newKeyring(kid = 'k1'): { keyring: CaseKeyring; setting: string } {
  const setting = `${kid}:${randomBytes(32).toString('base64')}`;
  return { keyring: parseEncryptionKeys(setting), setting };
}

/** Records what the store asks of the scheduler, and keeps the tasks as a real scheduler would. */
class RecordingScheduler implements Scheduler {
  readonly tasks = new Map<string, { when: Date; task: ScheduledTask }>();
  readonly cancelled: string[] = [];

  async schedule(key: string, when: Date, task: ScheduledTask): Promise<void> {
    this.tasks.set(key, { when, task });
  }

  async cancel(prefix: string): Promise<void> {
    this.cancelled.push(prefix);
    for (const key of [...this.tasks.keys()]) if (key.startsWith(prefix)) this.tasks.delete(key);
  }
}

/** The wall clock, but one a test can move forward: Redis's own clock (TTLs) does not move with it. */
class TestClock {
  private offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  date(inMs = 0): Date {
    return new Date(this.now() + inMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function newCase(id = randomUUID(), received = new Date()): HwcCase {
  return openCase({
    id,
    schoolId: testSchool.id,
    pupil,
    source: 'police',
    receivedAt: received,
    supportDay: {
      date: '2026-11-23',
      lessonStart: new Date('2026-11-23T07:30:00.000Z'),
      dayEnd: new Date('2026-11-23T14:00:00.000Z'),
    },
  });
}

function shell(staffId: string, role: PostedShell['role'], n: number): Required<PostedShell> {
  return {
    staffId,
    role,
    // As long as Teams makes them: a personal chat's id, an activity id, a user's MRI.
    conversationId: `a:1${randomBytes(96).toString('base64url')}`,
    activityId: String(1_763_880_000_000 + n),
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    teamsUserId: `29:1${randomBytes(72).toString('base64url')}`,
    locale: 'nl-NL',
  };
}

/**
 * A case with every field set, down to the nested optional ones; typed as Required so that a
 * field added to HwcCase fails to compile here until it is added (and so round-tripped) too.
 * Three colleagues and four shells: a typical case in the 'informing' step.
 */
function fullCase(id = randomUUID()): HwcCase {
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 23, 6, minute, 17, 123));
  const colleagues: Array<Required<InformedColleague>> = [
    { id: randomUUID(), name: 'Marloes Tjallema' },
    { id: randomUUID(), name: 'Ids Wiersma' },
    { id: randomUUID(), name: 'Lieke Haverkamp' },
  ].map((staff, n) => ({
    staff,
    delivery: 'sent',
    sentAt: at(20 + n),
    acknowledgedAt: at(25 + n),
    reminders: n,
    parentsOnly: n === 2,
  }));
  const c: Required<HwcCase> = {
    ...newCase(id, at(2)),
    state: 'closed',
    claim: { by: coordinatorA, at: at(10), handedOverBy: coordinatorB },
    claimedBeforeLessons: true,
    group: '6B',
    mailSender: { mailbox: 'hwc@testlab.example', address: 'wijkteam.noord@politie-regio.example' },
    talk: {
      at: at(15),
      by: coordinatorA,
      support: {
        optionIds: ['quiet-spot', 'test-moved'],
        note: 'Mag vandaag even naar de rustige hoek als het te veel wordt.',
      },
      nobodyToInform: false,
      procedure: 'talk-first',
    },
    colleagues,
    parents: {
      choice: 'by-group-teacher',
      at: at(30),
      by: { id: randomUUID(), name: 'Lieke Haverkamp' },
      doneAt: at(44),
      remindedAt: at(41),
    } satisfies Required<NonNullable<HwcCase['parents']>>,
    absences: 1,
    escalatedAt: at(5),
    reminderRounds: 1,
    autoRemindedAt: at(40),
    closed: { reason: 'completed', by: coordinatorA, at: at(45) },
    shells: [
      shell(coordinatorA.id, 'coordinator', 1),
      shell(deputy.id, 'deputy', 2),
      ...colleagues.slice(0, 2).map((p, n) => shell(p.staff.id, 'colleague', 3 + n)),
    ],
    version: 7,
  };
  return c;
}

interface Opened {
  store: CaseStore;
  close(): Promise<void>;
}

const implementations: Array<{
  name: string;
  open(clock: TestClock, scheduler: Scheduler): Promise<Opened>;
}> = [
  {
    name: 'the in-memory case store',
    async open(clock, scheduler) {
      const store = new InMemoryCaseStore({ scheduler, now: clock.now });
      return { store, close: async () => store.close() };
    },
  },
  {
    name: 'the Redis case store',
    async open(clock, scheduler) {
      const redis = await testRedis();
      const { keyring } = newKeyring();
      const store = new RedisCaseStore({
        client: redis.client,
        keyring,
        scheduler,
        prefix: redis.prefix,
        now: clock.now,
      });
      return { store, close: () => redis.cleanup() };
    },
  },
];

for (const implementation of implementations) {
  describe(`${implementation.name}, as every CaseStore behaves`, () => {
    let clock: TestClock;
    let scheduler: RecordingScheduler;
    let opened: Opened;
    let store: CaseStore;

    beforeEach(async () => {
      clock = new TestClock();
      scheduler = new RecordingScheduler();
      opened = await implementation.open(clock, scheduler);
      store = opened.store;
    });
    afterEach(() => opened.close());

    it('gives back the case it was given, every Date a Date again', async () => {
      const c = fullCase();
      await store.create(c, clock.date(60 * MINUTE));
      const read = await store.get(c.id);
      assert.deepEqual(read, c);
      assert.ok(read?.receivedAt instanceof Date && read.colleagues[0]?.acknowledgedAt instanceof Date);
      const fresh = newCase();
      await store.create(fresh, clock.date(60 * MINUTE));
      assert.deepEqual(await store.get(fresh.id), fresh);
      assert.equal(await store.get(randomUUID()), undefined);
    });

    it('schedules the expiry task of a new case at its expiry', async () => {
      const c = newCase();
      const expiresAt = clock.date(60 * MINUTE);
      await store.create(c, expiresAt);
      assert.deepEqual(scheduler.tasks.get(expiryKey(c.id)), {
        when: expiresAt,
        task: { kind: 'expire', caseId: c.id },
      });
    });

    it('refuses a second case under an id it already holds, and keeps the first', async () => {
      const c = newCase();
      await store.create(c, clock.date(60 * MINUTE));
      await assert.rejects(store.create({ ...c, group: '8A' }, clock.date(90 * MINUTE)), /case id collision/);
      assert.deepEqual(await store.get(c.id), c);
    });

    it('replaces a case only at the version it was read', async () => {
      const c = newCase();
      await store.create(c, clock.date(60 * MINUTE));
      assert.equal(await store.replace(1, { ...c, version: 2, group: '5A' }), true);
      assert.equal(await store.replace(1, { ...c, version: 2, group: '7C' }), false);
      assert.equal(await store.replace(3, { ...c, version: 4, group: '7C' }), false);
      assert.deepEqual(await store.get(c.id), { ...c, version: 2, group: '5A' });
      assert.equal(await store.replace(1, newCase()), false, 'a case it does not hold');
    });

    it('lets only one of two coordinators claiming at once win', async () => {
      const c = newCase();
      await store.create(c, clock.date(60 * MINUTE));
      const outcomes = await Promise.allSettled(
        [coordinatorA, coordinatorB].map((who) =>
          mutateCase(store, c.id, (current) => claimCase(testSchool, current, who, new Date())),
        ),
      );
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      const lost = outcomes.find((o) => o.status === 'rejected');
      assert.ok(lost && isHwcError(lost.reason, 'case.already-claimed'));
      assert.equal((await store.get(c.id))?.version, 2);
    });

    it('hands out no case whose time has come, even before its expiry task ran', async () => {
      const c = newCase();
      await store.create(c, clock.date(10 * MINUTE));
      clock.advance(10 * MINUTE);
      assert.equal(await store.get(c.id), undefined);
      assert.equal(await store.replace(1, { ...c, version: 2 }), false);
    });

    it('moves the expiry task when a replace moves the case to another day', async () => {
      const c = newCase();
      await store.create(c, clock.date(10 * MINUTE));
      const later = clock.date(24 * 60 * MINUTE);
      assert.equal(await store.replace(1, { ...c, version: 2, absences: 1 }, later), true);
      assert.deepEqual(scheduler.tasks.get(expiryKey(c.id)), {
        when: later,
        task: { kind: 'expire', caseId: c.id },
      });
      clock.advance(11 * MINUTE);
      assert.equal(
        await store.takeExpired(c.id, clock.date(60 * MINUTE)),
        undefined,
        'the old time is no time',
      );
      assert.equal((await store.get(c.id))?.absences, 1);
      clock.advance(24 * 60 * MINUTE);
      assert.equal((await store.takeExpired(c.id, clock.date(60 * MINUTE)))?.absences, 1);
    });

    it('gives a case to its expiry task only once its time has come, and leaves an expired tombstone', async () => {
      const c = fullCase();
      await store.create(c, clock.date(10 * MINUTE));
      assert.equal(await store.takeExpired(c.id, clock.date(60 * MINUTE)), undefined);
      assert.deepEqual(await store.get(c.id), c);
      assert.equal(await store.ending(c.id), undefined);
      clock.advance(10 * MINUTE);
      assert.deepEqual(await store.takeExpired(c.id, clock.date(60 * MINUTE)), c);
      assert.equal(await store.ending(c.id), 'expired');
      assert.equal(await store.get(c.id), undefined);
      assert.equal(await store.takeExpired(c.id, clock.date(60 * MINUTE)), undefined, 'taken once');
      assert.equal(await store.size(), 0);
    });

    it('keeps how a deleted case ended until the tombstone runs out, and cancels its expiry', async () => {
      const c = newCase();
      await store.create(c, clock.date(60 * MINUTE));
      await store.delete(c.id, { how: 'completed', until: clock.date(300) });
      assert.equal(await store.get(c.id), undefined);
      assert.equal(await store.ending(c.id), 'completed');
      assert.equal(scheduler.tasks.has(expiryKey(c.id)), false);
      assert.ok(scheduler.cancelled.includes(expiryKey(c.id)));
      await sleep(400);
      assert.equal(await store.ending(c.id), undefined);
    });

    it('leaves no tombstone of a case deleted without an ending, or with one that has run out', async () => {
      const plain = newCase();
      const late = newCase();
      await store.create(plain, clock.date(60 * MINUTE));
      await store.create(late, clock.date(60 * MINUTE));
      await store.delete(plain.id);
      await store.delete(late.id, { how: 'not-our-pupil', until: clock.date(-1) });
      assert.equal(await store.ending(plain.id), undefined);
      assert.equal(await store.ending(late.id), undefined);
      assert.equal(await store.get(plain.id), undefined);
      assert.equal(await store.size(), 0);
    });

    it('counts open cases: not those deleted or taken, nor those whose time has come', async () => {
      assert.equal(await store.size(), 0);
      const [early, deleted, open] = [newCase(), newCase(), newCase()];
      await store.create(early, clock.date(5 * MINUTE));
      await store.create(deleted, clock.date(60 * MINUTE));
      await store.create(open, clock.date(60 * MINUTE));
      assert.equal(await store.size(), 3);
      await store.delete(deleted.id);
      assert.equal(await store.size(), 2);
      clock.advance(5 * MINUTE);
      assert.equal(await store.size(), 1, 'the early one is due, before its expiry task ran');
      await store.takeExpired(early.id, clock.date(60 * MINUTE));
      assert.equal(await store.size(), 1);
    });
  });
}

/** Where the pupil shows up, by key and the label of the trace: never the trace itself. */
async function findPupil(redis: TestRedis): Promise<string[]> {
  const found: string[] = [];
  for (const { key, contents } of await dumpRedis(redis.client, redis.prefix)) {
    const texts = [key, contents].map((t) => t.toLowerCase());
    for (const [label, trace] of pupilTraces) {
      if (texts.some((text) => text.includes(trace.toLowerCase()))) found.push(`${key}: ${label}`);
    }
  }
  return found;
}

describe('the Redis case store', () => {
  let redis: TestRedis;
  let scheduler: RecordingScheduler;
  let keyring: CaseKeyring;
  let setting: string;
  let store: RedisCaseStore;
  const others: RedisClient[] = [];

  beforeEach(async () => {
    redis = await testRedis();
    scheduler = new RecordingScheduler();
    ({ keyring, setting } = newKeyring('2026-a'));
    store = new RedisCaseStore({ client: redis.client, keyring, scheduler, prefix: redis.prefix });
  });
  afterEach(async () => {
    for (const client of others.splice(0)) client.destroy();
    await redis.cleanup();
  });

  async function secondClient(): Promise<RedisClient> {
    const client = await connectRedis({ url: redis.url }, silent);
    others.push(client);
    return client;
  }

  function indexKey(): string {
    return `${redis.prefix}cases`;
  }

  function keyName(kind: 'case' | 'tomb', id: string): string {
    return `${redis.prefix}${kind}:${id}`;
  }

  it('names its keys with the prefix, fixed words and random case ids only', async () => {
    const [a, b] = [fullCase(), fullCase()];
    await store.create(a, new Date(Date.now() + 60 * MINUTE));
    await store.create(b, new Date(Date.now() + 60 * MINUTE));
    await store.delete(b.id, { how: 'completed', until: new Date(Date.now() + 60 * MINUTE) });
    assert.deepEqual(
      (await redis.keys()).sort(),
      [indexKey(), `${redis.prefix}received`, keyName('case', a.id), keyName('tomb', b.id)].sort(),
    );
    assert.equal(await redis.client.get(keyName('tomb', b.id)), 'completed');
  });

  it('gives every key a TTL no later than its expiry plus the margin', async () => {
    const base = Date.now();
    const [first, second, ended] = [fullCase(), newCase(), newCase()];
    await store.create(first, new Date(base + 60 * MINUTE));
    await store.create(second, new Date(base + 90 * MINUTE));
    await store.create(ended, new Date(base + 120 * MINUTE));
    await store.delete(ended.id, { how: 'not-our-pupil', until: new Date(base + 45 * MINUTE) });
    const ttlOf = (key: string) => redis.client.pExpireTime(key);
    for (const key of await redis.keys()) {
      const at = await ttlOf(key);
      assert.ok(at > 0, `${key} has no TTL`);
      assert.ok(at <= base + 90 * MINUTE + MARGIN, `${key} outlives the last open case`);
    }
    assert.equal(await ttlOf(keyName('case', first.id)), base + 60 * MINUTE + MARGIN);
    assert.equal(await ttlOf(keyName('case', second.id)), base + 90 * MINUTE + MARGIN);
    assert.equal(await ttlOf(keyName('tomb', ended.id)), base + 45 * MINUTE);
    assert.equal(await ttlOf(indexKey()), base + 90 * MINUTE + MARGIN);
  });

  it('moves the TTLs when a case moves to another day', async () => {
    const base = Date.now();
    const c = newCase();
    await store.create(c, new Date(base + 60 * MINUTE));
    const nextDay = base + 24 * 60 * MINUTE;
    assert.equal(await store.replace(1, { ...c, version: 2 }, new Date(nextDay)), true);
    assert.equal(await redis.client.pExpireTime(keyName('case', c.id)), nextDay + MARGIN);
    assert.equal(await redis.client.pExpireTime(indexKey()), nextDay + MARGIN);
    assert.equal(await redis.client.zScore(indexKey(), c.id), nextDay);
    assert.equal(await store.replace(2, { ...c, version: 3 }), true);
    assert.equal(
      await redis.client.pExpireTime(keyName('case', c.id)),
      nextDay + MARGIN,
      'a plain replace keeps it',
    );
  });

  it('holds the pupil nowhere in the clear: no key name, no value, no hash field', async () => {
    const cases = [fullCase(), fullCase(), newCase()];
    for (const c of cases) await store.create(c, new Date(Date.now() + 60 * MINUTE));
    await store.replace(
      7,
      { ...(cases[0] as HwcCase), version: 8, group: '6C' },
      new Date(Date.now() + 90 * MINUTE),
    );
    await store.delete((cases[1] as HwcCase).id, { how: 'completed', until: new Date(Date.now() + MINUTE) });
    // Two cases, a tombstone, the expiry index and the received index (school ids, times, case ids).
    assert.equal((await redis.keys()).length, 5);
    assert.deepEqual(await findPupil(redis), []);
  });

  it("tells each school's oldest open case, and forgets a case once it is deleted", async () => {
    const first = { ...newCase(), receivedAt: new Date(Date.now() - 30 * MINUTE) };
    const later = newCase();
    const elsewhere = { ...newCase(), schoolId: 'other-school' };
    for (const c of [first, later, elsewhere]) await store.create(c, new Date(Date.now() + 60 * MINUTE));
    const oldest = await store.oldestOpen();
    assert.deepEqual(
      oldest.map((o) => [o.schoolId, o.receivedAt.getTime()]).sort(),
      [
        ['other-school', elsewhere.receivedAt.getTime()],
        [first.schoolId, first.receivedAt.getTime()],
      ].sort(),
    );
    await store.delete(first.id);
    assert.equal(
      (await store.oldestOpen()).find((o) => o.schoolId === first.schoolId)?.receivedAt.getTime(),
      later.receivedAt.getTime(),
    );
  });

  it('has a scan that does find a case written in the clear', async () => {
    const c = fullCase();
    await redis.client.hSet(keyName('case', c.id), { ver: '7', blob: JSON.stringify(c) });
    const found = await findPupil(redis);
    assert.ok(found.includes(`${keyName('case', c.id)}: full name`));
    assert.ok(found.includes(`${keyName('case', c.id)}: birth date yyyy-mm-dd`));
  });

  it('treats a stored value that is not what it wrote for that id as gone, without throwing', async () => {
    const [tampered, copiedOver, bumped] = [newCase(), newCase(), newCase()];
    for (const c of [tampered, copiedOver, bumped]) await store.create(c, new Date(Date.now() + 60 * MINUTE));
    const raw = redis.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    const blob = (await raw.hGet(keyName('case', tampered.id), 'blob')) as Buffer;
    const flipped = Buffer.from(blob);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x20;
    await redis.client.hSet(keyName('case', tampered.id), 'blob', flipped);
    // A valid blob, but written for another id: the AAD does not match.
    await redis.client.hSet(keyName('case', copiedOver.id), 'blob', blob);
    // Authentic, but not the version the hash says.
    await redis.client.hSet(keyName('case', bumped.id), 'ver', '2');
    for (const c of [tampered, copiedOver, bumped]) {
      assert.equal(await store.get(c.id), undefined);
      await assert.rejects(
        mutateCase(store, c.id, (current) => claimCase(testSchool, current, coordinatorA, new Date())),
        (error: unknown) => isHwcError(error, 'case.not-found'),
      );
    }
  });

  it('treats a case under a key it does not hold, or other bytes under the same key id, as gone', async () => {
    const c = newCase();
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    const otherKid = new RedisCaseStore({
      client: redis.client,
      keyring: newKeyring('k9').keyring,
      scheduler,
      prefix: redis.prefix,
    });
    const sameKidOtherBytes = new RedisCaseStore({
      client: redis.client,
      keyring: newKeyring('2026-a').keyring,
      scheduler,
      prefix: redis.prefix,
    });
    assert.equal(await otherKid.get(c.id), undefined);
    assert.equal(await sameKidOtherBytes.get(c.id), undefined);
    assert.deepEqual(await store.get(c.id), c);
  });

  it('reads cases written under the old key after a rotation, and writes under the new one', async () => {
    const c = newCase();
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    const rotated = newKeyring('2026-b');
    const afterRotation = new RedisCaseStore({
      client: await secondClient(),
      keyring: parseEncryptionKeys(`${rotated.setting},${setting}`),
      scheduler,
      prefix: redis.prefix,
    });
    assert.deepEqual(await afterRotation.get(c.id), c);
    assert.equal(await afterRotation.replace(1, { ...c, version: 2 }), true);
    assert.equal(await redis.client.hGet(keyName('case', c.id), 'kid'), '2026-b');
    assert.equal((await afterRotation.get(c.id))?.version, 2);
    assert.equal(await store.get(c.id), undefined, 'an instance without the new key cannot read it');
  });

  it('between two instances, lets exactly one of several writers of the same version win, 200 times over', async () => {
    const other = new RedisCaseStore({
      client: await secondClient(),
      keyring,
      scheduler,
      prefix: redis.prefix,
    });
    const c = newCase();
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    for (let version = 1; version <= 200; version++) {
      const writers = [store, other, store, other].map((s, n) =>
        s.replace(version, { ...c, version: version + 1, group: `writer-${n}` }),
      );
      const won = (await Promise.all(writers)).filter(Boolean).length;
      assert.equal(won, 1, `round ${version}`);
    }
    const final = await other.get(c.id);
    assert.equal(final?.version, 201);
  });

  it('between two instances, loses none of thirty colleagues saying "Gelezen" at once', async () => {
    const other = new RedisCaseStore({
      client: await secondClient(),
      keyring,
      scheduler,
      prefix: redis.prefix,
    });
    const colleagues = Array.from({ length: 30 }, (_, n) => ({ id: randomUUID(), name: `Collega ${n}` }));
    const c: HwcCase = {
      ...newCase(),
      state: 'informing',
      colleagues: colleagues.map((staff) => ({ staff, delivery: 'sent', sentAt: new Date(), reminders: 0 })),
    };
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    await Promise.all(
      colleagues.map((p, n) =>
        mutateCase(n % 2 ? store : other, c.id, (current) => acknowledge(current, p.id, new Date())),
      ),
    );
    const final = await store.get(c.id);
    assert.equal(final?.version, 31);
    assert.ok(final?.colleagues.every((p) => p.acknowledgedAt instanceof Date));
    //leagues.every((p) => p.acknowledgedAt instanceof Date));
  });

  it('between two instances, lets one of two coordinators claiming at once win', async () => {
    const other = new RedisCaseStore({
      client: await secondClient(),
      keyring,
      scheduler,
      prefix: redis.prefix,
    });
    const c = newCase();
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    const claims: Array<[CaseStore, StaffMember]> = [
      [store, coordinatorA],
      [other, coordinatorB],
    ];
    const outcomes = await Promise.allSettled(
      claims.map(([s, who]) =>
        mutateCase(s, c.id, (current) => claimCase(testSchool, current, who, new Date())),
      ),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    assert.ok(outcomes.some((o) => o.status === 'rejected' && isHwcError(o.reason, 'case.already-claimed')));
  });

  it('keeps open cases when it is closed, for the next process to pick up', async () => {
    const c = fullCase();
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    store.close();
    const restarted = new RedisCaseStore({
      client: await secondClient(),
      keyring,
      scheduler,
      prefix: redis.prefix,
    });
    assert.deepEqual(await restarted.get(c.id), c);
  });

  it('drops from its count the ids of cases Redis deleted by itself', async () => {
    const quick = new RedisCaseStore({
      client: redis.client,
      keyring,
      scheduler,
      prefix: redis.prefix,
      expiryMarginMs: 50,
    });
    const [forgotten, open] = [newCase(), newCase()];
    await quick.create(forgotten, new Date(Date.now() + 100));
    await quick.create(open, new Date(Date.now() + 60 * MINUTE));
    assert.equal(await quick.size(), 2);
    await sleep(250);
    assert.equal(await redis.client.exists(keyName('case', forgotten.id)), 0, 'Redis expired it');
    assert.equal(await quick.size(), 1);
    assert.deepEqual(await redis.client.zRange(indexKey(), 0, -1), [open.id]);
  });

  it('keeps a typical case (three colleagues, four shells) in less than 6 KiB of Redis memory', async () => {
    const c = fullCase();
    await store.create(c, new Date(Date.now() + 60 * MINUTE));
    const bytes = await redis.client.memoryUsage(keyName('case', c.id), { SAMPLES: 0 });
    assert.ok(bytes !== null && bytes < 6 * 1024, `${bytes} bytes`);
  });

  it('rejects every call with store.unavailable when its client is closed', async () => {
    const client = await secondClient();
    const closed = new RedisCaseStore({ client, keyring, scheduler, prefix: redis.prefix });
    const c = newCase();
    await closed.create(c, new Date(Date.now() + 60 * MINUTE));
    client.destroy();
    const calls: Array<() => Promise<unknown>> = [
      () => closed.create(newCase(), new Date(Date.now() + 60 * MINUTE)),
      () => closed.get(c.id),
      () => closed.replace(1, { ...c, version: 2 }),
      () => closed.delete(c.id, { how: 'completed', until: new Date(Date.now() + MINUTE) }),
      () => closed.takeExpired(c.id, new Date(Date.now() + MINUTE)),
      () => closed.ending(c.id),
      () => closed.size(),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(isHwcError(error, 'store.unavailable'));
        assert.ok(!error.message.includes(pupil.name) && !error.message.includes(c.id));
        return true;
      });
    }
  });

  it('rejects calls with store.unavailable at once when the Redis server is gone', async function () {
    if (!RedisServerProcess.available()) this.skip();
    this.timeout(20_000);
    const server = new RedisServerProcess(await freePort());
    await server.start();
    const client = await connectRedis({ url: server.url }, silent);
    try {
      const own = new RedisCaseStore({ client, keyring, scheduler });
      const c = newCase();
      await own.create(c, new Date(Date.now() + 60 * MINUTE));
      assert.deepEqual(await own.get(c.id), c);
      await server.stop();
      const started = Date.now();
      await assert.rejects(own.get(c.id), (error: unknown) => isHwcError(error, 'store.unavailable'));
      await assert.rejects(own.replace(1, { ...c, version: 2 }), (error: unknown) =>
        isHwcError(error, 'store.unavailable'),
      );
      assert.ok(Date.now() - started < 2000, 'no waiting for a reconnect');
    } finally {
      client.destroy();
      await server.stop();
    }
  });
});
