import assert from 'node:assert/strict';
import type { School } from '../../src/domain/school';
import type { SignalInput } from '../../src/domain/signal';
import type { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { FakeBotConnector, type RecordedActivity } from '../support/fake-bot-connector';
import { cardProblems } from '../support/card-validator';
import {
  assertNothingLeaked,
  cardText as text,
  posting,
  stopAfterPrivacyCheck,
  waitFor,
} from '../support/flow-checks';
import {
  assertNoPupilData,
  colleagues,
  coordinatorA,
  coordinatorB,
  deputy,
  duoTeacher,
  groupTeacher,
  gymTeacher,
  pupil,
  stranger,
  testSchool,
} from '../support/fixtures';
import { caseIdOf, startTestApp, type TestApp } from '../support/test-app';
import { testRedis, type TestRedis } from '../support/redis';

/**
 * Two schools in one app, each with its own procedure (README, "Two procedures"): the test school
 * talks with the pupil first (the police procedure), this one informs the group teacher first (the
 * municipality procedure). The same coordinators work at both, so every difference comes from the
 * school of the case, not from the person.
 */
const teacherSchool: School = {
  ...testSchool,
  id: 'teacher-school',
  name: 'Basisschool De Vlinderhof',
  procedure: 'teacher-first',
};
const policeSignal: SignalInput = { schoolId: testSchool.id, pupil, source: 'police' };
const municipalitySignal: SignalInput = { schoolId: teacherSchool.id, pupil, source: 'municipality' };

/** What the coordinator writes on the form; it must never reach a posted card or a log line. */
const AGREED = 'Mag even naar de gang';
const SUGGESTED = 'Zit graag vooraan bij het raam';

// Sunday evening 22 November 2026 for a Monday support day; the mornings are before lessons (08:30
// in Amsterdam, 07:30 UTC).
const SUNDAY_EVENING = new Date('2026-11-22T19:00:00Z');
const MONDAY_MORNING = new Date('2026-11-23T06:15:00Z');
const TUESDAY_MORNING = new Date('2026-11-24T06:15:00Z');
const WEDNESDAY_MORNING = new Date('2026-11-25T06:15:00Z');

/**
 * Words of a talk with the pupil: no teacher-first card, in any language, may use them. The last
 * two are the talk-first colleague's posted card ("…read what was agreed").
 */
const TALK_WORDS = [
  'heeft met de leerling gesproken',
  'met de leerling besproken',
  'Gesprek gevoerd',
  'Afgesproken',
  'Niets bijzonders afgesproken',
  'talked with',
  'Talk held',
  'Agreed',
  'wat er is afgesproken',
  'what was agreed',
];

function assertNoTalkWords(card: string, what: string): void {
  for (const words of TALK_WORDS) assert.ok(!card.includes(words), `${what} says '${words}'`);
}

function cardOf(activity: RecordedActivity): unknown {
  return (activity.body?.attachments as { content: unknown }[] | undefined)?.[0]?.content;
}

function cardIn(activity: RecordedActivity): string {
  return text(cardOf(activity));
}

interface CardAction {
  verb: string;
  title: string;
  data: Record<string, unknown>;
}

/** The buttons a card offers (its refresh aside), with their data. */
function actionsIn(card: string): CardAction[] {
  const found: CardAction[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'Action.Execute' && typeof record.verb === 'string') {
        found.push({
          verb: record.verb,
          title: typeof record.title === 'string' ? record.title : '',
          data: (record.data ?? {}) as Record<string, unknown>,
        });
      }
      for (const [key, value] of Object.entries(record)) if (key !== 'refresh') walk(value);
    }
  };
  walk(JSON.parse(card));
  return found;
}

function actionFor(card: string, verb: string): CardAction | undefined {
  return actionsIn(card).find((a) => a.verb === verb);
}

function offers(card: string, verb: string): boolean {
  return actionFor(card, verb) !== undefined;
}

