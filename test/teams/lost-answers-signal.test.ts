import assert from 'node:assert/strict';
import type { RecordedActivity } from '../support/fake-bot-connector';
import { caseIdOf, startTestApp, type TestApp } from '../support/test-app';
import { cardText, posting, stopAfterPrivacyCheck } from '../support/flow-checks';
import { coordinatorA, coordinatorB, signal } from '../support/fixtures';

/** botbuilder posts a proactive card as a reply to the turn's own activity. */
const POST_ROUTE = 'replyToActivity' as const;

describe('a signal whose card answers are lost (over HTTP, against a fake Bot Connector)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => stopAfterPrivacyCheck(t));

  /**
   * The cards a person has in Teams, known to the bot or not: posted into a chat the bot opened with
   * them, or into the chat their own messages come from (test-app's `a:personal-<id>`), and not deleted.
   */
  function cardsOf(staffId: string): RecordedActivity[] {
    const chats = new Set([
      `a:personal-${staffId}`,
      ...t.connector.conversations
        .filter((c) => c.members.some((m) => m.id === staffId || m.aadObjectId === staffId))
        .map((c) => c.id),
    ]);
    const deleted = new Set(
      t.connector.activities.filter((a) => a.kind === 'delete').map((a) => a.activityId),
    );
    return t.connector.activities.filter(
      (a) => posting.has(a.kind) && chats.has(a.conversationId) && !deleted.has(a.activityId),
    );
  }

  function updatesOf(card: RecordedActivity): RecordedActivity[] {
    return t.connector.activities.filter((a) => a.kind === 'update' && a.activityId === card.activityId);
  }

  async function close(caseId: string): Promise<void> {
    const closed = await t.invoke(coordinatorA.id, 'case.not-our-pupil', { caseId, confirmed: true });
    assert.match(cardText(closed.card), /Gesloten: niet onze leerling/, 'the case is closed');
    await t.settled();
  }

  it('a coordinator whose answer was lost has one card for the case, and after closing only that one is left, saying what happened', async () => {
    // Twice: the old retries posted three cards to coordinator B here, and the bot knew one of them.
    t.connector.failNext({
      route: POST_ROUTE,
      member: coordinatorB.id,
      status: 0,
      resetConnection: true,
      afterServing: true,
      times: 2,
    });

    const res = await t.postSignal(signal);

    assert.equal(res.status, 201, 'coordinator A has the card for certain: the signal is kept');
    assert.equal((JSON.parse(res.body) as { deliveredTo: number }).deliveredTo, 1, 'one confirmed delivery');
    const strays = cardsOf(coordinatorB.id);
    assert.equal(strays.length, 1, `coordinator B has one card, not ${strays.length}`);
    const caseId = caseIdOf(strays[0]!.body);
    const whileOpen = await t.invoke(coordinatorB.id, 'case.view', { caseId });
    assert.match(cardText(whileOpen.card), /Oppakken/, 'the card the bot does not know opens the case');

    await close(caseId);

    assert.equal(cardsOf(coordinatorA.id).length, 0, "coordinator A's card, which the bot knew, is deleted");
    const left = cardsOf(coordinatorB.id);
    assert.equal(left.length, 1, `one card is left, not ${left.length}`);
    assert.equal(updatesOf(left[0]!).length, 0, 'the bot could not reach it');
    const afterwards = await t.invoke(coordinatorB.id, 'case.view', { caseId });
    assert.match(cardText(afterwards.card), /Gesloten: niet onze leerling/, 'it opens to what happened');
    assert.match(t.logs.text(), /teams\.post\.unconfirmed/, 'the unconfirmed post is logged');
  });

  it('when no coordinator has a card for certain, the signal is not kept and the sender sends again: at most one card per coordinator from each try, and the stray one does not pretend the signal is done', async () => {
    t.connector.failNext({ route: POST_ROUTE, status: 504, afterServing: true, times: 2 });

    const first = await t.postSignal(signal);

    assert.equal(first.status, 503, 'the sender is told to send again');
    assert.equal(await t.app.services.store.size(), 0, 'nothing is kept');
    for (const coordinator of [coordinatorA, coordinatorB]) {
      assert.equal(cardsOf(coordinator.id).length, 1, 'one card each, which Teams stored without saying so');
    }
    const stray = cardsOf(coordinatorB.id)[0]!;
    const unknown = await t.invoke(coordinatorB.id, 'case.view', { caseId: caseIdOf(stray.body) });
    assert.match(
      cardText(unknown.card),
      /Onbekend signaal/,
      'the stray card says it does not know the signal',
    );
    assert.doesNotMatch(cardText(unknown.card), /afgerond/i, 'and never that it was dealt with');

    const again = await t.postSignal(signal);

    assert.equal(again.status, 201, 'the second try is delivered');
    assert.equal((JSON.parse(again.body) as { deliveredTo: number }).deliveredTo, 2, 'to both coordinators');
    const live = cardsOf(coordinatorB.id).find((a) => a.activityId !== stray.activityId);
    assert.ok(live, 'coordinator B has the new card');
    const caseId = caseIdOf(live.body);
    await close(caseId);
    for (const coordinator of [coordinatorA, coordinatorB]) {
      const left = cardsOf(coordinator.id);
      assert.equal(left.length, 1, `only the stray card of the first try is left, not ${left.length}`);
      assert.notEqual(caseIdOf(left[0]!.body), caseId, 'the cards of the kept case are cleaned up');
    }
  });
});
