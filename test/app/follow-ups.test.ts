import assert from 'node:assert/strict';
import sinon from 'sinon';
import { acknowledge, colleagueView } from '../../src/app/colleague-actions';
import { claim, closeCase } from '../../src/app/coordinator-actions';
import { parentsInformed, recordParents } from '../../src/app/parents-step';
import { HwcError } from '../../src/domain/errors';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import type {
  DeleteOutcome,
  Messenger,
  PostedMessage,
  RecipientContext,
  Services,
} from '../../src/app/ports';
import { receiveSignal } from '../../src/app/receive-signal';
import { recordTalk } from '../../src/app/talk-with-pupil';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { createLogger } from '../../src/logging/logger';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  deputy,
  groupTeacher,
  gymTeacher,
  signal,
  testSchool,
} from '../support/fixtures';
import { testServices } from '../support/services';

/** Records every card it is asked to post, per addressee; sends to one person can be held. */
class RecordingMessenger implements Messenger {
  readonly sent: { staffId: string; card: AdaptiveCardJson }[] = [];
  readonly updates: { message: PostedMessage; card: AdaptiveCardJson }[] = [];
  private next = 1;
  private readonly gates = new Map<string, Promise<void>>();

  /** Holds sends to this person until the returned function is called (with an error: they fail). */
  hold(staffId: string): (error?: Error) => void {
    let open!: (error?: Error) => void;
    this.gates.set(
      staffId,
      new Promise<void>((resolve, reject) => {
        open = (error) => (error ? reject(error) : resolve());
      }),
    );
    return open;
  }

  async sendCard(
    to: { staffId: string },
    card: (r: RecipientContext) => AdaptiveCardJson,
  ): Promise<PostedMessage> {
    const gate = this.gates.get(to.staffId);
    if (gate) await gate;
    this.sent.push({ staffId: to.staffId, card: card({ locale: 'nl-NL' }) });
    return {
      conversationId: `a:${to.staffId}`,
      activityId: String(this.next++),
      serviceUrl: 'http://127.0.0.1/',
    };
  }

  async updateCard(message: PostedMessage, card: AdaptiveCardJson): Promise<void> {
    this.updates.push({ message, card });
  }

  readonly deleted: PostedMessage[] = [];

  async deleteCard(message: PostedMessage): Promise<DeleteOutcome> {
    this.deleted.push(message);
    return 'deleted';
  }

  to(staffId: string): string[] {
    return this.sent.filter((s) => s.staffId === staffId).map((s) => JSON.stringify(s.card));
  }
}

