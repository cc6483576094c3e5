import assert from 'node:assert/strict';
import {
  colleagueViewCard,
  coordinatorShellCard,
  coordinatorViewCard,
  confirmCard,
  noticeCard,
  expiryNoticeCard,
  shellCard,
  shellContext,
  talkFormCard,
} from '../../src/app/case-cards';
import { draftShellCard, mailDraftFormCard, notASignalQuestionCard } from '../../src/app/mail-drafts';
import { intakeFormCard } from '../../src/app/teams-intake';
import type { MailDraft } from '../../src/domain/mail-draft';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { renderCard, renderWithTemplatingLibrary } from '../../src/cards/render-card';
import {
  acknowledge,
  claimCase,
  openCase,
  recordDelivery,
  recordParents,
  recordTalk,
  type HwcCase,
} from '../../src/domain/case';
import { stringsFor } from '../../src/i18n/strings';
import { actionData, cardProblems } from '../support/card-validator';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  deputy,
  otherSchool,
  pupil,
  testSchool,
} from '../support/fixtures';
import { testServices } from '../support/services';

const caseId = '6f1c2a9e-0d4b-4c7a-9e3f-5a6b7c8d9e0f';
const unclaimed = openCase({
  id: caseId,
  schoolId: testSchool.id,
  pupil,
  source: 'veilig-thuis',
  receivedAt: new Date('2026-11-20T19:00:00Z'),
  supportDay: {
    date: '2026-11-23',
    lessonStart: new Date('2026-11-23T07:30:00Z'),
    dayEnd: new Date('2026-11-23T14:00:00Z'),
  },
});
const draft: MailDraft = {
  id: '7a2d3b0f-1e5c-8d8b-af40-6b7c8d9e0f1a',
  schoolId: testSchool.id,
  mailbox: 'hwc@testlab.example',
  messageId: 'AAMkAGI2TG93AAA=',
  source: 'police',
  receivedAt: new Date('2026-11-23T05:30:00Z'),
  expiresAt: new Date('2026-11-23T14:00:00Z'),
  reading: { name: pupil.name, reasons: ['no-birth-date', 'no-codeword'] },
  state: 'open',
  shells: [],
  version: 1,
};
const claimed = claimCase(testSchool, unclaimed, coordinatorA, new Date('2026-11-23T06:50:00Z')).case;

const everythingLeft = {
  notClaimed: true,
  procedure: 'talk-first' as const,
  talkNotRecorded: true,
  notAcknowledged: 2,
  unreachable: 1,
  parentsNotRecorded: true,
  parentsNotConfirmed: false,
};

const services = testServices([testSchool, otherSchool], {
  messenger: {
    sendCard: () => Promise.reject(new Error('unused')),
    updateCard: () => Promise.resolve(),
    deleteCard: () => Promise.resolve('deleted'),
  },
  clock: () => new Date('2026-11-22T20:00:00Z'),
});

const teacher = { id: '7b1f0d6e-8c2a-4d3b-9e4f-6a7b8c9d0e1f', name: 'Maarten Bolderdijk' };
const gymTeacher = { id: '8c2a1e7f-9d3b-4e4c-af50-7b8c9d0e1f2a', name: '' };
const at = (time: string) => new Date(`2026-11-23T${time}:00Z`);
/** The evening before the support day (Monday 23 November), and the morning of it. */
const dayBefore = new Date('2026-11-22T20:00:00Z');
const onTheDay = at('06:55');
const shell = shellContext(testSchool, unclaimed);

/** The case after the talk: two colleagues (one without a name yet), one of them has read it. */
function informing(): HwcCase {
  let c = recordTalk(
    testSchool,
    claimed,
    coordinatorA,
    {
      support: { optionIds: ['quiet-spot'], note: 'Mag even naar de gang' },
      colleagues: [teacher, gymTeacher],
      nobodyToInform: false,
      group: 'groep 6',
    },
    at('07:00'),
  ).case;
  c = recordDelivery(c, teacher.id, { sentAt: at('07:01') }).case;
  c = recordDelivery(c, gymTeacher.id, 'unreachable').case;
  return acknowledge(c, teacher.id, at('07:14')).case;
}

const headTeacher = { id: '9d3b2f80-ae4c-4f5d-b061-8c9d0e1f2a3b', name: 'Ria Vlasblom' };
const parentsByMe = () => recordParents(testSchool, informing(), coordinatorA, 'by-me', at('07:20')).case;
const parentsByTeacher = () =>
  recordParents(testSchool, informing(), coordinatorA, 'by-group-teacher', at('07:20'), teacher).case;
