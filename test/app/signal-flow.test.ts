import assert from 'node:assert/strict';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { caseIdOf, startTestApp, type TestApp } from '../support/test-app';
import { cardProblems } from '../support/card-validator';
import { cardText, posting, stopAfterPrivacyCheck, waitFor } from '../support/flow-checks';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  deputy,
  intakeUser,
  outsider,
  pupil,
  signal,
  stranger,
} from '../support/fixtures';

describe('a signal reaches the coordinators (over HTTP, against a fake Bot Connector)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => stopAfterPrivacyCheck(t));

  async function deliver(): Promise<string> {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    const created = t.connector.activities.find(
      (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('caseId'),
    );
    assert.ok(created, 'a card was posted');
    return caseIdOf(created.body);
  }

  it('posts a neutral card to every coordinator, in a new personal chat opened by Entra object id', async () => {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201);
    const body = JSON.parse(res.body) as { signalId: string; deliveredTo: number };
    assert.equal(body.deliveredTo, 2);
    assert.match(body.signalId, /^[0-9a-f-]{36}$/);
    const memberIds = t.connector.conversations.map((c) => c.members[0]?.id);
    assert.deepEqual(memberIds.sort(), [coordinatorA.id, coordinatorB.id].sort());
    const posted = t.connector.activities.filter((a) => posting.has(a.kind));
    assert.equal(posted.length, 2);
    for (const activity of posted) {
      const card = (activity.body?.attachments as { content: unknown }[] | undefined)?.[0]?.content;
      assert.deepEqual(cardProblems(card), []);
      assert.match(cardText(card), /Er is een Handle with Care-taak voor je/);
      // Refreshed automatically for its addressee, by the Teams id looked up after opening the chat.
      const userIds = (card as { refresh?: { userIds?: string[] } }).refresh?.userIds;
      assert.equal(userIds?.length, 1);
      assert.match(userIds?.[0] ?? '', /^29:/);
    }
  });

  it("shows the pupil to a coordinator who opens the card ('Bekijk'), with the deadline", async () => {
    const caseId = await deliver();
    const view = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.equal(view.status, 200);
    assert.deepEqual(cardProblems(view.card), []);
    const text = cardText(view.card);
    assert.ok(text.includes(pupil.name));
    assert.ok(text.includes('12-04-2016'));
    assert.match(text, /Vóór de lessen op|Vandaag vóór de lessen/);
    assert.match(text, /Oppakken/);
  });

  it('when two coordinators claim at once, only one wins and the other sees who did', async () => {
    const caseId = await deliver();
    const [a, b] = await Promise.all([
      t.invoke(coordinatorA.id, 'case.claim', { caseId }),
      t.invoke(coordinatorB.id, 'case.claim', { caseId }),
    ]);
    const texts = [cardText(a.card), cardText(b.card)];
    const owners = texts.filter((x) => x.includes('Jij hebt dit signaal opgepakt'));
    const others = texts.filter((x) => /Opgepakt door (Wilma Ravenstein|Gerrit Hoogeveen)/.test(x));
    assert.equal(owners.length, 1, 'exactly one owner');
    assert.equal(others.length, 1, 'the other sees who claimed it');
    const updates = t.connector.activities.filter((x) => x.kind === 'update');
    assert.equal(updates.length, 1, "the other coordinator's shell says the case is taken");
    assert.match(JSON.stringify(updates[0]?.body), /Opgepakt door/);
  });

  it("updates each coordinator's card in that coordinator's own language", async () => {
    await t.message(coordinatorB.id, 'help', { locale: 'en-US' });
    const caseId = await deliver();
    await t.invoke(coordinatorA.id, 'case.claim', { caseId });
    await t.settled();
    const update = t.connector.activities.find((a) => a.kind === 'update');
    assert.match(JSON.stringify(update?.body), /Taken on by Wilma Ravenstein/);
    assert.match(JSON.stringify(update?.body), /"userIds":\["29:/, 'the update keeps the automatic refresh');
  });

  it("asks before 'Niet onze leerling', then closes, blanks and deletes every card, which say what happened", async () => {
    const caseId = await deliver();
    // The click next to 'Oppakken' only asks: nothing is deleted yet.
    const asked = await t.invoke(coordinatorB.id, 'case.not-our-pupil', { caseId });
    assert.deepEqual(cardProblems(asked.card), []);
    assert.match(cardText(asked.card), /Niet onze leerling\?/);
    assert.match(cardText(asked.card), /Ja, niet onze leerling/);
    assert.equal(await t.app.services.store.size(), 1, 'nothing closed before the confirmation');
    assert.equal(t.connector.activities.filter((x) => x.kind === 'update').length, 0);

    const closed = await t.invoke(coordinatorB.id, 'case.not-our-pupil', { caseId, confirmed: true });
    assert.match(cardText(closed.card), /Gesloten: niet onze leerling/);
    assert.doesNotMatch(cardText(closed.card), /afgerond/i);
    assert.equal(await t.app.services.store.size(), 0);
    await t.settled();
    const updates = t.connector.activities.filter((x) => x.kind === 'update');
    assert.equal(updates.length, 2);
    for (const u of updates) {
      assert.match(JSON.stringify(u.body), /Gesloten: niet onze leerling/);
      assert.doesNotMatch(JSON.stringify(u.body), /afgerond/i, 'never told afgerond for work not done');
      assert.equal((u.body as { summary?: string }).summary, 'Gesloten: niet onze leerling');
    }
    const deletes = t.connector.activities.filter((x) => x.kind === 'delete');
    assert.deepEqual(
      deletes.map((d) => d.activityId).sort(),
      updates.map((u) => u.activityId).sort(),
      'each card is deleted after its neutral update',
    );
    const stale = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.match(cardText(stale.card), /Gesloten: niet onze leerling/);
    assert.ok(!cardText(stale.card).includes(pupil.name));
  });

  it('posts the shell with the deadline as its summary, for the chat list and the notification', async () => {
    await deliver();
    const posted = t.connector.activities.filter((x) => posting.has(x.kind));
    assert.ok(posted.length > 0, 'a card was posted');
    for (const p of posted) {
      const summary = (p.body as { summary?: string } | null)?.summary ?? '';
      assert.match(summary, /^Handle with Care: vóór de lessen op \S+ \d+ \S+ \(ontvangen \d\d:\d\d\)$/);
      assertNoPupilData(summary, 'the summary');
    }
  });

  it('lets a deputy of the school see and take on the case', async () => {
    const caseId = await deliver();
    const view = await t.invoke(deputy.id, 'case.view', { caseId });
    assert.ok(cardText(view.card).includes(pupil.name));
    const claimed = await t.invoke(deputy.id, 'case.claim', { caseId });
    assert.match(cardText(claimed.card), /Jij hebt dit signaal opgepakt/);
  });

  it("gives a neutral 'not available' card to anyone who is not a coordinator of that school", async () => {
    const caseId = await deliver();
    for (const person of [outsider, intakeUser, stranger]) {
      const view = await t.invoke(person.id, 'case.view', { caseId });
      assert.match(cardText(view.card), /Niet beschikbaar/);
      assert.ok(!cardText(view.card).includes(pupil.name));
      const claim = await t.invoke(person.id, 'case.claim', { caseId });
      assert.match(cardText(claim.card), /Niet beschikbaar/);
    }
    assert.equal((await t.app.services.store.get(caseId))?.claim, undefined);
    assert.match(t.logs.text(), /card action refused: not authorized/);
  });

  it("gives the same 'not available' card for a missing or tampered case id and an unknown verb", async () => {
    await deliver();
    const attempts = [
      await t.invoke(coordinatorA.id, 'case.view', {}),
      await t.invoke(coordinatorA.id, 'case.view', { caseId: '../../etc/passwd' }),
      await t.invoke(coordinatorA.id, 'case.view', {
        caseId: '00000000-0000-4000-8000-000000000000',
        extra: 1,
      }),
      await t.invoke(coordinatorA.id, 'case.explode', { caseId: '00000000-0000-4000-8000-000000000000' }),
    ];
    for (const attempt of attempts) {
      assert.equal(attempt.status, 200);
      assert.match(cardText(attempt.card), /Niet beschikbaar/);
    }
  });

  it('says of a case id it does not know that it does not know it, and what to do, never that it is completed', async () => {
    await deliver();
    const unknown = await t.invoke(coordinatorA.id, 'case.view', {
      caseId: '00000000-0000-4000-8000-000000000000',
    });
    assert.equal(unknown.status, 200);
    assert.match(cardText(unknown.card), /Onbekend signaal/);
    assert.match(cardText(unknown.card), /andere coördinatoren/);
    assert.match(cardText(unknown.card), /afzender het signaal opnieuw te sturen/);
    assert.doesNotMatch(cardText(unknown.card), /afgerond/i);
  });

  it('refuses a user from another tenant', async () => {
    await t.stop();
    t = await startTestApp({ env: { MicrosoftAppTenantId: '00000000-1111-4222-8333-444444444444' } });
    const caseId = await deliver();
    const view = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.equal(view.status, 200);
    assert.match(cardText(view.card), /Niet beschikbaar/);
    assert.ok(!view.text.includes(pupil.name));
    assert.match(t.logs.text(), /activity from another tenant refused/);
  });

  it('answers 503 with Retry-After and keeps nothing when no coordinator can be reached', async () => {
    t.connector.unreachableUsers.add(coordinatorA.id);
    t.connector.unreachableUsers.add(coordinatorB.id);
    const res = await t.postSignal(signal);
    assert.equal(res.status, 503);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    assert.equal(await t.app.services.store.size(), 0);
    assertNoPupilData(res.body, 'the 503 body');
  });

  it('delivers to the coordinators it can reach when one cannot be reached', async () => {
    t.connector.unreachableUsers.add(coordinatorB.id);
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201);
    assert.equal((JSON.parse(res.body) as { deliveredTo: number }).deliveredTo, 1);
  });

  it('a retry with the same Idempotency-Key posts no second card', async () => {
    const first = await t.postSignal(signal, { 'Idempotency-Key': 'retry-1' });
    const second = await t.postSignal(signal, { 'Idempotency-Key': 'retry-1' });
    assert.equal(first.status, 201);
    assert.equal(second.body, first.body);
    assert.equal(t.connector.conversations.length, 2);
  });

  it('reuses the chat it knows from an earlier message instead of opening a new one', async () => {
    assert.equal(await t.message(coordinatorA.id, 'help'), 200);
    await deliver();
    const sendsInKnownChat = t.connector.activities.filter(
      (a) =>
        posting.has(a.kind) &&
        a.conversationId === `a:personal-${coordinatorA.id}` &&
        JSON.stringify(a.body).includes('caseId'),
    );
    assert.equal(sendsInKnownChat.length, 1);
    assert.equal(t.connector.conversations.length, 1, 'only the other coordinator needed a new chat');
  });
});

