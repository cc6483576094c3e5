import assert from 'node:assert/strict';
import sinon from 'sinon';
import { acknowledge } from '../../src/app/colleague-actions';
import { claim } from '../../src/app/coordinator-actions';
import type { Messenger, PostedMessage, RecipientContext, Services } from '../../src/app/ports';
import { receiveSignal } from '../../src/app/receive-signal';
import { recordTalk } from '../../src/app/talk-with-pupil';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { createLogger } from '../../src/logging/logger';
import {
  coordinatorA,
  coordinatorB,
  deputy,
  groupTeacher,
  gymTeacher,
  signal,
  testSchool,
} from '../support/fixtures';
import { testServices } from '../support/services';

/** Records every card it is asked to post, per addressee. */
class RecordingMessenger implements Messenger {
  readonly sent: { staffId: string; card: AdaptiveCardJson }[] = [];
  readonly updates: { message: PostedMessage; card: AdaptiveCardJson }[] = [];
  private next = 1;

  async sendCard(
    to: { staffId: string },
    card: (r: RecipientContext) => AdaptiveCardJson,
  ): Promise<PostedMessage> {
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
  afterEach(() => clock.restore());

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
});