/** Asked of someone who was not among those told: they are added, to inform the parents only. */
const parentsByOther = () =>
  recordParents(testSchool, informing(), coordinatorA, 'by-group-teacher', at('07:20'), headTeacher).case;

const nobodyTold = recordTalk(
  testSchool,
  claimed,
  coordinatorA,
  { support: { optionIds: [], note: '' }, colleagues: [], nobodyToInform: true },
  at('07:00'),
).case;
/** The same school and case, in the municipality's procedure: the group teacher is told, no talk. */
const teacherFirstSchool = { ...testSchool, procedure: 'teacher-first' as const };
const teacherInformed = (): HwcCase => {
  const c = recordTalk(
    teacherFirstSchool,
    claimed,
    coordinatorA,
    {
      support: { optionIds: ['quiet-spot'], note: 'Mag even naar de gang' },
      colleagues: [teacher],
      nobodyToInform: false,
      group: 'groep 6',
    },
    at('07:00'),
  ).case;
  return recordDelivery(c, teacher.id, { sentAt: at('07:01') }).case;
};
const teacherAskedForParents = () =>
  recordParents(teacherFirstSchool, teacherInformed(), coordinatorA, 'by-group-teacher', at('07:20'), teacher)
    .case;
const teacherFirstShell = shellContext(teacherFirstSchool, claimed);

const ownerShell = {
  staffId: coordinatorA.id,
  role: 'coordinator' as const,
  conversationId: 'a:1',
  activityId: '1',
  serviceUrl: 'http://127.0.0.1/',
};