describe('a case at the end of its support day', () => {
  it('is deleted and its cards are blanked, whatever its state', async () => {
    let now = new Date('2026-11-23T06:00:00Z'); // Monday 07:00 in Amsterdam, before lessons
    const t = await startTestApp({ start: { clock: () => now } });
    try {
      assert.equal((await t.postSignal(signal)).status, 201);
      assert.equal(await t.app.services.store.size(), 1);
      now = new Date('2026-11-23T14:00:01Z'); // 15:00:01, after the school day
      assert.equal(await t.app.services.store.size(), 0);
      // The scheduler's next wake-up (at most a minute away) runs the expiry; here, at once.
      (t.app.services.scheduler as InProcessScheduler).runDue();
      await waitFor(() => t.connector.activities.filter((a) => a.kind === 'update').length === 2);
      for (const update of t.connector.activities.filter((a) => a.kind === 'update')) {
        assert.match(JSON.stringify(update.body), /Verlopen en verwijderd/);
        assert.doesNotMatch(JSON.stringify(update.body), /afgerond/i, 'an expired case is not completed');
      }
      assertNoPupilData(t.logs.text(), 'the log');
    } finally {
      await t.stop();
    }
  });
});

describe('a case that expires unfinished', () => {
  const expiryNotices = (t: TestApp) =>
    t.connector.activities.filter(
      (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('Signaal verlopen en verwijderd'),
    );

  it('tells every coordinator that nobody took it on, without naming the pupil', async () => {
    let now = new Date('2026-11-23T06:00:00Z');
    const t = await startTestApp({ start: { clock: () => now } });
    try {
      assert.equal((await t.postSignal(signal)).status, 201);
      now = new Date('2026-11-23T14:00:01Z');
      (t.app.services.scheduler as InProcessScheduler).runDue();
      await waitFor(() => expiryNotices(t).length === 2);
      for (const notice of expiryNotices(t)) {
        const body = JSON.stringify(notice.body);
        assert.match(body, /Niemand had het signaal opgepakt/);
        assert.match(body, /maandag 23 november/);
        assert.ok(!body.includes('caseId'), 'the notice leads nowhere');
      }
      assert.equal(
        new Set(expiryNotices(t).map((n) => n.conversationId)).size,
        2,
        'one notice in each coordinator’s chat',
      );
      assertNoPupilData(t.logs.text(), 'the log');
      for (const a of t.connector.activities)
        assertNoPupilData(JSON.stringify(a.body), `a ${a.kind} activity`);
    } finally {
      await t.stop();
    }
  });

  it('expires at the first look after its time, even before the scheduler woke up', async () => {
    let now = new Date('2026-11-23T06:00:00Z');
    const t = await startTestApp({ start: { clock: () => now } });
    try {
      assert.equal((await t.postSignal(signal)).status, 201);
      const caseId = caseIdOf(t.connector.activities.find((a) => posting.has(a.kind))!.body);
      await t.invoke(coordinatorA.id, 'case.claim', { caseId });
      now = new Date('2026-11-23T14:00:01Z'); // the process 'slept' through 15:00
      const view = await t.invoke(coordinatorA.id, 'case.view', { caseId });
      assert.match(cardText(view.card), /Verlopen en verwijderd/);
      await waitFor(() => expiryNotices(t).length === 1);
      assert.match(JSON.stringify(expiryNotices(t)[0]!.body), /gesprek met de leerling was niet vastgelegd/);
      assert.equal(expiryNotices(t)[0]!.conversationId, `a:personal-${coordinatorA.id}`, 'only the owner');
      await waitFor(() => t.connector.activities.filter((a) => a.kind === 'delete').length === 2);
      assert.equal(
        (t.app.services.scheduler as InProcessScheduler).size,
        0,
        'nothing of the case is scheduled',
      );
    } finally {
      await t.stop();
    }
  });
});

describe('a coordinator types in a signal in Teams', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => stopAfterPrivacyCheck(t));

  function formId(): string {
    const reply = t.connector.activities.find((a) => a.kind === 'reply' || a.kind === 'send');
    const match = /"formId":"([0-9a-f-]{36})"/.exec(JSON.stringify(reply?.body));
    assert.ok(match?.[1], 'the form was posted');
    return match[1];
  }

  const filled = { pupilName: pupil.name, birthDate: pupil.birthDate, source: 'municipality' };

  it("gets the form on 'nieuw signaal', and a valid form posts the cards and is replaced by a neutral confirmation", async () => {
    assert.equal(await t.message(coordinatorA.id, 'Nieuw signaal'), 200);
    const id = formId();
    const result = await t.invoke(
      coordinatorA.id,
      'intake.submit',
      { formId: id, ...filled },
      { replyToId: 'form-message-1' },
    );
    assert.match(cardText(result.card), /Signaal doorgestuurd/);
    assert.match(cardText(result.card), /2 coördinatoren/);
    const replaced = t.connector.activities.find(
      (a) => a.kind === 'update' && a.activityId === 'form-message-1',
    );
    assert.ok(replaced, 'the filled form was replaced');
    assert.match(JSON.stringify(replaced.body), /Signaal doorgestuurd/);
    assert.equal(await t.app.services.store.size(), 1);
  });

  it('a double click on Versturen posts one signal', async () => {
    await t.message(coordinatorA.id, 'nieuw signaal');
    const id = formId();
    await Promise.all([
      t.invoke(coordinatorA.id, 'intake.submit', { formId: id, ...filled }),
      t.invoke(coordinatorA.id, 'intake.submit', { formId: id, ...filled }),
    ]);
    assert.equal(await t.app.services.store.size(), 1);
  });

  it('an invalid form comes back with the fields marked and is not replaced', async () => {
    await t.message(coordinatorA.id, 'new signal');
    const id = formId();
    const result = await t.invoke(
      coordinatorA.id,
      'intake.submit',
      { formId: id, pupilName: ' ', birthDate: '2099-01-01', source: 'police' },
      { replyToId: 'm' },
    );
    assert.match(cardText(result.card), /Controleer de gemarkeerde velden/);
    assert.equal(t.connector.activities.filter((a) => a.kind === 'update').length, 0);
    assert.equal(await t.app.services.store.size(), 0);
  });

  it('an intake user may send a signal for their school', async () => {
    await t.message(intakeUser.id, 'nieuw signaal');
    const result = await t.invoke(intakeUser.id, 'intake.submit', { formId: formId(), ...filled });
    assert.match(cardText(result.card), /Signaal doorgestuurd/);
  });

  it('someone without a role at any school gets no form', async () => {
    await t.message(stranger.id, 'nieuw signaal');
    const reply = t.connector.activities.find((a) => a.kind === 'reply' || a.kind === 'send');
    assert.match(JSON.stringify(reply?.body), /geen school geregistreerd/);
    assert.ok(!JSON.stringify(reply?.body).includes('formId'));
    const result = await t.invoke(stranger.id, 'intake.submit', {
      formId: '00000000-0000-4000-8000-000000000001',
      ...filled,
    });
    assert.ok(!cardText(result.card).includes('doorgestuurd'));
    assert.equal(await t.app.services.store.size(), 0);
  });
});
