import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RecordedActivity } from '../support/fake-bot-connector';
import { caseIdOf, startTestApp, TENANT_ID, type TestApp } from '../support/test-app';
import { cardProblems } from '../support/card-validator';
import { cardText, posting, stopAfterPrivacyCheck as stopAfterCheck } from '../support/flow-checks';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  deputy,
  duoTeacher,
  groupTeacher,
  gymTeacher,
  outsider,
  pupil,
  signal,
  stranger,
  testSchool,
} from '../support/fixtures';

const text = cardText;

function cardIn(activity: RecordedActivity): string {
  return text((activity.body?.attachments as { content: unknown }[] | undefined)?.[0]?.content);
}

/** Whatever a test did: nothing of the pupil, or of what was agreed, in any activity or log line. */
async function stopAfterPrivacyCheck(t: TestApp): Promise<void> {
  try {
    assert.ok(t.connector.activities.length > 0, 'the test posted something to check');
  } finally {
    await stopAfterCheck(t, ['Mag even naar de gang']);
  }
}

/** The conversation the bot opened with this person, and every activity in it. */
function chatWith(t: TestApp, staffId: string): RecordedActivity[] {
  const conversation = t.connector.conversations.find((c) => c.members.some((m) => m.id === staffId));
  return conversation ? t.connector.activitiesIn(conversation.id) : [];
}

/**
 * Every card posted to this person. Once they clicked a card, the fake connector knows their chat
 * by the id the test's activities carry, which in Teams is one and the same chat.
 */
function postsTo(t: TestApp, staffId: string): RecordedActivity[] {
  const chats = new Set([
    ...t.connector.conversations.filter((c) => c.members.some((m) => m.id === staffId)).map((c) => c.id),
    `a:personal-${staffId}`,
  ]);
  return t.connector.activities.filter((a) => posting.has(a.kind) && chats.has(a.conversationId ?? ''));
}