/** Every card the bot can produce, in both languages. */
function everyCard(): [string, AdaptiveCardJson][] {
  const cards: [string, AdaptiveCardJson][] = [];
  for (const locale of ['nl-NL', 'en-US']) {
    const t = stringsFor(locale);
    cards.push(
      [`shell with a known user (${locale})`, shellCard(shell, { teamsUserId: '29:abc', locale })],
      [`shell for a first contact (${locale})`, shellCard(shell, { locale })],
      [
        `shell of a mail to confirm (${locale})`,
        draftShellCard(testSchool, draft, { teamsUserId: '29:abc', locale }),
      ],
      [
        `shell of a mail to confirm, first contact (${locale})`,
        draftShellCard(testSchool, draft, { locale }),
      ],
      [`mail to confirm, the form (${locale})`, mailDraftFormCard(services, testSchool, draft, locale)],
      [
        `mail to confirm, the form with an error (${locale})`,
        mailDraftFormCard(
          services,
          testSchool,
          draft,
          locale,
          { schoolId: testSchool.id, pupilName: pupil.name, birthDate: '', source: 'police' },
          ['pupil.birthDate'],
        ),
      ],
      [`mail to confirm, 'geen signaal?' (${locale})`, notASignalQuestionCard(draft.id, locale)],
      [
        `shell marked as taken (${locale})`,
        shellCard(shell, { locale }, t.shell.claimedBy(coordinatorA.name)),
      ],
      [
        `view, unclaimed (${locale})`,
        coordinatorViewCard(testSchool, unclaimed, coordinatorA.id, locale, onTheDay),
      ],
      [
        `view, claimed by the viewer (${locale})`,
        coordinatorViewCard(testSchool, claimed, coordinatorA.id, locale, onTheDay),
      ],
      [
        `view, claimed by another (${locale})`,
        coordinatorViewCard(testSchool, claimed, coordinatorB.id, locale, onTheDay),
      ],
      [
        `view, talk recorded, colleagues informed (${locale})`,
        coordinatorViewCard(testSchool, informing(), coordinatorA.id, locale, onTheDay),
      ],
      [
        `view, nobody informed, parents recorded (${locale})`,
        coordinatorViewCard(
          testSchool,
          recordParents(testSchool, nobodyTold, coordinatorA, 'not-now', at('07:05')).case,
          coordinatorA.id,
          locale,
          onTheDay,
          { notes: [t.view.reminded(2)] },
        ),
      ],
      [
        `view after the pupil was absent (${locale})`,
        coordinatorViewCard(testSchool, { ...claimed, absences: 1 }, coordinatorA.id, locale, onTheDay),
      ],
      [
        `talk form with suggestions (${locale})`,
        talkFormCard(testSchool, claimed, locale, onTheDay, {
          group: 'groep 6',
          suggested: [teacher],
          staff: [teacher, { id: deputy.id, name: deputy.name }],
        }),
      ],
      [
        `talk form without a directory, with an error (${locale})`,
        talkFormCard(testSchool, claimed, locale, onTheDay, {
          suggested: [],
          staff: [],
          error: t.talk.errors.choose,
          values: { nobody: 'true', note: 'x' },
        }),
      ],
      [
        `colleague view, not yet read (${locale})`,
        colleagueViewCard(
          testSchool,
          informing(),
          { ...informing().colleagues[0]!, acknowledgedAt: undefined },
          locale,
          onTheDay,
        ),
      ],
      [
        `colleague view, read (${locale})`,
        colleagueViewCard(testSchool, informing(), informing().colleagues[0]!, locale, onTheDay),
      ],
      [`shell of a colleague (${locale})`, shellCard(shell, { locale }, '', 'colleague')],
      [
        `shell of the owner with progress (${locale})`,
        coordinatorShellCard(testSchool, informing(), { ...ownerShell, locale }),
      ],
      [
        `shell, reminder to a colleague (${locale})`,
        shellCard(shell, { locale }, t.shell.colleagueReminder, 'colleague'),
      ],
      [`shell, escalation to a deputy (${locale})`, shellCard(shell, { locale }, t.shell.deputyEscalation)],
      [`completed notice (${locale})`, noticeCard('completed', locale, { unreachable: 1 })],
      ...(
        [
          'notOurPupil',
          'closedEarly',
          'expired',
          'ended',
          'parentsDoneAndClosed',
          'tryAgain',
          'unknown',
        ] as const
      ).map((kind): [string, AdaptiveCardJson] => [`${kind} notice (${locale})`, noticeCard(kind, locale)]),
      [`confirm 'not our pupil' (${locale})`, confirmCard('notOurPupil', testSchool, claimed, locale)],
      [`confirm 'pupil absent' (${locale})`, confirmCard('pupilAbsent', testSchool, claimed, locale)],
      [
        `confirm 'pupil absent', the last time (${locale})`,
        confirmCard('pupilAbsent', testSchool, { ...claimed, absences: 2 }, locale),
      ],
      [
        `view, waiting for the owner to inform the parents (${locale})`,
        coordinatorViewCard(testSchool, parentsByMe(), coordinatorA.id, locale, onTheDay),
      ],
      [
        `view, waiting for a colleague to inform the parents (${locale})`,
        coordinatorViewCard(testSchool, parentsByOther(), coordinatorA.id, locale, onTheDay),
      ],
      [
        `colleague view, asked to inform the parents (${locale})`,
        colleagueViewCard(
          testSchool,
          parentsByTeacher(),
          parentsByTeacher().colleagues[0]!,
          locale,
          onTheDay,
        ),
      ],
      [
        `colleague view, asked only to inform the parents (${locale})`,
        colleagueViewCard(testSchool, parentsByOther(), parentsByOther().colleagues[2]!, locale, onTheDay),
      ],
      [
        `shell, asked to inform the parents (${locale})`,
        shellCard(shell, { locale }, t.shell.parentsAsked, 'colleague'),
      ],
      [`shell, parents reminder (${locale})`, shellCard(shell, { locale }, t.shell.parentsReminder)],
      [
        `teacher first: view, unclaimed (${locale})`,
        coordinatorViewCard(teacherFirstSchool, unclaimed, coordinatorA.id, locale, onTheDay),
      ],
      [
        `teacher first: view, claimed by the viewer (${locale})`,
        coordinatorViewCard(teacherFirstSchool, claimed, coordinatorA.id, locale, onTheDay),
      ],
      [
        `teacher first: the form to inform the group teacher (${locale})`,
        talkFormCard(teacherFirstSchool, claimed, locale, onTheDay, {
          group: 'groep 6',
          suggested: [teacher],
          staff: [teacher, { id: deputy.id, name: deputy.name }],
        }),
      ],
      [
        `teacher first: view, group teacher informed (${locale})`,
        coordinatorViewCard(teacherFirstSchool, teacherInformed(), coordinatorA.id, locale, onTheDay),
      ],
      [
        `teacher first: the group teacher's view (${locale})`,
        colleagueViewCard(
          teacherFirstSchool,
          teacherInformed(),
          teacherInformed().colleagues[0]!,
          locale,
          onTheDay,
        ),
      ],
      [
        `teacher first: the group teacher's view, asked to inform the parents (${locale})`,
        colleagueViewCard(
          teacherFirstSchool,
          teacherAskedForParents(),
          teacherAskedForParents().colleagues[0]!,
          locale,
          onTheDay,
        ),
      ],
      [
        `teacher first: the group teacher confirms 'pupil absent' (${locale})`,
        confirmCard('pupilAbsent', teacherFirstSchool, teacherInformed(), locale, 'colleague'),
      ],
      [
        `teacher first: shell of the group teacher (${locale})`,
        shellCard(teacherFirstShell, { locale }, '', 'colleague'),
      ],
      [
        `teacher first: escalation to a deputy (${locale})`,
        shellCard(teacherFirstShell, { locale }, t.teacherFirst.deputyEscalation),
      ],
      [
        `teacher first: expiry notice (${locale})`,
        expiryNoticeCard(
          teacherFirstSchool,
          claimed.supportDay.lessonStart,
          { ...everythingLeft, notClaimed: false, procedure: 'teacher-first' },
          locale,
        ),
      ],
      [`pupil absent notice (${locale})`, noticeCard('pupilAbsent', locale)],
      [`acknowledged and closed notice (${locale})`, noticeCard('acknowledgedAndClosed', locale)],
      [`closed notice (${locale})`, noticeCard('closed', locale)],
      [`not available notice (${locale})`, noticeCard('notAvailable', locale)],
      [`completed and deleted view (${locale})`, noticeCard('deleted', locale)],
      [
        `expiry notice (${locale})`,
        expiryNoticeCard(testSchool, claimed.supportDay.lessonStart, everythingLeft, locale),
      ],
      [
        `intake form, one school (${locale})`,
        intakeFormCard(services, [testSchool], locale, services.newId()),
      ],
      [
        `intake form, two schools (${locale})`,
        intakeFormCard(services, [testSchool, otherSchool], locale, services.newId()),
      ],
      [
        `intake form with errors (${locale})`,
        intakeFormCard(
          services,
          [testSchool],
          locale,
          services.newId(),
          { schoolId: testSchool.id, pupilName: '', birthDate: '2030-01-01', source: 'police' },
          ['pupil.name', 'pupil.birthDate'],
        ),
      ],
      [
        `intake sent (${locale})`,
        renderCard('notice', { title: t.intake.sentTitle, body: t.intake.sentBody(2, testSchool.name) }),
      ],
      [
        `intake undelivered (${locale})`,
        renderCard('notice', { title: t.intake.undeliveredTitle, body: t.intake.undeliveredBody }),
      ],
      [
        `intake not allowed (${locale})`,
        renderCard('notice', { title: t.notAvailable.title, body: t.intake.notAllowed }),
      ],
    );
  }
  return cards;
}

