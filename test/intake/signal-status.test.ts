import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { assertNoPupilData, coordinatorA, signal } from '../support/fixtures';
import { posting } from '../support/flow-checks';
import { testRedis, type TestRedis } from '../support/redis';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/test-app';

// Invented credentials: a second sender system with a key of its own.
const OTHER_API_KEY = 'other-sender-intake-key-9876543210fedcba';
/** Sunday 22 November 2026, 21:00 in Amsterdam: the support day is Monday, its end 15:00 (14:00Z). */
const SUNDAY_EVENING = new Date('2026-11-22T20:00:00Z');
const AFTER_DAY_END = new Date('2026-11-23T14:00:01Z');

interface Variant {
  name: string;
  env(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

let redis: TestRedis | undefined;
const variants: Variant[] = [
  { name: 'in memory', env: async () => ({}), cleanup: async () => undefined },
  {
    name: 'on Redis',
    env: async () => {
      redis = await testRedis();
      return redis.appEnv;
    },
    cleanup: async () => {
      await redis?.cleanup();
      redis = undefined;
    },
  },
];

for (const variant of variants) {
  describe(`GET /api/signals/{signalId}: the state for its sender (${variant.name})`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let now: Date;

    beforeEach(async () => {
      now = SUNDAY_EVENING;
      t = await startTestApp({
        env: { INTAKE_API_KEYS: `${TEST_API_KEY},${OTHER_API_KEY}`, ...(await variant.env()) },
        start: { clock: () => now, intakeLimits: { requestsPerMinute: 8 } },
      });
    });

    afterEach(async () => {
      await t.stop();
      await variant.cleanup();
    });

    const caseIds = () =>
      new Set(
        t.connector.activities
          .filter((a) => posting.has(a.kind))
          .flatMap((a) => /"caseId":"([0-9a-f-]{36})"/.exec(JSON.stringify(a.body))?.[1] ?? []),
      );

    /** Posts the signal; its id for the sender, and the case it opened (for the coordinator's clicks). */
    async function post(): Promise<{ signalId: string; caseId: string }> {
      const before = caseIds();
      const res = await t.postSignal(signal);
      assert.equal(res.status, 201, res.body);
      const { signalId } = JSON.parse(res.body) as { signalId: string };
      const caseId = [...caseIds()].find((id) => !before.has(id));
      assert.ok(caseId, 'a coordinator got a card');
      return { signalId, caseId };
    }

    async function stateOf(signalId: string, key = TEST_API_KEY) {
      const res = await fetch(`${t.app.url}/api/signals/${encodeURIComponent(signalId)}`, {
        headers: { 'X-API-Key': key },
      });
      const body = await res.text();
      t.responses.push(body);
      assertNoPupilData(body, 'the state of a signal');
      return {
        status: res.status,
        body,
        json: JSON.parse(body) as Record<string, unknown>,
        headers: res.headers,
      };
    }

    async function expectState(signalId: string, state: string): Promise<void> {
      const res = await stateOf(signalId);
      assert.equal(res.status, 200, res.body);
      assert.deepEqual(res.json, { signalId, state });
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.headers.get('cache-control'), 'no-store');
    }

    async function expectUnknown(signalId: string, key = TEST_API_KEY) {
      const res = await stateOf(signalId, key);
      assert.equal(res.status, 404, res.body);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.equal(res.headers.get('cache-control'), 'no-store');
      assert.equal(res.json.type, 'urn:hwc:problem:unknown-signal');
      const { correlationId, ...rest } = res.json;
      assert.equal(typeof correlationId, 'string');
      return rest;
    }

    async function press(verb: string, data: Record<string, unknown>): Promise<void> {
      const res = await t.invoke(coordinatorA.id, verb, data);
      assert.equal(res.status, 200, `${verb}: ${res.text}`);
    }

    it('says delivered, then claimed, then not-our-pupil', async () => {
      const { signalId, caseId } = await post();
      await expectState(signalId, 'delivered');
      await press('case.claim', { caseId });
      await expectState(signalId, 'claimed');
      await press('case.not-our-pupil', { caseId, confirmed: true });
      await expectState(signalId, 'not-our-pupil');
      await t.settled();
    });

    it('says closed after the case was completed and deleted', async () => {
      const { signalId, caseId } = await post();
      await press('case.claim', { caseId });
      await press('case.record-talk', {
        caseId,
        support: 'quiet-spot',
        note: '',
        others: '',
        nobody: 'true',
      });
      await expectState(signalId, 'claimed');
      await press('case.record-parents', { caseId, parents: 'not-now' });
      assert.equal(await t.app.services.store.get(caseId), undefined, 'the case is deleted');
      await expectState(signalId, 'closed');
      await t.settled();
    });

    it('says expired after the support day ended with the case open', async () => {
      const { signalId } = await post();
      now = AFTER_DAY_END;
      // In memory the expiry task runs now; on Redis the store already counts the case as expired.
      (t.app.services.scheduler as Partial<InProcessScheduler>).runDue?.();
      await t.settled();
      await expectState(signalId, 'expired');
    });

    it('still answers for a case moved to the next school day because the pupil was absent', async () => {
      const { signalId, caseId } = await post();
      await press('case.claim', { caseId });
      const c = await t.app.services.store.get(caseId);
      assert.ok(c);
      // Monday morning, before lessons: the pupil is not there; the case moves to Tuesday.
      now = new Date(c.supportDay.lessonStart.getTime() - 40 * 60_000);
      await press('case.pupil-absent', { caseId, forDay: c.supportDay.date, confirmed: true });
      const moved = await t.app.services.store.get(caseId);
      assert.notEqual(moved?.supportDay.date, c.supportDay.date, 'the case moved');
      // Tuesday morning: past Monday's end and the 12 hours after it.
      now = new Date(c.supportDay.dayEnd.getTime() + 16 * 3600_000);
      await expectState(signalId, 'claimed');
      await t.settled();
    });

    it('answers another credential exactly as an unknown id: 404, learning nothing', async () => {
      const { signalId } = await post();
      const foreign = await expectUnknown(signalId, OTHER_API_KEY);
      const unknown = await expectUnknown(randomUUID());
      assert.deepEqual(foreign, unknown);
      // Not even a malformed id answers otherwise.
      assert.deepEqual(await expectUnknown('not a signal id!'), unknown);
      // The sender itself still gets its answer.
      await expectState(signalId, 'delivered');
    });

    it('asks for credentials like POST does', async () => {
      const { signalId } = await post();
      const res = await fetch(`${t.app.url}/api/signals/${signalId}`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      const wrong = await stateOf(signalId, 'an-invented-key-that-is-not-valid-000');
      assert.equal(wrong.status, 401);
    });

    it('counts against the sender budget of POST: 429 with Retry-After', async () => {
      const { signalId } = await post();
      let res = await stateOf(signalId);
      for (let i = 0; i < 20 && res.status === 200; i++) res = await stateOf(signalId);
      assert.equal(res.status, 429, res.body);
      assert.equal(res.json.type, 'urn:hwc:problem:rate-limited');
      assert.equal(res.headers.get('content-type'), 'application/problem+json');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      // Another sender has a budget of its own, and still learns nothing.
      await expectUnknown(signalId, OTHER_API_KEY);
    });

    if (variant.name !== 'on Redis') return;

    it('keeps no signal id in a key name, and nothing of the pupil', async () => {
      assert.ok(redis);
      const { signalId } = await post();
      await expectState(signalId, 'delivered');
      const keys = await redis.keys();
      assert.ok(
        keys.some((k) => k.includes('receipt:')),
        'a receipt is kept',
      );
      for (const key of keys) assert.ok(!key.includes(signalId), 'no key name holds the signal id');
      for (const key of keys.filter((k) => k.includes('receipt:'))) {
        const value: string = (await redis.client.get(key)) ?? '';
        assert.ok(!value.includes(signalId));
        assertNoPupilData(value, 'a signal receipt');
        assert.deepEqual(Object.keys(JSON.parse(value) as object).sort(), [
          'caseId',
          'senderId',
          'senderKind',
        ]);
        assert.ok((await redis.client.pTTL(key)) > 0, 'the receipt expires');
      }
    });
  });
}
