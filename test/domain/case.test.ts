import assert from 'node:assert/strict';
import { claimCase, closeAsNotOurPupil, openCase, type HwcCase } from '../../src/domain/case';
import { HwcError } from '../../src/domain/errors';
import {
  coordinatorA,
  coordinatorB,
  deputy,
  intakeUser,
  otherSchool,
  outsider,
  pupil,
  testSchool,
} from '../support/fixtures';

const now = new Date('2026-11-23T06:45:00Z');

function freshCase(): HwcCase {
  return openCase({
    id: '6f1c2a9e-0d4b-4c7a-9e3f-5a6b7c8d9e0f',
    schoolId: testSchool.id,
    pupil,
    source: 'police',
    receivedAt: new Date('2026-11-22T21:10:00Z'),
    supportDay: {
      date: '2026-11-23',
      lessonStart: new Date('2026-11-23T07:30:00Z'),
      dayEnd: new Date('2026-11-23T14:00:00Z'),
    },
  });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof HwcError) return error.code;
    throw error;
  }
  return undefined;
}

describe('a case', () => {
  it('starts as received, unclaimed, at version 1', () => {
    const c = freshCase();
    assert.equal(c.state, 'received');
    assert.equal(c.claim, undefined);
    assert.equal(c.version, 1);
  });

  it('is owned by the first coordinator who claims it', () => {
    const claimed = claimCase(testSchool, freshCase(), coordinatorA, now);
    assert.equal(claimed.changed, true);
    assert.equal(claimed.case.state, 'claimed');
    assert.deepEqual(claimed.case.claim, { by: coordinatorA, at: now });
    assert.equal(claimed.case.version, 2);
  });

  it('refuses a second coordinator once claimed, and tells who was first by the error code only', () => {
    const claimed = claimCase(testSchool, freshCase(), coordinatorA, now).case;
    assert.equal(
      codeOf(() => claimCase(testSchool, claimed, coordinatorB, now)),
      'case.already-claimed',
    );
  });

  it('changes nothing when the owner claims again (a double click)', () => {
    const claimed = claimCase(testSchool, freshCase(), coordinatorA, now).case;
    const again = claimCase(testSchool, claimed, coordinatorA, now);
    assert.equal(again.changed, false);
    assert.equal(again.case, claimed);
  });

  it('may be claimed by a deputy of the school', () => {
    assert.equal(claimCase(testSchool, freshCase(), deputy, now).case.claim?.by.id, deputy.id);
  });

  it('refuses claims by an intake user, a coordinator of another school, or a stranger', () => {
    for (const person of [intakeUser, outsider]) {
      assert.equal(
        codeOf(() => claimCase(testSchool, freshCase(), person, now)),
        'case.not-authorized',
      );
    }
    assert.equal(
      codeOf(() => claimCase(otherSchool, freshCase(), outsider, now)),
      'case.not-authorized',
    );
  });

  it("closes as 'not our pupil' before a claim, by any coordinator", () => {
    const closed = closeAsNotOurPupil(testSchool, freshCase(), coordinatorB, now);
    assert.equal(closed.case.state, 'closed');
    assert.equal(closed.case.closed?.reason, 'not-our-pupil');
  });

  it("after a claim, only the owner may close it as 'not our pupil'", () => {
    const claimed = claimCase(testSchool, freshCase(), coordinatorA, now).case;
    assert.equal(
      codeOf(() => closeAsNotOurPupil(testSchool, claimed, coordinatorB, now)),
      'case.already-claimed',
    );
    assert.equal(closeAsNotOurPupil(testSchool, claimed, coordinatorA, now).case.state, 'closed');
  });

  it('cannot be claimed once closed', () => {
    const closed = closeAsNotOurPupil(testSchool, freshCase(), coordinatorA, now).case;
    assert.equal(
      codeOf(() => claimCase(testSchool, closed, coordinatorB, now)),
      'case.closed',
    );
  });
});