function actionVerbs(card: AdaptiveCardJson): string[] {
  return [...JSON.stringify(card).matchAll(/"verb":"([a-z.-]+)"/g)].map((m) => m[1] ?? '');
}

/** Every card twice, once per renderer, with the same form ids both times. */
function everyCardWith(library: boolean): [string, AdaptiveCardJson][] {
  const newId = services.newId;
  let n = 0;
  services.newId = () => `form-${++n}`;
  renderWithTemplatingLibrary(library);
  try {
    return everyCard();
  } finally {
    renderWithTemplatingLibrary(false);
    services.newId = newId;
  }
}

describe('the compiled card templates', () => {
  it('render every card exactly as adaptivecards-templating does, in both languages', () => {
    const compiled = everyCardWith(false);
    const library = everyCardWith(true);
    assert.equal(compiled.length, library.length, 'the same cards');
    assert.ok(compiled.length >= 80, `only ${compiled.length} cards compared`);
    for (const [i, [name, card]] of compiled.entries()) {
      assert.equal(library[i]?.[0], name, 'the same card in the same place');
      assert.deepEqual(card, library[i]?.[1], `the ${name} card differs from the library's`);
    }
  });
});

describe('the cards', () => {
  for (const [name, card] of everyCard()) {
    it(`the ${name} card is a valid Adaptive Card 1.5`, () => {
      assert.deepEqual(cardProblems(card), []);
    });
  }

  it('the validator itself catches a broken card', () => {
    assert.notDeepEqual(
      cardProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'Nonsense' }] }),
      [],
    );
  });

  it('every action carries only an opaque id (and a verb, a day or a round), never content', () => {
    for (const [name, card] of everyCard()) {
      for (const data of actionData(card)) {
        const extra = Object.keys(data).filter(
          (k) => !['caseId', 'draftId', 'verb', 'formId', 'forDay', 'round', 'confirmed'].includes(k),
        );
        assert.deepEqual(extra, [], `${name}: action data has ${extra.join(', ')}`);
      }
    }
  });

  it('a shell names no pupil: no name, no date of birth, nothing agreed', () => {
    const shells = everyCard().filter(([n]) => n.startsWith('shell'));
    assert.ok(shells.length >= 8);
    for (const [name, card] of shells) {
      assertNoPupilData(JSON.stringify(card), name);
      assert.ok(!JSON.stringify(card).includes('gang'), `${name} shows what was agreed`);
    }
  });

  it('the expiry notice names no pupil and lists what was left as counts', () => {
    const text = JSON.stringify(
      expiryNoticeCard(testSchool, claimed.supportDay.lessonStart, everythingLeft, 'nl-NL'),
    );
    assertNoPupilData(text, 'the expiry notice');
    for (const expected of [
      'Niemand had het signaal opgepakt.',
      '2 collega’s hadden de mededeling niet gelezen.',
      '1 collega was niet via Teams te bereiken.',
      'De stap naar de ouders was niet vastgelegd.',
    ])
      assert.ok(text.includes(expected), expected);
    assert.ok(!text.includes('caseId') && !text.includes(claimed.id), 'no case id, no action');
    const none = JSON.stringify(
      expiryNoticeCard(
        testSchool,
        claimed.supportDay.lessonStart,
        { ...everythingLeft, notClaimed: false, notAcknowledged: 0 },
        'en',
      ),
    );
    assert.ok(!none.includes('taken the signal on') && !none.includes('not read'));
  });

  it("the owner's shell shows progress as neutral counts", () => {
    const text = JSON.stringify(coordinatorShellCard(testSchool, informing(), ownerShell));
    assert.ok(text.includes('1 van 1 gelezen'), text);
  });

  it('the coordinator sees per colleague when they read it, and who could not be reached', () => {
    const text = JSON.stringify(
      coordinatorViewCard(testSchool, informing(), coordinatorA.id, 'nl-NL', onTheDay),
    );
    assert.ok(text.includes('Maarten Bolderdijk'));
    assert.ok(text.includes('gelezen om 08:14'));
    assert.ok(text.includes('niet bereikbaar via Teams'));
  });

  it('a coordinator who does not own the case sees who does, not what was agreed', () => {
    const text = JSON.stringify(
      coordinatorViewCard(testSchool, informing(), coordinatorB.id, 'nl-NL', onTheDay),
    );
    assert.ok(text.includes('Opgepakt door Wilma Ravenstein'));
    assert.ok(!text.includes('gang'));
    assert.ok(!text.includes('Maarten Bolderdijk'));
  });

  it("the colleague's view says what was agreed, whom to ask and not to pass it on", () => {
    const c = informing();
    const text = JSON.stringify(colleagueViewCard(testSchool, c, c.colleagues[0]!, 'nl-NL', onTheDay));
    for (const expected of [
      pupil.name,
      'groep 6',
      'Een rustige plek',
      'Mag even naar de gang',
      'Wilma Ravenstein',
      'Vertel dit niet verder',
    ]) {
      assert.ok(text.includes(expected), expected);
    }
    assert.ok(
      !text.includes(pupil.birthDate) && !text.includes('12-04-2016'),
      'a colleague needs no date of birth',
    );
  });

  it('the talk form offers the people picker, with the staff list as static choices', () => {
    const card = talkFormCard(testSchool, claimed, 'nl-NL', onTheDay, {
      suggested: [teacher],
      staff: [teacher, deputy],
    });
    const text = JSON.stringify(card);
    assert.ok(text.includes('"dataset":"graph.microsoft.com/users"'));
    assert.ok(text.includes(deputy.id));
    // A suggested teacher is listed once, first, not again among the others.
    assert.equal(text.split(teacher.id).length - 1, 1);
  });

  it('the view shows the pupil, the date of birth and the deadline before lessons', () => {
    const text = JSON.stringify(
      coordinatorViewCard(testSchool, unclaimed, coordinatorA.id, 'nl-NL', dayBefore),
    );
    assert.ok(text.includes(pupil.name), 'the name');
    assert.ok(text.includes('12-04-2016'), 'the date of birth');
    assert.ok(text.includes('Vóór de lessen op maandag 23 november, om 08:30'), 'the deadline');
    assert.ok(text.includes('Veilig Thuis'), 'the source');
  });

  it("the view's first and most prominent line is the deadline", () => {
    for (const [now, expected] of [
      [dayBefore, 'Vóór de lessen op maandag 23 november, om 08:30'],
      [onTheDay, 'Vandaag vóór de lessen, om 08:30'],
    ] as const) {
      const body = coordinatorViewCard(testSchool, claimed, coordinatorA.id, 'nl-NL', now).body as {
        text?: string;
        size?: string;
      }[];
      assert.equal(body[0]?.text, expected, 'the first line');
      assert.equal(body[0]?.size, 'Large', 'the largest text on the card');
    }
  });

  it("a day that is not today is named, never called 'vandaag'", () => {
    const before = JSON.stringify(
      coordinatorViewCard(testSchool, claimed, coordinatorA.id, 'nl-NL', dayBefore),
    );
    assert.ok(!before.includes('vandaag nodig'), 'the next step of Sunday evening');
    assert.ok(before.includes('op maandag 23 november'), 'the next step names the day');
    assert.ok(before.includes('Aan het eind van maandag 23 november is het verwijderd'), 'the privacy line');
    assert.ok(!before.includes('steundag'), 'no jargon');
    const onDay = JSON.stringify(
      coordinatorViewCard(testSchool, claimed, coordinatorA.id, 'nl-NL', onTheDay),
    );
    assert.ok(onDay.includes('vandaag nodig'), 'on the day itself it is today');

    const form = JSON.stringify(
      talkFormCard(testSchool, claimed, 'nl-NL', dayBefore, { suggested: [teacher], staff: [] }),
    );
    assert.ok(form.includes('Wat heeft de leerling op maandag 23 november nodig?'), 'the talk form');
    const c = informing();
    const colleague = (now: Date) =>
      (colleagueViewCard(testSchool, c, c.colleagues[0]!, 'nl-NL', now).body as { text?: string }[])[0]?.text;
    assert.equal(colleague(dayBefore), 'Handle with Care: maandag 23 november');
    assert.equal(colleague(onTheDay), 'Handle with Care: vandaag');
  });

  it("'Leerling is er vandaag niet' is offered on the support day only", () => {
    const verbs = (now: Date) =>
      actionVerbs(coordinatorViewCard(testSchool, claimed, coordinatorA.id, 'nl-NL', now));
    assert.ok(!verbs(dayBefore).includes('case.pupil-absent'), 'not the evening before');
    assert.ok(verbs(onTheDay).includes('case.pupil-absent'), 'on the day');
  });

  it('the shell gives the deadline and when it came in, as its title and summary, never the pupil', () => {
    const card = shellCard(shell, { locale: 'nl-NL' });
    assert.equal(
      card.fallbackText,
      'Handle with Care: vóór de lessen op maandag 23 november (ontvangen 20:00)',
    );
    const text = JSON.stringify(card);
    assert.ok(text.includes('Handle with Care: vóór de lessen op maandag 23 november'), 'the title');
    assert.ok(text.includes('Ontvangen op vrijdag 20 november, 20:00'), 'when it came in');
    assertNoPupilData(text, 'the shell');
    const later = shellCard(
      shellContext(testSchool, { ...unclaimed, receivedAt: new Date('2026-11-20T21:12:00Z') }),
      {
        locale: 'nl-NL',
      },
    );
    assert.notEqual(later.fallbackText, card.fallbackText, 'two signals of one evening differ unopened');
  });

  it('the parents question, left open, says what is missing instead of repeating itself', () => {
    const card = coordinatorViewCard(testSchool, informing(), coordinatorA.id, 'nl-NL', onTheDay);
    const input = (card.body as { id?: string; errorMessage?: string; label?: string }[]).find(
      (e) => e.id === 'parents',
    );
    assert.equal(input?.errorMessage, 'Kies wie de ouders informeert, of ‘Nu niet’.');
    assert.notEqual(input?.errorMessage, input?.label, 'not the question again');
  });

  it('without suggestions the talk form says why, and that the coordinator picks the colleagues', () => {
    const withRoster = {
      ...testSchool,
      directory: { type: 'roster-csv' as const, pupils: 'p.csv', staff: 's.csv' },
    };
    const notFound = JSON.stringify(
      talkFormCard(withRoster, claimed, 'nl-NL', onTheDay, { suggested: [], staff: [] }),
    );
    assert.ok(notFound.includes('de groep is niet gevonden'), 'the pupil is not in the roster');
    assert.ok(notFound.includes('Kies zelf de collega’s'), 'the choice is the coordinator’s');
    const noRoster = JSON.stringify(
      talkFormCard(testSchool, claimed, 'nl-NL', onTheDay, { suggested: [], staff: [] }),
    );
    assert.ok(noRoster.includes('geen leerlingadministratie gekoppeld'), 'no roster at all');
  });

  it('the colleague who informs the parents is told so on their card, with a button to say it is done', () => {
    const c = parentsByTeacher();
    const card = colleagueViewCard(testSchool, c, c.colleagues[0]!, 'nl-NL', onTheDay);
    assert.ok(JSON.stringify(card).includes('vraagt jou de ouders te informeren'), 'it says it is their job');
    assert.ok(actionVerbs(card).includes('colleague.parents-done'), "'Ouders geïnformeerd'");
    const other = colleagueViewCard(
      testSchool,
      c,
      { ...c.colleagues[0]!, staff: gymTeacher },
      'nl-NL',
      onTheDay,
    );
    assert.ok(!actionVerbs(other).includes('colleague.parents-done'), 'not on anyone else’s card');
  });

  it('one asked only to inform the parents sees nothing of what was agreed', () => {
    const c = parentsByOther();
    const asked = c.colleagues.find((p) => p.staff.id === headTeacher.id)!;
    assert.equal(asked.parentsOnly, true);
    const text = JSON.stringify(colleagueViewCard(testSchool, c, asked, 'nl-NL', onTheDay));
    assert.ok(!text.includes('gang') && !text.includes('Een rustige plek'), 'nothing agreed');
    assert.ok(text.includes('vraagt jou de ouders te informeren'), 'only the parents step');
    assert.ok(!text.includes('colleague.acknowledge'), "no 'Gelezen' to wait for");
  });

  it('a shell refreshes automatically for its addressee, and only asks for a refresh by id when known', () => {
    const known = shellCard(shell, { teamsUserId: '29:abc' }) as { refresh?: { userIds?: string[] } };
    const firstContact = shellCard(shell, {}) as { refresh?: { userIds?: string[] } };
    assert.deepEqual(known.refresh?.userIds, ['29:abc']);
    assert.equal(firstContact.refresh?.userIds, undefined);
  });

  it('the intake form posts through Action.Execute only, never a Submit that travels as a message', () => {
    const text = JSON.stringify(intakeFormCard(services, [testSchool], 'nl-NL', services.newId()));
    assert.ok(text.includes('Action.Execute'));
    assert.ok(!text.includes('Action.Submit'));
  });

  it('speaks Dutch unless the Teams locale is English', () => {
    assert.ok(JSON.stringify(shellCard(shell, { locale: 'fr-FR' })).includes('Bekijk'));
    assert.ok(JSON.stringify(shellCard(shell, { locale: 'en-GB' })).includes('"View"'));
  });
});