describe("the coordinator's morning (over HTTP, against a fake Bot Connector)", () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => stopAfterPrivacyCheck(t));

  async function deliver(): Promise<string> {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    const created = t.connector.activities.find((a) => posting.has(a.kind) && cardIn(a).includes('caseId'));
    assert.ok(created);
    return caseIdOf(created.body);
  }

  async function claimed(by = coordinatorA.id): Promise<string> {
    const caseId = await deliver();
    const claim = await t.invoke(by, 'case.claim', { caseId });
    assert.match(text(claim.card), /Jij hebt dit signaal opgepakt/);
    // The other coordinators' cards are updated after the answer.
    await t.settled();
    return caseId;
  }

  async function talked(caseId: string, form: Record<string, string>, by = coordinatorA.id): Promise<string> {
    const res = await t.invoke(by, 'case.record-talk', { caseId, ...form });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(cardProblems(res.card), []);
    // The answer comes before the cards to the colleagues go out: it shows them being sent.
    const sending = /verstuurd…/.test(text(res.card));
    await t.settled();
    if (!sending) return text(res.card);
    assert.match(text(res.card), /wordt verstuurd…/, 'each colleague is shown as being sent to');
    const view = await t.invoke(by, 'case.view', { caseId });
    assert.deepEqual(cardProblems(view.card), []);
    return text(view.card);
  }

  const twoColleagues = {
    support: 'quiet-spot,test-moved',
    note: 'Mag even naar de gang',
    others: `${groupTeacher.id},${gymTeacher.id}`,
    nobody: 'false',
  };

  it('police → coordinator → talk with the pupil → two colleagues → parents: the case closes and every card turns neutral', async () => {
    const caseId = await claimed();
    const form = await t.invoke(coordinatorA.id, 'case.talk-form', { caseId });
    assert.deepEqual(cardProblems(form.card), []);
    assert.match(text(form.card), /Wat heeft de leerling (vandaag|op \S+ \d+ \S+) nodig\?/);
    assert.match(text(form.card), /graph\.microsoft\.com\/users/);

    const view = await talked(caseId, twoColleagues);
    assert.match(view, /0 van 2 gelezen/);
    assert.match(view, /Marloes Tjallema/);
    assert.match(view, /nog niet/);

    // Each colleague got a private chat with a neutral shell that opens their own view.
    for (const colleague of [groupTeacher, gymTeacher]) {
      const chat = chatWith(t, colleague.id);
      assert.equal(chat.filter((a) => posting.has(a.kind)).length, 1);
      const shell = chat.find((a) => posting.has(a.kind))!;
      assert.match(cardIn(shell), /vertrouwelijke Handle with Care-mededeling/);
      assert.match(cardIn(shell), /colleague\.view/);
    }
    assert.equal(chatWith(t, duoTeacher.id).length, 0, 'nobody else is told');

    const colleagueView = await t.invoke(groupTeacher.id, 'colleague.view', { caseId });
    assert.deepEqual(cardProblems(colleagueView.card), []);
    for (const expected of [
      pupil.name,
      'Een rustige plek',
      'Toets verplaatst',
      'Mag even naar de gang',
      'Wilma Ravenstein',
    ]) {
      assert.ok(text(colleagueView.card).includes(expected), expected);
    }
    assert.match(text(colleagueView.card), /Vertel dit niet verder/);

    const read = await t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId });
    assert.match(text(read.card), /Gelezen om \d\d:\d\d/);
    // The coordinator sees progress without opening the card: their shell says so, neutrally.
    const ownerShellUpdates = chatWith(t, coordinatorA.id).filter((a) => a.kind === 'update');
    assert.match(cardIn(ownerShellUpdates.at(-1)!), /1 van 2 gelezen/);
    assert.match(
      text((await t.invoke(coordinatorA.id, 'case.view', { caseId })).card),
      /gelezen om \d\d:\d\d/,
    );

    await t.invoke(gymTeacher.id, 'colleague.acknowledge', { caseId });
    assert.match(
      cardIn(
        chatWith(t, coordinatorA.id)
          .filter((a) => a.kind === 'update')
          .at(-1)!,
      ),
      /2 van 2 gelezen/,
    );

    // 'Ik informeer de ouders' waits until the coordinator says it was done, later that day.
    const waiting = await t.invoke(coordinatorA.id, 'case.record-parents', { caseId, parents: 'by-me' });
    assert.match(text(waiting.card), /Ouders: jij informeert hen/);
    assert.match(text(waiting.card), /case\.parents-done/);
    assert.equal(await t.app.services.store.size(), 1, 'the case waits for the parents');
    const done = await t.invoke(coordinatorA.id, 'case.parents-done', { caseId });
    assert.match(text(done.card), /Afgerond/);
    assert.equal(await t.app.services.store.size(), 0);
    // Every card posted for the case, in every chat, was made neutral and then deleted.
    await t.settled();
    for (const staffId of [coordinatorA.id, coordinatorB.id, groupTeacher.id, gymTeacher.id]) {
      const chat = chatWith(t, staffId);
      for (const posted of chat.filter((a) => posting.has(a.kind))) {
        const history = chat.filter((a) => a.activityId === posted.activityId);
        assert.equal(history.at(-1)?.kind, 'delete', `the card for ${staffId} is deleted`);
        const lastUpdate = history.filter((a) => a.kind === 'update').at(-1)!;
        assert.match(cardIn(lastUpdate), /afgerond/i, `the card for ${staffId} was neutral first`);
      }
    }
  });

  it('municipality → intern begeleider → the group teacher, as soon as possible → parents by the group teacher', async () => {
    const res = await t.postSignal({ ...signal, source: 'municipality' });
    assert.equal(res.status, 201);
    const caseId = caseIdOf(t.connector.activities.find((a) => posting.has(a.kind))!.body);
    await t.invoke(coordinatorB.id, 'case.claim', { caseId });
    // No talk with the pupil first here: the group teacher is told, and acts in class.
    await talked(caseId, { others: groupTeacher.id }, coordinatorB.id);
    const view = await t.invoke(groupTeacher.id, 'colleague.view', { caseId });
    assert.match(text(view.card), /Niets bijzonders afgesproken/);
    await t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId });
    const chosen = await t.invoke(coordinatorB.id, 'case.record-parents', {
      caseId,
      parents: 'by-group-teacher',
      parentsBy: groupTeacher.id,
    });
    // The case does not close: it waits for the group teacher.
    assert.match(text(chosen.card), /Ouders: Marloes Tjallema informeert hen/);
    await t.settled();
    assert.equal(await t.app.services.store.size(), 1);
    // The teacher hears it by a new message, and their card says it is their job.
    const posts = postsTo(t, groupTeacher.id);
    assert.equal(posts.length, 2, 'a new card notifies the group teacher');
    assert.match(cardIn(posts.at(-1)!), /Je wordt gevraagd de ouders te informeren/);
    assertNoPupilData(cardIn(posts.at(-1)!), 'the posted card');
    const card = await t.invoke(groupTeacher.id, 'colleague.view', { caseId });
    assert.deepEqual(cardProblems(card.card), []);
    assert.match(text(card.card), /vraagt jou de ouders te informeren/);
    assert.match(text(card.card), /colleague\.parents-done/);
    // Nobody else may say it for them.
    const other = await t.invoke(gymTeacher.id, 'colleague.parents-done', { caseId });
    assert.match(text(other.card), /Niet beschikbaar/);
    assert.equal(await t.app.services.store.size(), 1);

    const done = await t.invoke(groupTeacher.id, 'colleague.parents-done', { caseId });
    assert.match(text(done.card), /Ouders geïnformeerd/);
    assert.match(text(done.card), /afgerond en verwijderd/);
    assert.equal(await t.app.services.store.size(), 0);
  });

  it('a colleague who was not told is asked to inform the parents, with a card that shows only that', async () => {
    const caseId = await claimed();
    await talked(caseId, { others: gymTeacher.id, note: 'Mag even naar de gang' });
    await t.invoke(gymTeacher.id, 'colleague.acknowledge', { caseId });
    assert.equal(chatWith(t, duoTeacher.id).length, 0);
    const chosen = await t.invoke(coordinatorA.id, 'case.record-parents', {
      caseId,
      parents: 'by-group-teacher',
      parentsBy: duoTeacher.id,
    });
    assert.match(text(chosen.card), /informeert de ouders/);
    await t.settled();
    assert.equal(chatWith(t, duoTeacher.id).filter((a) => posting.has(a.kind)).length, 1, 'their first card');
    const card = await t.invoke(duoTeacher.id, 'colleague.view', { caseId });
    assert.match(text(card.card), /vraagt jou de ouders te informeren/);
    assert.doesNotMatch(text(card.card), /gang/, 'nothing of what was agreed');
    assert.doesNotMatch(text(card.card), /colleague\.acknowledge/, "no 'Gelezen' to wait for");
    const done = await t.invoke(duoTeacher.id, 'colleague.parents-done', { caseId });
    assert.match(text(done.card), /afgerond en verwijderd/);
    assert.equal(await t.app.services.store.size(), 0);
  });

  it('the parents step says what is missing: a choice, or which colleague', async () => {
    const caseId = await claimed();
    await talked(caseId, { others: groupTeacher.id });
    const none = await t.invoke(coordinatorA.id, 'case.record-parents', { caseId });
    assert.match(text(none.card), /Kies wie de ouders informeert, of ‘Nu niet’/);
    const nobody = await t.invoke(coordinatorA.id, 'case.record-parents', {
      caseId,
      parents: 'by-group-teacher',
      parentsBy: '',
    });
    assert.match(text(nobody.card), /Kies welke collega de ouders informeert/);
    assert.equal((await t.app.services.store.get(caseId))?.parents, undefined, 'nothing recorded');
  });

  it("'nobody to inform': no colleague gets anything, and the parents step closes the case", async () => {
    const caseId = await claimed();
    const view = await talked(caseId, { support: 'quiet-spot', nobody: 'true' });
    assert.match(view, /Niemand geïnformeerd/);
    assert.equal(t.connector.conversations.length, 2, 'only the two coordinators have a chat');
    assert.match(
      cardIn(
        chatWith(t, coordinatorA.id)
          .filter((a) => a.kind === 'update')
          .at(-1)!,
      ),
      /Niemand geïnformeerd/,
    );
    const done = await t.invoke(coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' });
    assert.match(text(done.card), /Afgerond/);
    assert.equal(await t.app.services.store.size(), 0);
  });

  it('a form that does not add up comes back with a message, and tells nobody', async () => {
    const caseId = await claimed();
    assert.match(await talked(caseId, { support: 'quiet-spot' }), /Kies wie het mag weten/);
    assert.match(await talked(caseId, { others: groupTeacher.id, nobody: 'true' }), /niet allebei/);
    assert.match(
      await talked(caseId, { others: groupTeacher.id, note: 'x'.repeat(300) }),
      /hoogstens 280 tekens/,
    );
    const many = Array.from({ length: 41 }, () => randomUUID()).join(',');
    assert.match(await talked(caseId, { others: many }), /hoogstens 40 collega/);
    assert.equal(chatWith(t, groupTeacher.id).length, 0);
  });

  it("'pupil not at school today' exists on the support day only, asks first, moves once per click, and closes after the maximum", async () => {
    await t.stop();
    // Sunday evening 22 November, for a Monday support day.
    let now = new Date('2026-11-22T19:00:00Z');
    t = await startTestApp({ start: { clock: () => now } });
    const caseId = await claimed();
    const monday = (await t.app.services.store.get(caseId))!.supportDay;
    assert.equal(monday.date, '2026-11-23');

    // The evening before: not offered, and an old card's click is refused with the reason.
    const evening = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.doesNotMatch(text(evening.card), /case\.pupil-absent/);
    const early = await t.invoke(coordinatorA.id, 'case.pupil-absent', {
      caseId,
      forDay: monday.date,
      confirmed: true,
    });
    assert.match(text(early.card), /kan pas op maandag 23 november/);
    assert.equal((await t.app.services.store.get(caseId))!.absences, 0, 'nothing moved');

    // On Monday morning it is offered; the click asks first and names the day it moves to.
    now = new Date('2026-11-23T06:50:00Z');
    assert.match(text((await t.invoke(coordinatorA.id, 'case.view', { caseId })).card), /case\.pupil-absent/);
    const asked = await t.invoke(coordinatorA.id, 'case.pupil-absent', { caseId, forDay: monday.date });
    assert.deepEqual(cardProblems(asked.card), []);
    assert.match(text(asked.card), /Ja, verplaats naar dinsdag 24 november/);
    assert.equal((await t.app.services.store.get(caseId))!.absences, 0, 'asking moves nothing');

    const first = await t.invoke(coordinatorA.id, 'case.pupil-absent', {
      caseId,
      forDay: monday.date,
      confirmed: true,
    });
    // The same card confirmed again: the case moves one day, not two.
    await t.invoke(coordinatorA.id, 'case.pupil-absent', { caseId, forDay: monday.date, confirmed: true });
    const moved = (await t.app.services.store.get(caseId))!;
    assert.equal(moved.absences, 1);
    assert.equal(moved.supportDay.date, '2026-11-24');
    assert.match(text(first.card), /De leerling was er 1 keer niet/);
    // The cards are brought to the new day after the answer.
    await t.settled();
    assert.match(
      cardIn(
        chatWith(t, coordinatorA.id)
          .filter((a) => a.kind === 'update')
          .at(-1)!,
      ),
      /Handle with Care: vóór de lessen op dinsdag 24 november/,
    );

    now = new Date('2026-11-24T06:50:00Z');
    await t.invoke(coordinatorA.id, 'case.pupil-absent', { caseId, forDay: '2026-11-24', confirmed: true });
    const third = (await t.app.services.store.get(caseId))!;
    assert.equal(third.absences, testSchool.maxPupilAbsentDays);
    now = new Date('2026-11-25T06:50:00Z');
    const last = await t.invoke(coordinatorA.id, 'case.pupil-absent', {
      caseId,
      forDay: third.supportDay.date,
    });
    assert.match(text(last.card), /Ja, afsluiten/);
    const closed = await t.invoke(coordinatorA.id, 'case.pupil-absent', {
      caseId,
      forDay: third.supportDay.date,
      confirmed: true,
    });
    assert.match(text(closed.card), /te vaak niet/);
    assert.equal(await t.app.services.store.size(), 0);
  });

  it("'Herinner' notifies only those who have not read it, once per click", async () => {
    const caseId = await claimed();
    await talked(caseId, twoColleagues);
    await t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId });
    const reminded = await t.invoke(coordinatorA.id, 'case.remind', { caseId, round: 0 });
    assert.match(text(reminded.card), /1 collega opnieuw gevraagd/);
    await t.invoke(coordinatorA.id, 'case.remind', { caseId, round: 0 });
    await t.settled();
    assert.equal(chatWith(t, gymTeacher.id).filter((a) => posting.has(a.kind)).length, 2);
    assert.match(
      cardIn(
        chatWith(t, gymTeacher.id)
          .filter((a) => posting.has(a.kind))
          .at(-1)!,
      ),
      /Herinnering/,
    );
    assert.equal(chatWith(t, groupTeacher.id).filter((a) => posting.has(a.kind)).length, 1);
  });

  it('a double click changes nothing: one card per colleague, one acknowledgement, one parents step', async () => {
    const caseId = await claimed();
    await Promise.all([talked(caseId, twoColleagues), talked(caseId, twoColleagues)]);
    assert.equal(chatWith(t, groupTeacher.id).filter((a) => posting.has(a.kind)).length, 1);
    assert.equal(chatWith(t, gymTeacher.id).filter((a) => posting.has(a.kind)).length, 1);
    await Promise.all([
      t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId }),
      t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId }),
    ]);
    const c = (await t.app.services.store.get(caseId))!;
    assert.equal(c.colleagues.filter((p) => p.acknowledgedAt).length, 1);
    await t.invoke(coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' });
    await t.invoke(coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' });
    assert.equal(
      (await t.app.services.store.get(caseId))!.state,
      'informing',
      'one colleague has not read it yet',
    );
  });

  it('a stale card after closing shows nothing of the pupil, whoever clicks it', async () => {
    const caseId = await claimed();
    await talked(caseId, { others: groupTeacher.id });
    await t.invoke(coordinatorA.id, 'case.close', { caseId });
    assert.equal(await t.app.services.store.size(), 0);
    const attempts = [
      t.invoke(groupTeacher.id, 'colleague.view', { caseId }),
      t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId }),
      t.invoke(coordinatorA.id, 'case.view', { caseId }),
      t.invoke(coordinatorA.id, 'case.record-parents', { caseId, parents: 'by-me' }),
      t.invoke(coordinatorA.id, 'case.parents-done', { caseId }),
      t.invoke(groupTeacher.id, 'colleague.parents-done', { caseId }),
      t.invoke(coordinatorA.id, 'case.remind', { caseId, round: 0 }),
      t.invoke(coordinatorA.id, 'case.close', { caseId }),
    ];
    for (const res of await Promise.all(attempts)) {
      assert.equal(res.status, 200);
      assertNoPupilData(text(res.card), 'the answer to a stale card');
      assert.match(text(res.card), /niet \(meer\) beschikbaar|afgerond|afgesloten/i);
    }
  });

  it('a colleague Teams cannot reach is shown as such, and does not hold up closing', async () => {
    t.connector.unreachableUsers.add(gymTeacher.id);
    const caseId = await claimed();
    const view = await talked(caseId, twoColleagues);
    assert.match(view, /niet bereikbaar via Teams: vertel het persoonlijk/);
    assert.match(view, /0 van 1 gelezen/);
    await t.invoke(groupTeacher.id, 'colleague.acknowledge', { caseId });
    const done = await t.invoke(coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' });
    assert.match(text(done.card), /1 collega was niet via Teams te bereiken/);
    assert.equal(await t.app.services.store.size(), 0);
  });

  it('the owner hands the case over; from then on only the new owner acts on it', async () => {
    const caseId = await claimed();
    const handed = await t.invoke(coordinatorA.id, 'case.hand-over', { caseId, to: deputy.id });
    assert.match(text(handed.card), /Opgepakt door Anouk Zwaneveld/);
    // The deputy gets a new card, which says who handed it over.
    assert.match(
      cardIn(chatWith(t, deputy.id).find((a) => posting.has(a.kind))!),
      /Aan jou overgedragen door Wilma Ravenstein/,
    );
    const refused = await talked(caseId, { others: groupTeacher.id });
    assert.match(refused, /Opgepakt door Anouk Zwaneveld/);
    assert.equal(chatWith(t, groupTeacher.id).length, 0);
    assert.match(await talked(caseId, { others: groupTeacher.id }, deputy.id), /0 van 1 gelezen/);
  });

  describe('authorization: every refusal answers neutrally and changes nothing', () => {
    it('only a coordinator or deputy of the school sees or acts on the case', async () => {
      const caseId = await claimed();
      for (const who of [stranger.id, outsider.id, groupTeacher.id]) {
        for (const [verb, data] of [
          ['case.view', { caseId }],
          ['case.talk-form', { caseId }],
          ['case.record-talk', { caseId, others: groupTeacher.id }],
          ['case.pupil-absent', { caseId, forDay: '2026-11-23' }],
          ['case.hand-over', { caseId, to: who }],
          ['case.close', { caseId }],
        ] as const) {
          const res = await t.invoke(who, verb, data);
          assert.match(text(res.card), /Niet beschikbaar/, `${verb} by ${who}`);
          assertNoPupilData(text(res.card), `${verb} by ${who}`);
        }
      }
      assert.equal((await t.app.services.store.get(caseId))!.state, 'claimed');
    });

    it("after a claim, another coordinator's commands answer with the view that names the owner", async () => {
      const caseId = await claimed();
      for (const [verb, data] of [
        ['case.record-talk', { caseId, others: groupTeacher.id }],
        ['case.pupil-absent', { caseId, forDay: (await t.app.services.store.get(caseId))!.supportDay.date }],
        ['case.close', { caseId }],
        ['case.hand-over', { caseId, to: coordinatorB.id }],
        ['case.not-our-pupil', { caseId }],
      ] as const) {
        const res = await t.invoke(coordinatorB.id, verb, data);
        assert.match(text(res.card), /Opgepakt door Wilma Ravenstein/, verb);
      }
      const c = (await t.app.services.store.get(caseId))!;
      assert.equal(c.claim?.by.id, coordinatorA.id);
      assert.equal(c.absences, 0);
      assert.equal(c.talk, undefined);
    });

    it("only the colleague a card was sent to sees it and says 'Gelezen'", async () => {
      const caseId = await claimed();
      await talked(caseId, { others: groupTeacher.id });
      for (const who of [duoTeacher.id, coordinatorA.id, coordinatorB.id, stranger.id]) {
        for (const verb of ['colleague.view', 'colleague.acknowledge']) {
          const res = await t.invoke(who, verb, { caseId });
          assert.match(text(res.card), /Niet beschikbaar/, `${verb} by ${who}`);
        }
      }
      assert.equal((await t.app.services.store.get(caseId))!.colleagues[0]!.acknowledgedAt, undefined);
    });

    it("a colleague's card action from another tenant is refused", async () => {
      await t.stop();
      t = await startTestApp({ env: { MicrosoftAppTenantId: TENANT_ID } });
      const caseId = await claimed();
      await talked(caseId, { others: groupTeacher.id });
      const foreign = { id: '0f0e0d0c-0b0a-4909-8807-060504030201' };
      const res = await t.invoke(
        groupTeacher.id,
        'colleague.acknowledge',
        { caseId },
        {
          conversation: { id: 'a:x', conversationType: 'personal', tenantId: foreign.id },
          channelData: { tenant: foreign },
        },
      );
      assert.match(text(res.card), /Niet beschikbaar/);
      assert.equal((await t.app.services.store.get(caseId))!.colleagues[0]!.acknowledgedAt, undefined);
    });

    it('tampered action data is refused before any handler runs', async () => {
      const caseId = await claimed();
      for (const data of [
        { caseId, others: 'not-a-guid' },
        { caseId, others: groupTeacher.id, name: pupil.name },
        { caseId: 'x', others: groupTeacher.id },
      ]) {
        const res = await t.invoke(coordinatorA.id, 'case.record-talk', data);
        assert.match(text(res.card), /Niet beschikbaar/);
      }
      assert.equal(chatWith(t, groupTeacher.id).length, 0);
    });
  });
});

