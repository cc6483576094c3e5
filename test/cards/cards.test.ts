import assert from 'node:assert/strict';
import {
  colleagueViewCard,
  coordinatorShellCard,
  coordinatorViewCard,
  noticeCard,
  expiryNoticeCard,
  shellCard,
  talkFormCard,
} from '../../src/app/case-cards';
import { intakeFormCard } from '../../src/app/teams-intake';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { renderCard } from '../../src/cards/render-card';
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
const claimed = claimCase(testSchool, unclaimed, coordinatorA, new Date('2026-11-23T06:50:00Z')).case;

const everythingLeft = {
  notClaimed: true,
  talkNotRecorded: true,
  notAcknowledged: 2,
  unreachable: 1,
  parentsNotRecorded: true,
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

const nobodyTold = recordTalk(
  testSchool,
  claimed,
  coordinatorA,
  { support: { optionIds: [], note: '' }, colleagues: [], nobodyToInform: true },
  at('07:00'),
).case;
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
      [`shell with a known user (${locale})`, shellCard(caseId, { teamsUserId: '29:abc', locale })],
      [`shell for a first contact (${locale})`, shellCard(caseId, { locale })],
      [
        `shell marked as taken (${locale})`,
        shellCard(caseId, { locale }, t.shell.claimedBy(coordinatorA.name)),
      ],
      [`view, unclaimed (${locale})`, coordinatorViewCard(testSchool, unclaimed, coordinatorA.id, locale)],
      [
        `view, claimed by the viewer (${locale})`,
        coordinatorViewCard(testSchool, claimed, coordinatorA.id, locale),
      ],
      [
        `view, claimed by another (${locale})`,
        coordinatorViewCard(testSchool, claimed, coordinatorB.id, locale),
      ],
      [
        `view, talk recorded, colleagues informed (${locale})`,
        coordinatorViewCard(testSchool, informing(), coordinatorA.id, locale),
      ],
      [
        `view, nobody informed, parents recorded (${locale})`,
        coordinatorViewCard(
          testSchool,
          recordParents(testSchool, nobodyTold, coordinatorA, 'not-now', at('07:05')).case,
          coordinatorA.id,
          locale,
          [t.view.reminded(2)],
        ),
      ],
      [
        `view after the pupil was absent (${locale})`,
        coordinatorViewCard(testSchool, { ...claimed, absences: 1 }, coordinatorA.id, locale),
      ],
      [
        `talk form with suggestions (${locale})`,
        talkFormCard(testSchool, claimed, locale, {
          group: 'groep 6',
          suggested: [teacher],
          staff: [teacher, { id: deputy.id, name: deputy.name }],
        }),
      ],
      [
        `talk form without a directory, with an error (${locale})`,
        talkFormCard(testSchool, claimed, locale, {
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
        ),
      ],
      [
        `colleague view, read (${locale})`,
        colleagueViewCard(testSchool, informing(), informing().colleagues[0]!, locale),
      ],
      [`shell of a colleague (${locale})`, shellCard(caseId, { locale }, '', 'colleague')],
      [
        `shell of the owner with progress (${locale})`,
        coordinatorShellCard(testSchool, informing(), { ...ownerShell, locale }),
      ],
      [
        `shell, reminder to a colleague (${locale})`,
        shellCard(caseId, { locale }, t.shell.colleagueReminder, 'colleague'),
      ],
      [`shell, escalation to a deputy (${locale})`, shellCard(caseId, { locale }, t.shell.deputyEscalation)],
      [`completed notice (${locale})`, noticeCard('completed', locale, { unreachable: 1 })],
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
          (k) => !['caseId', 'verb', 'formId', 'forDay', 'round'].includes(k),
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
    const text = JSON.stringify(coordinatorViewCard(testSchool, informing(), coordinatorA.id, 'nl-NL'));
    assert.ok(text.includes('Maarten Bolderdijk'));
    assert.ok(text.includes('gelezen om 08:14'));
    assert.ok(text.includes('niet bereikbaar via Teams'));
  });

  it('a coordinator who does not own the case sees who does, not what was agreed', () => {
    const text = JSON.stringify(coordinatorViewCard(testSchool, informing(), coordinatorB.id, 'nl-NL'));
    assert.ok(text.includes('Opgepakt door Wilma Ravenstein'));
    assert.ok(!text.includes('gang'));
    assert.ok(!text.includes('Maarten Bolderdijk'));
  });

  it("the colleague's view says what was agreed, whom to ask and not to pass it on", () => {
    const c = informing();
    const text = JSON.stringify(colleagueViewCard(testSchool, c, c.colleagues[0]!, 'nl-NL'));
    for (const expected of [
      pupil.name,
      'groep 6',
      'Een rustige plek',
      'Mag even naar de gang',
      'Wilma Ravenstein',
      'Vertel dit aan niemand door',
    ]) {
      assert.ok(text.includes(expected), expected);
    }
    assert.ok(
      !text.includes(pupil.birthDate) && !text.includes('12-04-2016'),
      'a colleague needs no date of birth',
    );
  });

  it('the talk form offers the people picker, with the staff list as static choices', () => {
    const card = talkFormCard(testSchool, claimed, 'nl-NL', {
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
    const text = JSON.stringify(coordinatorViewCard(testSchool, unclaimed, coordinatorA.id, 'nl-NL'));
    assert.ok(text.includes(pupil.name));
    assert.ok(text.includes('12-04-2016'));
    assert.ok(text.includes('vóór de lessen op maandag 23 november, 08:30'));
    assert.ok(text.includes('Veilig Thuis'));
  });

  it('a shell refreshes automatically for its addressee, and only asks for a refresh by id when known', () => {
    const known = shellCard(caseId, { teamsUserId: '29:abc' }) as { refresh?: { userIds?: string[] } };
    const firstContact = shellCard(caseId, {}) as { refresh?: { userIds?: string[] } };
    assert.deepEqual(known.refresh?.userIds, ['29:abc']);
    assert.equal(firstContact.refresh?.userIds, undefined);
  });

  it('the intake form posts through Action.Execute only, never a Submit that travels as a message', () => {
    const text = JSON.stringify(intakeFormCard(services, [testSchool], 'nl-NL', services.newId()));
    assert.ok(text.includes('Action.Execute'));
    assert.ok(!text.includes('Action.Submit'));
  });

  it('speaks Dutch unless the Teams locale is English', () => {
    assert.ok(JSON.stringify(shellCard(caseId, { locale: 'fr-FR' })).includes('Bekijk'));
    assert.ok(JSON.stringify(shellCard(caseId, { locale: 'en-GB' })).includes('"View"'));
  });
});