describe('the cards of the teacher-first procedure', () => {
  // What the talk-first cards say of the talk; 'niet met de leerling afgesproken' is allowed.
  const talkWords =
    /met de leerling gesproken|met de leerling besproken|Gesprek gevoerd|"Afgesproken"|Niets bijzonders afgesproken|talked with the pupil|talked it through|discussed it with the pupil|Talk held|"Agreed"|Nothing special agreed/;
  const textOf = (card: AdaptiveCardJson) => JSON.stringify(card);

  it('offer the coordinator to inform the group teacher, with no talk first', () => {
    const view = textOf(coordinatorViewCard(teacherFirstSchool, claimed, coordinatorA.id, 'nl-NL', onTheDay));
    assert.match(view, /Groepsleerkracht informeren/, 'the first step is informing the teacher');
    assert.match(view, /Informeer zo snel mogelijk de groepsleerkracht/);
    assert.doesNotMatch(view, /Gesprek gevoerd/, 'no talk is offered as the step');
    const unclaimedView = textOf(
      coordinatorViewCard(teacherFirstSchool, unclaimed, coordinatorA.id, 'nl-NL', onTheDay),
    );
    assert.match(unclaimedView, /als jij de groepsleerkracht van de leerling informeert/);
  });

  it('label the support as suggestions, and offer no "Niemand"', () => {
    const form = textOf(
      talkFormCard(teacherFirstSchool, claimed, 'nl-NL', onTheDay, {
        group: 'groep 6',
        suggested: [teacher],
        staff: [],
      }),
    );
    assert.match(
      form,
      /Suggesties voor vandaag \(niet met de leerling afgesproken; de groepsleerkracht beslist\)/,
    );
    assert.match(form, /"title":"Informeren"/, 'the submit says what happens');
    assert.doesNotMatch(form, /"id":"nobody"/, "'Niemand' is not a step of this procedure");
    assert.match(form, /Groepsleerkracht van groep 6/, 'the group teacher is suggested first');
  });

  it("tell the group teacher who received the signal, that they are asked to be there, and the seed's guidance", () => {
    const c = teacherInformed();
    const card = colleagueViewCard(teacherFirstSchool, c, c.colleagues[0]!, 'nl-NL', onTheDay);
    const text = textOf(card);
    assert.match(
      text,
      /Wilma Ravenstein heeft een Handle with Care-signaal over deze leerling ontvangen en vraagt jou om er vandaag voor de leerling te zijn/,
    );
    assert.match(text, /Suggesties van Wilma Ravenstein/, 'suggestions, not agreements');
    for (const guidance of [
      /Laat de leerling merken dat je er/,
      /vraag niet naar thuis/,
      /toets/,
      /rustig plekje/,
    ]) {
      assert.match(text, guidance);
    }
    assert.ok(actionVerbs(card).includes('colleague.acknowledge'), "it has 'Gelezen'");
    assert.ok(
      actionVerbs(card).includes('colleague.pupil-absent'),
      'the teacher may say the pupil is not at school, on the day',
    );
  });

  it('never say a talk took place, in Dutch or English', () => {
    const talkFirst = informing();
    for (const locale of ['nl-NL', 'en-US']) {
      const card = colleagueViewCard(testSchool, talkFirst, talkFirst.colleagues[0]!, locale, onTheDay);
      assert.match(textOf(card), talkWords, `the check finds the talk on a talk-first card (${locale})`);
    }
    for (const [name, card] of everyCard().filter(([n]) => n.startsWith('teacher first'))) {
      assert.doesNotMatch(textOf(card), talkWords, `${name} speaks of a talk`);
    }
  });

  it("offer the group teacher 'pupil absent' only on the support day, and no longer once the parents step is chosen", () => {
    const verbs = (c: HwcCase, now: Date) =>
      actionVerbs(colleagueViewCard(teacherFirstSchool, c, c.colleagues[0]!, 'nl-NL', now));
    assert.ok(
      !verbs(teacherInformed(), dayBefore).includes('colleague.pupil-absent'),
      'not the evening before',
    );
    assert.ok(verbs(teacherInformed(), onTheDay).includes('colleague.pupil-absent'), 'on the day');
    assert.ok(
      !verbs(teacherAskedForParents(), onTheDay).includes('colleague.pupil-absent'),
      'not after the parents step',
    );
    const talkFirst = informing();
    assert.ok(
      !actionVerbs(
        colleagueViewCard(testSchool, talkFirst, talkFirst.colleagues[0]!, 'nl-NL', onTheDay),
      ).includes('colleague.pupil-absent'),
      'in talk first the colleague has no such button',
    );
  });

  it("name the procedure's own step in the escalation and the expiry notice", () => {
    const deputyShell = textOf(
      shellCard(teacherFirstShell, { locale: 'nl-NL' }, stringsFor('nl').teacherFirst.deputyEscalation),
    );
    assert.match(deputyShell, /als jij de groepsleerkracht vóór de lessen kunt informeren/);
    const notice = textOf(
      expiryNoticeCard(
        teacherFirstSchool,
        claimed.supportDay.lessonStart,
        { ...everythingLeft, notClaimed: false, procedure: 'teacher-first' },
        'nl-NL',
      ),
    );
    assert.match(notice, /De groepsleerkracht was niet geïnformeerd/);
    assert.doesNotMatch(notice, /gesprek/i);
  });
});
