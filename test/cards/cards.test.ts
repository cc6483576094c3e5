import assert from 'node:assert/strict';
import { coordinatorViewCard, noticeCard, shellCard } from '../../src/app/case-cards';
import { schoolRegistry, type Services } from '../../src/app/ports';
import { intakeFormCard } from '../../src/app/teams-intake';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { renderCard } from '../../src/cards/render-card';
import { claimCase, openCase } from '../../src/domain/case';
import { stringsFor } from '../../src/i18n/strings';
import { InMemoryCaseStore } from '../../src/store/in-memory-case-store';
import { actionData, cardProblems } from '../support/card-validator';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  otherSchool,
  pupil,
  testSchool,
} from '../support/fixtures';

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

const services = {
  schools: schoolRegistry([testSchool, otherSchool]),
  store: new InMemoryCaseStore(),
  messenger: { sendCard: () => Promise.reject(new Error('unused')), updateCard: () => Promise.resolve() },
  clock: () => new Date('2026-11-22T20:00:00Z'),
  newId: () => '00000000-0000-4000-8000-000000000000',
} satisfies Services;

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
      [`closed notice (${locale})`, noticeCard('closed', locale)],
      [`not available notice (${locale})`, noticeCard('notAvailable', locale)],
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

  it('every action carries only an opaque id (and a verb for the fallback), never content', () => {
    for (const [name, card] of everyCard()) {
      for (const data of actionData(card)) {
        const extra = Object.keys(data).filter((k) => !['caseId', 'verb', 'formId'].includes(k));
        assert.deepEqual(extra, [], `${name}: action data has ${extra.join(', ')}`);
      }
    }
  });

  it('a shell names no pupil: no name, no date of birth', () => {
    for (const [name, card] of everyCard().filter(([n]) => n.startsWith('shell'))) {
      assertNoPupilData(JSON.stringify(card), name);
    }
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