describe('follow-ups on the clock (fake timers)', () => {
  const ctx = { correlationId: 'test', log: createLogger({ level: 'silent' }) };
  let clock: sinon.SinonFakeTimers;
  let messenger: RecordingMessenger;
  let services: Services;

  beforeEach(() => {
    // Sunday evening 21:00 in Amsterdam: the support day is Monday, lessons at 08:30 (07:30Z).
    clock = sinon.useFakeTimers({
      now: new Date('2026-11-22T20:00:00Z'),
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
    });
    messenger = new RecordingMessenger();
    services = testServices([testSchool], { messenger, clock: () => new Date() });
  });
  afterEach(() => {
    clock.restore();
    for (const { card } of [...messenger.sent, ...messenger.updates]) {
      assertNoPupilData(JSON.stringify(card), 'a card posted or updated');
    }
  });

  async function newCase(): Promise<string> {
    await receiveSignal(services, signal, { kind: 'api-key', id: 'key#1' }, ctx);
    const caseId = /"caseId":"([0-9a-f-]{36})"/.exec(JSON.stringify(messenger.sent[0]?.card))?.[1];
    assert.ok(caseId);
    return caseId;
  }

  it('when no one has claimed the case 30 minutes before lessons, the deputies get it and the coordinators a reminder', async () => {
    await newCase();
    await clock.tickAsync(new Date('2026-11-23T06:59:00Z').getTime() - Date.now());
    assert.equal(messenger.to(deputy.id).length, 0, 'not before the time');
    await clock.tickAsync(60_000);
    assert.equal(messenger.to(deputy.id).length, 1);
    assert.match(messenger.to(deputy.id)[0]!, /Nog niet opgepakt door een coördinator/);
    for (const coordinator of [coordinatorA, coordinatorB]) {
      assert.equal(messenger.to(coordinator.id).length, 2);
      assert.match(
        messenger.to(coordinator.id)[1]!,
        /Herinnering: nog niet opgepakt. De lessen beginnen om 08:30/,
      );
    }
    await clock.tickAsync(3_600_000);
    assert.equal(messenger.to(deputy.id).length, 1, 'escalated once');
  });

  it('a deputy who got the escalated case can claim it', async () => {
    const caseId = await newCase();
    await clock.tickAsync(new Date('2026-11-23T07:00:00Z').getTime() - Date.now());
    const view = JSON.stringify(await claim(services, caseId, { staffId: deputy.id, locale: 'nl-NL' }, ctx));
    assert.match(view, /Jij hebt dit signaal opgepakt/);
  });

  it('a signal that comes in after the escalation point goes to the deputies at once, without a reminder to the coordinators', async () => {
    await clock.tickAsync(new Date('2026-11-23T07:10:00Z').getTime() - Date.now());
    await newCase();
    await clock.tickAsync(0);
    assert.equal(messenger.to(deputy.id).length, 1);
    assert.equal(messenger.to(coordinatorA.id).length, 1, 'only the signal itself');
  });

  it('a case claimed in time is not escalated', async () => {
    const caseId = await newCase();
    await claim(services, caseId, { staffId: coordinatorA.id, locale: 'nl-NL' }, ctx);
    await clock.tickAsync(12 * 3_600_000);
    assert.equal(messenger.to(deputy.id).length, 0);
    assert.equal(messenger.to(coordinatorB.id).length, 1, 'no reminder either');
  });

  it('colleagues who have not acknowledged get one automatic reminder after the configured time', async () => {
    const caseId = await newCase();
    const actor = { staffId: coordinatorA.id, locale: 'nl-NL' };
    await claim(services, caseId, actor, ctx);
    await recordTalk(
      services,
      caseId,
      { support: [], note: '', suggested: [], others: [groupTeacher.id, gymTeacher.id], nobody: false },
      actor,
      ctx,
    );
    await acknowledge(services, caseId, { staffId: groupTeacher.id, locale: 'nl-NL' }, ctx);
    await clock.tickAsync(testSchool.reminderAfterMinutes * 60_000 - 1_000);
    assert.equal(messenger.to(gymTeacher.id).length, 1, 'not before the time');
    await clock.tickAsync(1_000);
    assert.equal(messenger.to(gymTeacher.id).length, 2);
    assert.match(messenger.to(gymTeacher.id)[1]!, /Herinnering: lees deze kaart graag vóór de lessen/);
    assert.equal(messenger.to(groupTeacher.id).length, 1, 'who read it gets no reminder');
    await clock.tickAsync(3 * 3_600_000);
    assert.equal(messenger.to(gymTeacher.id).length, 2, 'one automatic reminder, not more');
  });

  it('whoever informs the parents gets one reminder an hour before the day ends, while nobody says it is done', async () => {
    const caseId = await newCase();
    const actor = { staffId: coordinatorA.id, locale: 'nl-NL' };
    await claim(services, caseId, actor, ctx);
    await recordTalk(
      services,
      caseId,
      { support: [], note: '', suggested: [], others: [groupTeacher.id], nobody: false },
      actor,
      ctx,
    );
    await acknowledge(services, caseId, { staffId: groupTeacher.id, locale: 'nl-NL' }, ctx);
    await recordParents(services, caseId, 'by-group-teacher', groupTeacher.id, actor, ctx);
    const asked = messenger.to(groupTeacher.id).length;
    assert.match(messenger.to(groupTeacher.id).at(-1)!, /Je wordt gevraagd de ouders te informeren/);
    // Monday: the day ends at 15:00 (14:00Z); the reminder comes at 14:00 (13:00Z).
    await clock.tickAsync(new Date('2026-11-23T12:59:00Z').getTime() - Date.now());
    assert.equal(messenger.to(groupTeacher.id).length, asked, 'not before the time');
    await clock.tickAsync(60_000);
    assert.equal(messenger.to(groupTeacher.id).length, asked + 1);
    assert.match(
      messenger.to(groupTeacher.id).at(-1)!,
      /Herinnering: laat weten of de ouders zijn geïnformeerd/,
    );
    await clock.tickAsync(30 * 60_000);
    assert.equal(messenger.to(groupTeacher.id).length, asked + 1, 'one reminder, not more');
    assert.equal((await services.store.get(caseId))?.state, 'informing', 'the case still waits');
  });

  it("no parents reminder once 'Ouders geïnformeerd' was pressed", async () => {
    const caseId = await newCase();
    const actor = { staffId: coordinatorA.id, locale: 'nl-NL' };
    await claim(services, caseId, actor, ctx);
    await recordTalk(
      services,
      caseId,
      { support: [], note: '', suggested: [], others: [groupTeacher.id, gymTeacher.id], nobody: false },
      actor,
      ctx,
    );
    await recordParents(services, caseId, 'by-me', undefined, actor, ctx);
    await parentsInformed(services, caseId, actor, ctx);
    const before = messenger.to(coordinatorA.id).length;
    await clock.tickAsync(new Date('2026-11-23T13:30:00Z').getTime() - Date.now());
    assert.equal(messenger.to(coordinatorA.id).length, before, 'no reminder to the coordinator');
  });

  describe('closing while cards are still on their way', () => {
    const actor = { staffId: coordinatorA.id, locale: 'nl-NL' };
    const talk = {
      support: [],
      note: '',
      suggested: [],
      others: [groupTeacher.id, gymTeacher.id],
      nobody: false,
    };

    async function until(test: () => Promise<boolean>): Promise<void> {
      for (let i = 0; i < 1000 && !(await test()); i++) await clock.tickAsync(10);
      assert.ok(await test(), 'the condition came true');
    }

    it('when the last colleague turns out unreachable after the parents step, the case closes then', async () => {
      const caseId = await newCase();
      await claim(services, caseId, actor, ctx);
      const failGymTeacher = messenger.hold(gymTeacher.id);
      const recording = recordTalk(services, caseId, talk, actor, ctx);
      await until(async () => (await services.store.get(caseId))?.colleagues[0]?.delivery === 'sent');
      await acknowledge(services, caseId, { staffId: groupTeacher.id, locale: 'nl-NL' }, ctx);
      await recordParents(services, caseId, 'not-now', undefined, actor, ctx);
      assert.equal(
        (await services.store.get(caseId))?.state,
        'informing',
        'still waiting for the other card',
      );
      failGymTeacher(new HwcError('delivery.unreachable', 'app not installed'));
      await clock.tickAsync(10);
      await recording;
      assert.equal(await services.store.size(), 0, 'closed and deleted');
      assert.equal((services.scheduler as InProcessScheduler).size, 0, 'no follow-up left behind');
    });

    it('a colleague whose card is still being recorded can already open it', async () => {
      const caseId = await newCase();
      await claim(services, caseId, actor, ctx);
      const release = messenger.hold(gymTeacher.id);
      const recording = recordTalk(services, caseId, talk, actor, ctx);
      await clock.tickAsync(10);
      const view = JSON.stringify(
        await colleagueView(services, caseId, { staffId: gymTeacher.id, locale: 'nl-NL' }),
      );
      assert.match(view, /Vertel dit niet verder/);
      release();
      await clock.tickAsync(10);
      await recording;
    });

    it('after a close nothing is scheduled any more, and every card ends neutral', async () => {
      const caseId = await newCase();
      await claim(services, caseId, actor, ctx);
      await recordTalk(services, caseId, talk, actor, ctx);
      assert.equal(
        (services.scheduler as InProcessScheduler).size,
        2,
        'the expiry and the automatic reminder',
      );
      await closeCase(services, caseId, actor, ctx);
      assert.equal((services.scheduler as InProcessScheduler).size, 0);
      const lastPerMessage = new Map<string, string>();
      for (const u of messenger.updates) lastPerMessage.set(u.message.activityId, JSON.stringify(u.card));
      assert.equal(lastPerMessage.size, messenger.sent.length, 'every card posted was updated');
      for (const card of lastPerMessage.values()) assert.match(card, /Afgesloten en verwijderd/);
    });
  });
});