describe('two schools, two procedures: talk first and teacher first (over HTTP, against a fake Bot Connector)', () => {
  let t: TestApp;
  let now: Date;
  let locale: string;
  /** Every card the app answered a click with in this test, for the checks over all of them. */
  let answers: { verb: string; card: string }[];

  async function start(options: { env?: Record<string, string>; locale?: string } = {}): Promise<void> {
    now = SUNDAY_EVENING;
    locale = options.locale ?? 'nl-NL';
    answers = [];
    t = await startTestApp({
      schools: [teacherSchool, testSchool],
      env: options.env ?? {},
      start: { clock: () => now },
    });
  }

  beforeEach(async () => start());

  afterEach(async () => {
    try {
      // Every card that went out or was updated is one Teams renders, and nothing of the pupil.
      for (const activity of t.connector.activities) {
        const card = cardOf(activity);
        if (card) assert.deepEqual(cardProblems(card), [], `a ${activity.kind} activity holds a valid card`);
      }
      assert.ok(t.connector.activities.length > 0, 'the test posted something to check');
    } finally {
      answers = [];
      await stopAfterPrivacyCheck(t, [AGREED, SUGGESTED]);
    }
  });

  /** A click on a card: the answer is always a valid card. */
  async function act(who: string, verb: string, data: Record<string, unknown>): Promise<string> {
    const res = await t.invoke(who, verb, data, { locale });
    assert.equal(res.status, 200, `${verb} by ${who}: ${res.status}`);
    assert.deepEqual(cardProblems(res.card), [], `${verb} by ${who} answers a valid card`);
    const card = text(res.card);
    answers.push({ verb, card });
    return card;
  }

  async function deliver(signal: SignalInput): Promise<string> {
    const before = t.connector.activities.length;
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    await t.settled();
    const created = t.connector.activities
      .slice(before)
      .find((a) => posting.has(a.kind) && cardIn(a).includes('caseId'));
    assert.ok(created, 'a card went out for the signal');
    return caseIdOf(created.body);
  }

  /** 'Vastleggen en informeren' or 'Informeren': the view once every card to a colleague went out. */
  async function inform(caseId: string, form: Record<string, string>, by = coordinatorA.id): Promise<string> {
    const answer = await act(by, 'case.record-talk', { caseId, ...form });
    await t.settled();
    if (!/verstuurd…|sent…/.test(answer)) return answer;
    return act(by, 'case.view', { caseId });
  }

  /** The chats the bot has with this person: the one it opened, and the one their clicks come from. */
  function chatsOf(staffId: string): Set<string> {
    return new Set([
      ...t.connector.conversations.filter((c) => c.members.some((m) => m.id === staffId)).map((c) => c.id),
      `a:personal-${staffId}`,
    ]);
  }

  /** The cards of this case posted to this person, oldest first. */
  function postsTo(staffId: string, caseId: string): RecordedActivity[] {
    const chats = chatsOf(staffId);
    return t.connector.activities.filter(
      (a) => posting.has(a.kind) && chats.has(a.conversationId) && cardIn(a).includes(caseId),
    );
  }

  /** What became of a posted card: its updates and its deletion, in order. */
  function historyOf(posted: RecordedActivity): RecordedActivity[] {
    return t.connector.activities.filter(
      (a) =>
        a.conversationId === posted.conversationId &&
        a.activityId === posted.activityId &&
        (a.kind === 'update' || a.kind === 'delete'),
    );
  }

  /** The card as the person sees it now in their chat: the last update, or as posted. */
  function latest(posted: RecordedActivity): string {
    const updates = historyOf(posted).filter((a) => a.kind === 'update');
    return cardIn(updates.at(-1) ?? posted);
  }

  /** Every card posted for the case was made neutral first, then deleted. */
  function assertEndedNeutralThenDeleted(caseId: string, neutral: RegExp): void {
    const posted = t.connector.activities.filter((a) => posting.has(a.kind) && cardIn(a).includes(caseId));
    assert.ok(posted.length > 0, 'cards were posted for the case');
    for (const card of posted) {
      const history = historyOf(card);
      assert.equal(history.at(-1)?.kind, 'delete', `the card in ${card.conversationId} is deleted`);
      const lastUpdate = history.filter((a) => a.kind === 'update').at(-1);
      assert.ok(lastUpdate, `the card in ${card.conversationId} was updated before it was deleted`);
      assert.match(cardIn(lastUpdate), neutral, `the card in ${card.conversationId} was neutral first`);
    }
  }

  it('one coordinator at both schools: each case follows the procedure of its own school', async () => {
    const police = await deliver(policeSignal);
    const municipality = await deliver(municipalitySignal);

    // Before the claim, the next step says what the one who takes it on will do.
    const talkFirst = await act(coordinatorB.id, 'case.view', { caseId: police });
    assert.match(talkFirst, /Pak het signaal op als jij de leerling aan het begin van de schooldag opzoekt/);
    const teacherFirst = await act(coordinatorB.id, 'case.view', { caseId: municipality });
    assert.match(teacherFirst, /Pak het signaal op als jij de groepsleerkracht van de leerling informeert/);
    assert.match(teacherFirst, /Gemeente \(leerplicht\)/, 'the source is shown');

    // After the claim: a talk with the pupil, or the group teacher, as soon as possible.
    const claimedPolice = await act(coordinatorA.id, 'case.claim', { caseId: police });
    assert.match(claimedPolice, /Zoek de leerling op aan het begin van de schooldag op maandag 23 november/);
    assert.equal(actionFor(claimedPolice, 'case.talk-form')?.title, 'Gesprek gevoerd');
    const claimedMunicipality = await act(coordinatorA.id, 'case.claim', { caseId: municipality });
    assert.match(
      claimedMunicipality,
      /Informeer zo snel mogelijk de groepsleerkracht van de leerling, in elk geval vóór de lessen op maandag 23 november/,
    );
    assert.equal(actionFor(claimedMunicipality, 'case.talk-form')?.title, 'Groepsleerkracht informeren');
    assertNoTalkWords(claimedMunicipality, 'the teacher-first view after the claim');
    await t.settled();

    // The police case, end to end, as today.
    const form = await act(coordinatorA.id, 'case.talk-form', { caseId: police });
    assert.ok(form.includes('"text":"Gesprek gevoerd"'), "the form is 'Gesprek gevoerd'");
    assert.match(form, /Wat heeft de leerling op maandag 23 november nodig\?/);
    assert.ok(form.includes('"id":"nobody"'), "'Niemand' is an option after a talk");
    assert.equal(actionFor(form, 'case.record-talk')?.title, 'Vastleggen en informeren');

    const view = await inform(police, { support: 'quiet-spot', note: AGREED, others: groupTeacher.id });
    assert.ok(view.includes('"text":"Afgesproken"'), 'the view shows what was agreed');
    assert.ok(view.includes('Een rustige plek') && view.includes(AGREED));
    assert.match(view, /0 van 1 gelezen/);
    assert.equal((await t.app.services.store.get(police))?.talk?.procedure, 'talk-first');

    const [shell, ...more] = postsTo(groupTeacher.id, police);
    assert.ok(shell, 'the group teacher got a card');
    assert.equal(more.length, 0, 'one card');
    assert.match(cardIn(shell), /Open de kaart om te lezen wat er is afgesproken/);

    const colleague = await act(groupTeacher.id, 'colleague.view', { caseId: police });
    assert.match(colleague, /Wilma Ravenstein heeft met de leerling gesproken/);
    assert.ok(colleague.includes('"text":"Afgesproken"'));
    assert.ok(colleague.includes(AGREED));
    assert.ok(!offers(colleague, 'colleague.pupil-absent'), 'no absence button on a talk-first card');
    assert.match(
      await act(groupTeacher.id, 'colleague.acknowledge', { caseId: police }),
      /Gelezen om \d\d:\d\d/,
    );

    const waiting = await act(coordinatorA.id, 'case.record-parents', { caseId: police, parents: 'by-me' });
    assert.match(waiting, /Ouders: jij informeert hen/);
    const done = await act(coordinatorA.id, 'case.parents-done', { caseId: police });
    assert.match(done, /Afgerond/);
    await t.settled();
    assertEndedNeutralThenDeleted(police, /afgerond/i);

    // The teacher-first case is untouched: still open, its cards still there.
    assert.equal(await t.app.services.store.size(), 1, 'only the teacher-first case is left');
    assert.equal((await t.app.services.store.get(municipality))?.state, 'claimed');
    for (const card of t.connector.activities.filter(
      (a) => posting.has(a.kind) && cardIn(a).includes(municipality),
    )) {
      assert.ok(!historyOf(card).some((a) => a.kind === 'delete'), 'no card of the other case is deleted');
    }
  });

  it('municipality → intern begeleider → the group teacher, who is there for the pupil and informs the parents', async () => {
    const caseId = await deliver(municipalitySignal);
    now = MONDAY_MORNING;

    const claimed = await act(coordinatorA.id, 'case.claim', { caseId });
    assert.match(claimed, /Jij hebt dit signaal opgepakt/);
    assert.match(
      claimed,
      /Informeer zo snel mogelijk de groepsleerkracht van de leerling, in elk geval vóór de lessen\. De groepsleerkracht is er vandaag voor de leerling/,
    );
    assert.equal(actionFor(claimed, 'case.talk-form')?.title, 'Groepsleerkracht informeren');
    await t.settled();

    // The form: suggestions for the teacher, who decides; nobody is not an option.
    const form = await act(coordinatorA.id, 'case.talk-form', { caseId });
    assert.ok(form.includes('"text":"Groepsleerkracht informeren"'), 'the form has its own title');
    assert.ok(
      form.includes(
        'Suggesties voor vandaag (niet met de leerling afgesproken; de groepsleerkracht beslist)',
      ),
      'the support options are suggestions',
    );
    assert.ok(!form.includes('"id":"nobody"'), "no 'Niemand' toggle");
    assert.ok(!form.includes('Niemand'), "no 'Niemand' anywhere on the form");
    assert.equal(actionFor(form, 'case.record-talk')?.title, 'Informeren');
    assert.match(form, /Wie informeer je\?/);
    assert.match(form, /er is geen groepsleerkracht voorgesteld\. Kies zelf de groepsleerkracht\./);

    // Nobody chosen: the form comes back with what to do; 'nobody' from an old card is refused.
    const none = await act(coordinatorA.id, 'case.record-talk', {
      caseId,
      support: 'test-moved',
      note: SUGGESTED,
      nobody: 'false',
    });
    assert.match(none, /Kies de groepsleerkracht \(of een andere collega\) die je informeert\./);
    assert.ok(offers(none, 'case.record-talk'), 'the form again');
    assert.ok(none.includes(SUGGESTED), 'with what was filled in');
    const nobody = await act(coordinatorA.id, 'case.record-talk', { caseId, nobody: 'true' });
    assert.ok(offers(nobody, 'case.record-talk'), "'nobody' gets the form back");
    assert.ok(nobody.includes('"color":"Attention"'), 'with a message');
    assert.doesNotMatch(nobody, /Niemand geïnformeerd/);
    assert.equal((await t.app.services.store.get(caseId))?.talk, undefined, 'nothing recorded');
    assert.equal(postsTo(groupTeacher.id, caseId).length, 0, 'nobody told');

    const view = await inform(caseId, { support: 'test-moved', note: SUGGESTED, others: groupTeacher.id });
    assert.ok(view.includes('"text":"Suggesties voor de groepsleerkracht"'));
    assert.ok(view.includes('Toets verplaatst') && view.includes(SUGGESTED));
    assert.match(view, /0 van 1 gelezen/);
    assert.match(view, /Marloes Tjallema/);
    assert.equal(
      actionFor(view, 'case.pupil-absent')?.title,
      'Leerling is er vandaag niet',
      'the coordinator can still say the pupil is not there',
    );
    assert.equal((await t.app.services.store.get(caseId))?.talk?.procedure, 'teacher-first');

    // The group teacher's card in the chat asks them to open it; the view says what is asked.
    const [shell] = postsTo(groupTeacher.id, caseId);
    assert.ok(shell, 'the group teacher got a card');
    assert.match(cardIn(shell), /Open de kaart om te lezen wat er van je gevraagd wordt\./);
    assert.match(cardIn(shell), /colleague\.view/);
    assert.equal(postsTo(duoTeacher.id, caseId).length, 0, 'nobody else is told');

    const card = await act(groupTeacher.id, 'colleague.view', { caseId });
    assert.ok(
      card.includes(
        'Wilma Ravenstein heeft een Handle with Care-signaal over deze leerling ontvangen en vraagt jou om er vandaag voor de leerling te zijn.',
      ),
      'the intro says who received the signal and what is asked',
    );
    assert.ok(card.includes(pupil.name), 'the view names the pupil');
    assert.ok(card.includes('"text":"Suggesties van Wilma Ravenstein"'));
    assert.ok(card.includes('Toets verplaatst') && card.includes(SUGGESTED));
    for (const guidance of [
      /Laat de leerling merken dat je er voor hem of haar bent\./,
      /Geef ruimte om het verhaal te doen/,
      /vraag niet naar thuis/,
      /Een toets kan naar een andere dag/,
      /rustig plekje/,
    ]) {
      assert.match(card, guidance);
    }
    assert.match(card, /Vertel dit niet verder/);
    assert.equal(actionFor(card, 'colleague.acknowledge')?.title, 'Gelezen');
    assert.deepEqual(actionFor(card, 'colleague.pupil-absent'), {
      verb: 'colleague.pupil-absent',
      title: 'Leerling is er vandaag niet',
      data: { caseId, forDay: '2026-11-23' },
    });

    const read = await act(groupTeacher.id, 'colleague.acknowledge', { caseId });
    assert.match(read, /Gelezen om \d\d:\d\d/);
    assert.ok(!offers(read, 'colleague.acknowledge'), "'Gelezen' once");
    const [ownerShell] = postsTo(coordinatorA.id, caseId);
    assert.ok(ownerShell);
    assert.match(latest(ownerShell), /1 van 1 gelezen/, "the coordinator's card shows the progress");

    const chosen = await act(coordinatorA.id, 'case.record-parents', {
      caseId,
      parents: 'by-group-teacher',
      parentsBy: groupTeacher.id,
    });
    assert.match(chosen, /Ouders: Marloes Tjallema informeert hen/);
    assert.ok(!offers(chosen, 'case.pupil-absent'), 'not after the parents step');
    await t.settled();
    assert.equal(await t.app.services.store.size(), 1, 'the case waits for the group teacher');

    // The teacher hears it by a new card, and their view asks it of them.
    const posts = postsTo(groupTeacher.id, caseId);
    assert.equal(posts.length, 2, 'a new card notifies the group teacher');
    assert.match(cardIn(posts.at(-1)!), /Je wordt gevraagd de ouders te informeren/);
    const asked = await act(groupTeacher.id, 'colleague.view', { caseId });
    assert.match(asked, /Wilma Ravenstein vraagt jou de ouders te informeren/);
    assert.equal(actionFor(asked, 'colleague.parents-done')?.title, 'Ouders geïnformeerd');
    assert.ok(!offers(asked, 'colleague.pupil-absent'), 'no absence after the parents step');

    // An old card's 'Leerling is er vandaag niet', clicked now, moves nothing.
    const stale = await act(groupTeacher.id, 'colleague.pupil-absent', {
      caseId,
      forDay: '2026-11-23',
      confirmed: true,
    });
    assert.ok(offers(stale, 'colleague.parents-done'), 'the teacher gets their card as it is now');
    assert.equal((await t.app.services.store.get(caseId))?.absences, 0, 'nothing moved');

    const done = await act(groupTeacher.id, 'colleague.parents-done', { caseId });
    assert.match(done, /Ouders geïnformeerd/);
    assert.match(done, /afgerond en verwijderd/);
    assert.equal(await t.app.services.store.size(), 0);
    await t.settled();
    assertEndedNeutralThenDeleted(caseId, /afgerond/i);

    for (const { verb, card: answer } of answers) assertNoTalkWords(answer, `the answer to ${verb}`);
  });

  const languages: { name: string; env: Record<string, string>; locale: string; english: boolean }[] = [
    { name: 'in Dutch', env: {}, locale: 'nl-NL', english: false },
    { name: "in English, by each user's Teams language", env: {}, locale: 'en-US', english: true },
    {
      name: 'in English, for everyone (BOT_LANGUAGE)',
      env: { BOT_LANGUAGE: 'en' },
      locale: 'en-US',
      english: true,
    },
  ];
  for (const language of languages) {
    it(`no teacher-first card speaks of a talk with the pupil, ${language.name}`, async () => {
      await t.stop();
      await start({ env: language.env, locale: language.locale });
      // The colleagues wrote to the bot before, so it knows their language for the cards it posts.
      for (const colleague of [groupTeacher, gymTeacher, duoTeacher]) {
        assert.equal(await t.message(colleague.id, 'help', { locale: language.locale }), 200);
      }
      const caseId = await deliver(municipalitySignal);

      const unclaimed = await act(coordinatorB.id, 'case.view', { caseId });
      const claimed = await act(coordinatorA.id, 'case.claim', { caseId });
      assert.equal(
        actionFor(claimed, 'case.talk-form')?.title,
        language.english ? 'Inform the group teacher' : 'Groepsleerkracht informeren',
        'the view is in the language asked for',
      );
      assert.match(
        unclaimed,
        language.english
          ? /if you will inform the pupil's group teacher/
          : /als jij de groepsleerkracht van de leerling informeert/,
      );
      await t.settled();
      await act(coordinatorA.id, 'case.view', { caseId });
      await act(coordinatorA.id, 'case.talk-form', { caseId });
      await act(coordinatorA.id, 'case.record-talk', { caseId, support: 'quiet-spot', nobody: 'false' });
      await act(coordinatorA.id, 'case.record-talk', { caseId, nobody: 'true' });
      const view = await inform(caseId, {
        support: 'quiet-spot,test-moved',
        note: SUGGESTED,
        others: `${groupTeacher.id},${gymTeacher.id}`,
      });
      assert.match(
        view,
        language.english ? /Suggestions for the group teacher/ : /Suggesties voor de groepsleerkracht/,
      );
      // 'Herinner': a second card to both.
      await act(coordinatorA.id, 'case.remind', { caseId, round: 0 });
      await t.settled();
      assert.equal(postsTo(gymTeacher.id, caseId).length, 2, 'the reminder went out');
      assert.match(
        cardIn(postsTo(groupTeacher.id, caseId)[0]!),
        language.english
          ? /Open the card to read what you are asked to do\./
          : /wat er van je gevraagd wordt/,
        "the posted card in the colleague's language",
      );
      await act(groupTeacher.id, 'colleague.view', { caseId });

      // On the support day: the teacher asks, goes back, and then says the pupil is not there.
      now = MONDAY_MORNING;
      await act(groupTeacher.id, 'colleague.view', { caseId });
      const question = await act(groupTeacher.id, 'colleague.pupil-absent', { caseId, forDay: '2026-11-23' });
      assert.ok(offers(question, 'colleague.view'), 'a confirmation with a way back');
      await act(coordinatorA.id, 'case.view', { caseId });
      await act(coordinatorA.id, 'case.pupil-absent', { caseId, forDay: '2026-11-23' });
      await act(groupTeacher.id, 'colleague.acknowledge', { caseId });
      await act(groupTeacher.id, 'colleague.pupil-absent', { caseId, forDay: '2026-11-23', confirmed: true });
      await t.settled();

      // The next day: the parents by a colleague who was not told, who confirms it.
      now = TUESDAY_MORNING;
      const moved = await act(coordinatorA.id, 'case.view', { caseId });
      assert.match(moved, language.english ? /The pupil was absent once/ : /De leerling was er 1 keer niet/);
      await act(gymTeacher.id, 'colleague.view', { caseId });
      await act(gymTeacher.id, 'colleague.acknowledge', { caseId });
      await act(coordinatorA.id, 'case.record-parents', {
        caseId,
        parents: 'by-group-teacher',
        parentsBy: duoTeacher.id,
      });
      await t.settled();
      const parentsOnly = await act(duoTeacher.id, 'colleague.view', { caseId });
      assert.ok(!parentsOnly.includes(SUGGESTED), 'the parents-only card shows nothing of the suggestions');
      assert.ok(!offers(parentsOnly, 'colleague.pupil-absent'), 'nor the absence button');
      await act(duoTeacher.id, 'colleague.parents-done', { caseId });
      assert.equal(await t.app.services.store.size(), 0, 'the case closed');
      await t.settled();

      assert.ok(answers.length >= 20, `every step answered a card (${answers.length})`);
      for (const { verb, card } of answers) assertNoTalkWords(card, `the answer to ${verb}`);
      const cards = t.connector.activities.filter((a) => cardOf(a) !== undefined);
      assert.ok(cards.length >= 10, `cards were posted and updated (${cards.length})`);
      for (const activity of cards) assertNoTalkWords(cardIn(activity), `a ${activity.kind} activity`);
    });
  }

  it('the group teacher says the pupil is not at school: asked first, the case moves, and every card follows; after too many it closes', async () => {
    const caseId = await deliver(municipalitySignal);
    await act(coordinatorA.id, 'case.claim', { caseId });
    await inform(caseId, {
      support: 'quiet-spot',
      note: SUGGESTED,
      others: `${groupTeacher.id},${gymTeacher.id}`,
    });

    // The evening before, nobody can know: not offered, and a click changes nothing.
    const evening = await act(groupTeacher.id, 'colleague.view', { caseId });
    assert.match(evening, /vraagt jou om er op maandag 23 november voor de leerling te zijn/);
    assert.ok(!offers(evening, 'colleague.pupil-absent'), 'not offered before the support day');
    const early = await act(groupTeacher.id, 'colleague.pupil-absent', {
      caseId,
      forDay: '2026-11-23',
      confirmed: true,
    });
    assert.ok(offers(early, 'colleague.acknowledge'), 'the card as it is');
    assert.equal((await t.app.services.store.get(caseId))?.absences, 0, 'nothing moved');

    now = MONDAY_MORNING;
    const card = await act(groupTeacher.id, 'colleague.view', { caseId });
    const absent = actionFor(card, 'colleague.pupil-absent');
    assert.ok(absent, 'offered on the support day');

    // The click asks first, on a card whose buttons go back to the teacher's own verbs.
    const question = await act(groupTeacher.id, 'colleague.pupil-absent', absent.data);
    assert.match(question, /Is de leerling er vandaag niet\?/);
    assert.ok(question.includes(pupil.name), 'the question names the pupil');
    assert.deepEqual(actionFor(question, 'colleague.pupil-absent'), {
      verb: 'colleague.pupil-absent',
      title: 'Ja, verplaats naar dinsdag 24 november',
      data: { caseId, forDay: '2026-11-23', confirmed: true },
    });
    assert.deepEqual(
      actionFor(question, 'colleague.view')?.data,
      { caseId },
      "'Terug' goes to the teacher's card",
    );
    assert.equal(actionFor(question, 'colleague.view')?.title, 'Terug');
    assert.ok(
      !offers(question, 'case.pupil-absent') && !offers(question, 'case.view'),
      'no coordinator verbs',
    );
    assert.equal((await t.app.services.store.get(caseId))?.absences, 0, 'asking moves nothing');
    const back = await act(groupTeacher.id, 'colleague.view', { caseId });
    assert.ok(offers(back, 'colleague.pupil-absent'));

    const confirm = actionFor(question, 'colleague.pupil-absent')!;
    const movedCard = await act(groupTeacher.id, 'colleague.pupil-absent', confirm.data);
    // The same confirmation clicked again: the case moves one day, not two.
    await act(groupTeacher.id, 'colleague.pupil-absent', confirm.data);
    const moved = (await t.app.services.store.get(caseId))!;
    assert.equal(moved.absences, 1);
    assert.equal(moved.supportDay.date, '2026-11-24');
    assert.equal(moved.talk?.procedure, 'teacher-first', 'the teacher stays informed');
    assert.match(movedCard, /vraagt jou om er op dinsdag 24 november voor de leerling te zijn/);
    assert.ok(!offers(movedCard, 'colleague.pupil-absent'), 'not again before Tuesday');
    await t.settled();

    // The coordinator's view and card name the new day; the colleagues' cards say it moved.
    const coordinator = await act(coordinatorA.id, 'case.view', { caseId });
    assert.match(
      coordinator,
      /De leerling was er 1 keer niet; het signaal is verplaatst\. Nog 1 keer verplaatsen mogelijk\./,
    );
    assert.match(coordinator, /Vóór de lessen op dinsdag 24 november/);
    const [ownerShell] = postsTo(coordinatorA.id, caseId);
    assert.match(latest(ownerShell!), /Handle with Care: vóór de lessen op dinsdag 24 november/);
    assert.match(
      latest(ownerShell!),
      /Verplaatst naar dinsdag 24 november: de leerling was er niet\. \d van \d gelezen\./,
      "the owner's card says it moved, and still counts who read it",
    );
    const [otherShell] = postsTo(coordinatorB.id, caseId);
    assert.match(latest(otherShell!), /Handle with Care: vóór de lessen op dinsdag 24 november/);
    for (const colleague of [groupTeacher, gymTeacher]) {
      const [shell] = postsTo(colleague.id, caseId);
      assert.ok(shell, `${colleague.name} has a card`);
      const shown = latest(shell);
      assert.match(
        shown,
        /Verplaatst naar dinsdag 24 november: de leerling was er niet\./,
        `${colleague.name}'s card`,
      );
      assert.match(shown, /Handle with Care: dinsdag 24 november/);
      assert.match(
        shown,
        /Open de kaart om te lezen wat er van je gevraagd wordt/,
        'still the teacher-first words',
      );
      assertNoPupilData(shown, `${colleague.name}'s updated card`);
    }

    // Tuesday: once more, by the coordinator this time, on their own card after informing; then
    // the pupil has been away as often as allowed.
    now = TUESDAY_MORNING;
    const asked = await act(coordinatorA.id, 'case.pupil-absent', { caseId, forDay: '2026-11-24' });
    assert.match(
      asked,
      /Dan gaat het signaal van dinsdag 24 november naar woensdag 25 november: de groepsleerkracht is er die dag voor de leerling\./,
    );
    assert.equal(
      actionFor(asked, 'case.view')?.title,
      'Terug',
      "the coordinator's 'Terug' goes to their view",
    );
    await act(coordinatorA.id, 'case.pupil-absent', { caseId, forDay: '2026-11-24', confirmed: true });
    const second = (await t.app.services.store.get(caseId))!;
    assert.equal(second.absences, teacherSchool.maxPupilAbsentDays);
    assert.equal(second.supportDay.date, '2026-11-25');
    await t.settled();
    for (const colleague of [groupTeacher, gymTeacher]) {
      assert.match(
        latest(postsTo(colleague.id, caseId)[0]!),
        /Verplaatst naar woensdag 25 november: de leerling was er niet\./,
        `${colleague.name}'s card follows the coordinator's move too`,
      );
    }

    now = WEDNESDAY_MORNING;
    const last = await act(groupTeacher.id, 'colleague.pupil-absent', { caseId, forDay: '2026-11-25' });
    assert.equal(actionFor(last, 'colleague.pupil-absent')?.title, 'Ja, afsluiten');
    const closed = await act(groupTeacher.id, 'colleague.pupil-absent', {
      caseId,
      forDay: '2026-11-25',
      confirmed: true,
    });
    assert.match(closed, /te vaak niet/);
    assert.equal(await t.app.services.store.size(), 0);
    await t.settled();
    assertEndedNeutralThenDeleted(caseId, /te vaak niet/);
    // The same confirmation once more, on a case that is gone: nothing of the pupil.
    const again = await act(groupTeacher.id, 'colleague.pupil-absent', {
      caseId,
      forDay: '2026-11-25',
      confirmed: true,
    });
    assertNoPupilData(again, 'the answer to a click on a closed case');
  });

  it('a colleague of a talk-first case cannot say the pupil is absent: not offered, and a click moves nothing', async () => {
    const caseId = await deliver(policeSignal);
    await act(coordinatorA.id, 'case.claim', { caseId });
    await inform(caseId, { support: 'quiet-spot', note: AGREED, others: groupTeacher.id });
    now = MONDAY_MORNING;

    const card = await act(groupTeacher.id, 'colleague.view', { caseId });
    assert.ok(!offers(card, 'colleague.pupil-absent'), 'not on a talk-first card');
    await t.settled();
    const activities = t.connector.activities.length;

    for (const data of [
      { caseId, forDay: '2026-11-23' },
      { caseId, forDay: '2026-11-23', confirmed: true },
    ]) {
      const answer = await act(groupTeacher.id, 'colleague.pupil-absent', data);
      assert.doesNotMatch(answer, /Is de leerling er vandaag niet\?/, 'no question to confirm');
      assert.ok(
        /Niet beschikbaar/.test(answer) || offers(answer, 'colleague.acknowledge'),
        'the card as it is, or not available',
      );
    }
    const c = (await t.app.services.store.get(caseId))!;
    assert.equal(c.absences, 0, 'nothing moved');
    assert.equal(c.supportDay.date, '2026-11-23');
    await t.settled();
    assert.equal(t.connector.activities.length, activities, 'no card was posted or updated');
    // The coordinator's own button is gone too, past the talk.
    assert.ok(!offers(await act(coordinatorA.id, 'case.view', { caseId }), 'case.pupil-absent'));
  });

  it('only a colleague who was told may say the pupil is absent; tampered data is refused', async () => {
    const caseId = await deliver(municipalitySignal);
    await act(coordinatorA.id, 'case.claim', { caseId });
    await inform(caseId, { support: 'quiet-spot', others: groupTeacher.id });
    now = MONDAY_MORNING;
    for (const who of [duoTeacher.id, coordinatorA.id, coordinatorB.id, stranger.id]) {
      for (const data of [
        { caseId, forDay: '2026-11-23' },
        { caseId, forDay: '2026-11-23', confirmed: true },
      ]) {
        const answer = await act(who, 'colleague.pupil-absent', data);
        assert.match(answer, /Niet beschikbaar/, `colleague.pupil-absent by ${who}`);
        assertNoPupilData(answer, `colleague.pupil-absent by ${who}`);
      }
    }
    for (const data of [
      { caseId, forDay: 'maandag', confirmed: true },
      { caseId, forDay: '2026-11-23', confirmed: 'true' },
      { caseId, forDay: '2026-11-23', confirmed: true, name: pupil.name },
      { caseId: 'x', forDay: '2026-11-23', confirmed: true },
    ]) {
      const answer = await act(groupTeacher.id, 'colleague.pupil-absent', data);
      assert.match(answer, /Niet beschikbaar/, `refused: ${JSON.stringify(Object.keys(data))}`);
    }
    const c = (await t.app.services.store.get(caseId))!;
    assert.equal(c.absences, 0, 'nothing moved');
    assert.equal(c.supportDay.date, '2026-11-23');
  });

  it('teacher first when nobody acts: the deputy is asked to inform the group teacher, and the expiry notice names that step', async () => {
    const scheduler = t.app.services.scheduler as InProcessScheduler;
    const caseId = await deliver(municipalitySignal);
    // 08:05 in Amsterdam: the escalation (30 minutes before lessons) is due.
    now = new Date('2026-11-23T07:05:00Z');
    scheduler.runDue();
    await waitFor(() => postsTo(deputy.id, caseId).length === 1);
    await t.settled();
    const escalation = cardIn(postsTo(deputy.id, caseId)[0]!);
    assert.match(escalation, /Pak het op als jij de groepsleerkracht vóór de lessen kunt informeren\./);
    assert.doesNotMatch(escalation, /de leerling vóór de lessen kunt opzoeken/);

    await act(deputy.id, 'case.claim', { caseId });
    await t.settled();
    // After the school day, with the teacher never informed.
    now = new Date('2026-11-23T14:00:01Z');
    scheduler.runDue();
    const notices = () =>
      t.connector.activities.filter(
        (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('Signaal verlopen en verwijderd'),
      );
    await waitFor(() => notices().length === 1);
    const notice = JSON.stringify(notices()[0]!.body);
    assert.match(notice, /De groepsleerkracht was niet geïnformeerd\./);
    assert.doesNotMatch(notice, /gesprek met de leerling/);
    assert.ok(chatsOf(deputy.id).has(notices()[0]!.conversationId), 'to the one who took it on');
    await t.settled();
    for (const activity of t.connector.activities.filter((a) => cardOf(a) !== undefined)) {
      assertNoTalkWords(cardIn(activity), `a ${activity.kind} activity`);
    }
  });
});

describe('a teacher-first case on Redis, across two instances (real Redis, fake Bot Connector)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let connector: FakeBotConnector;
  let now: Date;
  let apps: TestApp[];

  beforeEach(async () => {
    redis = await testRedis();
    now = SUNDAY_EVENING;
    apps = [];
    const staff = [teacherSchool, testSchool].flatMap((s) => [
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
    try {
      for (const app of apps) assertNothingLeaked(app, [SUGGESTED]);
    } finally {
      for (const app of apps) await app.stop().catch(() => undefined);
      await connector.stop();
      await redis.cleanup();
    }
  });

  async function instance(): Promise<TestApp> {
    const app = await startTestApp({
      schools: [teacherSchool, testSchool],
      sharedConnector: connector,
      env: {
        ...redis.appEnv,
      },
      start: { clock: () => now },
    });
    apps.push(app);
    return app;
  }

  async function act(
    app: TestApp,
    who: string,
    verb: string,
    data: Record<string, unknown>,
  ): Promise<string> {
    const res = await app.invoke(who, verb, data);
    assert.equal(res.status, 200, `${verb} by ${who}: ${res.status}`);
    assert.deepEqual(cardProblems(res.card), [], `${verb} by ${who} answers a valid card`);
    return text(res.card);
  }

  it('keeps its procedure: informed on one instance, the group teacher says on the other that the pupil is absent', async () => {
    const one = await instance();
    const other = await instance();
    const res = await one.postSignal(municipalitySignal);
    assert.equal(res.status, 201, res.body);
    await one.settled();
    const created = connector.activities.find((a) => posting.has(a.kind) && cardIn(a).includes('caseId'));
    assert.ok(created, 'a card went out for the signal');
    const caseId = caseIdOf(created.body);

    await act(one, coordinatorA.id, 'case.claim', { caseId });
    const recorded = await act(one, coordinatorA.id, 'case.record-talk', {
      caseId,
      support: 'test-moved',
      note: SUGGESTED,
      others: groupTeacher.id,
    });
    assert.ok(recorded.includes('"text":"Suggesties voor de groepsleerkracht"'), 'the view after informing');
    await one.settled();
    assert.equal((await other.app.services.store.get(caseId))?.talk?.procedure, 'teacher-first');

    now = MONDAY_MORNING;
    const card = await act(other, groupTeacher.id, 'colleague.view', { caseId });
    assert.match(card, /vraagt jou om er vandaag voor de leerling te zijn/);
    assert.ok(card.includes('"text":"Suggesties van Wilma Ravenstein"'));
    const absent = actionFor(card, 'colleague.pupil-absent');
    assert.ok(absent, 'offered on the support day');
    await act(other, groupTeacher.id, 'colleague.pupil-absent', { ...absent.data, confirmed: true });
    await other.settled();

    const moved = (await one.app.services.store.get(caseId))!;
    assert.equal(moved.absences, 1);
    assert.equal(moved.supportDay.date, '2026-11-24');
    assert.equal(moved.talk?.procedure, 'teacher-first', 'still teacher first, as read back from Redis');
    const view = await act(one, coordinatorA.id, 'case.view', { caseId });
    assert.ok(view.includes('"text":"Suggesties voor de groepsleerkracht"'));
    assert.match(view, /De leerling was er 1 keer niet/);
    assertNoTalkWords(view, "the coordinator's view on the other instance");
    const moves = connector.activities.filter(
      (a) =>
        a.kind === 'update' &&
        /colleague\.view/.test(cardIn(a)) &&
        /Verplaatst naar dinsdag 24 november/.test(cardIn(a)),
    );
    assert.equal(moves.length, 1, "the teacher's posted card was updated once");
  });
});
