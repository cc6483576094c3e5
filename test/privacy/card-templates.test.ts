import assert from 'node:assert/strict';
import { colleagueViewCard, confirmCard, coordinatorViewCard, talkFormCard } from '../../src/app/case-cards';
import { preloadCardTemplates } from '../../src/cards/render-card';
import {
  acknowledge,
  claimCase,
  openCase,
  recordDelivery,
  recordTalk,
  type HwcCase,
} from '../../src/domain/case';
import { coordinatorA, testSchool } from '../support/fixtures';
import {
  inventSecretPupil,
  pickSecretAbsentFromHeap,
  scanHeap,
  traceFormats,
  type SecretPupil,
  type Trace,
} from '../support/leak-scan';

// A rendered card kept on purpose, like a forgotten cache: proves the scan would see one.
const planted: unknown[] = [];

const teacher = { id: '7b1f0d6e-8c2a-4d3b-9e4f-6a7b8c9d0e1f', name: 'Maarten Bolderdijk' };
const at = (time: string) => new Date(`2026-11-23T${time}:00Z`);

function informedCase(secret: SecretPupil): HwcCase {
  const opened = openCase({
    id: '6f1c2a9e-0d4b-4c7a-9e3f-5a6b7c8d9e0f',
    schoolId: testSchool.id,
    pupil: JSON.parse(JSON.stringify(secret.reveal())) as { name: string; birthDate: string },
    source: 'police',
    receivedAt: new Date('2026-11-20T19:00:00Z'),
    supportDay: { date: '2026-11-23', lessonStart: at('07:30'), dayEnd: at('14:00') },
  });
  const claimed = claimCase(testSchool, opened, coordinatorA, at('06:50')).case;
  let c = recordTalk(
    testSchool,
    claimed,
    coordinatorA,
    {
      support: { optionIds: ['quiet-spot'], note: '' },
      colleagues: [teacher],
      nobodyToInform: false,
      group: 'groep 6',
    },
    at('07:00'),
  ).case;
  c = recordDelivery(c, teacher.id, { sentAt: at('07:01') }).case;
  return acknowledge(c, teacher.id, at('07:14')).case;
}

/** Renders every card that shows the pupil; returns only whether they did, never the cards. */
function renderEveryPupilCard(secret: SecretPupil): boolean {
  const c = informedCase(secret);
  const name = c.pupil.name;
  const cards = [
    coordinatorViewCard(testSchool, c, coordinatorA.id, 'nl-NL', at('07:20')),
    colleagueViewCard(testSchool, c, c.colleagues[0]!, 'nl-NL', at('07:20')),
    talkFormCard(testSchool, c, 'nl-NL', at('07:20'), { suggested: [teacher], staff: [] }),
    confirmCard('notOurPupil', testSchool, c, 'nl-NL'),
  ];
  return cards.every((card) => JSON.stringify(card).includes(name));
}

function plantCard(secret: SecretPupil): void {
  planted.push(coordinatorViewCard(testSchool, informedCase(secret), coordinatorA.id, 'nl-NL', at('07:20')));
}

describe('privacy: the compiled card templates keep nothing of a render', function () {
  this.timeout(120_000);
  let rendered: SecretPupil;
  const kept = inventSecretPupil();
  let found: string[] = [];

  function tracesOf(cases: Record<string, SecretPupil>): () => Trace[] {
    return () =>
      Object.entries(cases).flatMap(([name, secret]) =>
        traceFormats(secret.reveal()).map((t) => ({ label: `${name}: ${t.label}`, text: t.text })),
      );
  }

  before(async () => {
    preloadCardTemplates();
    rendered = await pickSecretAbsentFromHeap({ today: at('07:20') });
    plantCard(kept);
    // The last render of each of these templates, before the snapshot, is of this pupil.
    assert.ok(renderEveryPupilCard(rendered), 'the cards did not show the pupil: nothing to look for');
    found = await scanHeap(tracesOf({ rendered, kept }));
  });

  after(() => {
    planted.length = 0;
  });

  it('finds a rendered view that is still referenced (the check can see one)', () => {
    assert.ok(found.includes('kept: name'), 'the heap check missed a card kept on purpose');
  });

  it('finds nothing of the last view, form or confirmation rendered, once the cards are dropped', () => {
    const left = found.filter((label) => label.startsWith('rendered: '));
    assert.deepEqual(left, [], `the heap holds the rendered pupil's ${left.join(', ')}`);
  });
});