describe("suggestions from the school's roster (over HTTP)", () => {
  let t: TestApp;
  const rosterSchool = {
    ...testSchool,
    directory: { type: 'roster-csv' as const, pupils: 'pupils.csv', staff: 'staff.csv' },
  };
  const staffCsv = [
    'naam;entra_object_id;groepen',
    `${groupTeacher.name};${groupTeacher.id};groep 6`,
    `${duoTeacher.name};${duoTeacher.id};groep 6`,
    `${gymTeacher.name};${gymTeacher.id};groep 4`,
  ].join('\n');

  async function start(pupilsCsv: string): Promise<void> {
    t = await startTestApp({
      schools: [rosterSchool],
      files: { 'pupils.csv': pupilsCsv, 'staff.csv': staffCsv },
    });
  }
  afterEach(async () => stopAfterPrivacyCheck(t));

  async function talkForm(): Promise<string> {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201);
    const caseId = caseIdOf(t.connector.activities.find((a) => posting.has(a.kind))!.body);
    await t.invoke(coordinatorA.id, 'case.claim', { caseId });
    const form = await t.invoke(coordinatorA.id, 'case.talk-form', { caseId });
    assert.deepEqual(cardProblems(form.card), []);
    return text(form.card);
  }

  it("suggests the pupil's group teachers first, even with the twin sibling in the roster, and lists the rest of the staff", async () => {
    // Twins: same surname, same birth date, another group. The export writes names surname first.
    await start(
      'naam;geboortedatum;groep\nQuakkelaar, Fenna;12-04-2016;groep 6\nQuakkelaar, Jelte;12-04-2016;groep 4\n',
    );
    const form = await talkForm();
    assert.match(form, /Groepsleerkracht van groep 6/);
    const suggested = /"id":"suggested".*?"choices":(\[.*?\])/.exec(form)?.[1] ?? '';
    assert.ok(suggested.includes(groupTeacher.id) && suggested.includes(duoTeacher.id), suggested);
    assert.ok(!suggested.includes(gymTeacher.id));
    assert.ok(form.includes(gymTeacher.id), 'the rest of the staff is listed for clients without a picker');
  });

  it('gives no suggestion when the roster cannot tell which pupil it is', async () => {
    await start(
      'naam;geboortedatum;groep\nQuakkelaar, Fenna;12-04-2016;groep 6\nFenna Quakkelaar;12-04-2016;groep 4\n',
    );
    const form = await talkForm();
    assert.ok(!form.includes('"id":"suggested"'));
    assert.ok(!form.includes('Groepsleerkracht van'));
  });
});
