import assert from 'node:assert/strict';
import {
  acknowledge,
  claimCase,
  handOver,
  openCase,
  pupilAbsent,
  recordDelivery,
  recordTalk,
  type HwcCase,
} from '../../src/domain/case';
import { caseFigures } from '../../src/domain/case-figures';
import { supportDayFor } from '../../src/domain/calendar';
import {
  coordinatorA,
  coordinatorB,
  duoTeacher,
  groupTeacher,
  gymTeacher,
  pupilTraces,
  testSchool,
} from '../support/fixtures';

const zone = 'Europe/Amsterdam';
// Monday 23 November 2026; lessons start 08:30 in Amsterdam, 07:30Z.
const at = (time: string, date = '2026-11-23') => new Date(`${date}T${time}:00Z`);

function received(receivedAt = at('21:10', '2026-11-22')): HwcCase {
  return openCase({
    id: '3a9d7e21-5b4c-4d8e-9f10-2b3c4d5e6f70',
    schoolId: testSchool.id,
    pupil: { name: 'Jorinde Paddenburg', birthDate: '2015-09-30' },
    source: 'municipality',
    receivedAt,
    supportDay: supportDayFor(testSchool, receivedAt),
  });
}

describe('the anonymous figures of a case (pure domain)', () => {
  describe('claimed before lessons', () => {
    it('is true when the first claim comes before lessons on the support day', () => {
      const c = claimCase(testSchool, received(), coordinatorA, at('07:29')).case;
      assert.equal(c.claimedBeforeLessons, true);
    });

    it('is false when the first claim comes at or after the start of lessons', () => {
      assert.equal(
        claimCase(testSchool, received(), coordinatorA, at('07:30')).case.claimedBeforeLessons,
        false,
      );
      assert.equal(
        claimCase(testSchool, received(), coordinatorA, at('09:15')).case.claimedBeforeLessons,
        false,
      );
    });

    it('is not known before anyone claimed the case', () => {
      assert.equal(received().claimedBeforeLessons, undefined);
    });

    it('stays as the first claim set it when the case is handed over after lessons started', () => {
      const early = claimCase(testSchool, received(), coordinatorA, at('07:00')).case;
      const handed = handOver(testSchool, early, coordinatorA, coordinatorB, at('10:00')).case;
      assert.equal(handed.claim?.by.id, coordinatorB.id);
      assert.equal(handed.claimedBeforeLessons, true);

      const late = claimCase(testSchool, received(), coordinatorA, at('09:00')).case;
      assert.equal(
        handOver(testSchool, late, coordinatorA, coordinatorB, at('09:05')).case.claimedBeforeLessons,
        false,
      );
    });

    it('stays as the first claim set it when the pupil is absent and the case moves to the next school day', () => {
      const late = claimCase(testSchool, received(), coordinatorA, at('09:00')).case;
      const moved = pupilAbsent(testSchool, late, coordinatorA, '2026-11-23', at('09:10')).case;
      assert.equal(moved.supportDay.date, '2026-11-24');
      // Before lessons of the new support day, but the count is about the first claim.
      assert.equal(moved.claimedBeforeLessons, false);
    });

    it('a repeated claim by the owner changes nothing', () => {
      const c = claimCase(testSchool, received(), coordinatorA, at('07:00')).case;
      const again = claimCase(testSchool, c, coordinatorA, at('09:00'));
      assert.equal(again.changed, false);
      assert.equal(again.case.claimedBeforeLessons, true);
    });
  });

  describe('caseFigures', () => {
    function informedCase(): HwcCase {
      let c = claimCase(testSchool, received(), coordinatorA, at('07:00')).case;
      c = recordTalk(
        testSchool,
        c,
        coordinatorA,
        {
          support: { optionIds: ['quiet-spot'], note: '' },
          colleagues: [groupTeacher, duoTeacher, gymTeacher],
          nobodyToInform: false,
        },
        at('07:10'),
      ).case;
      c = recordDelivery(c, groupTeacher.id, { sentAt: new Date('2026-11-23T07:11:00Z') }).case;
      c = recordDelivery(c, duoTeacher.id, { sentAt: new Date('2026-11-23T07:11:20Z') }).case;
      c = recordDelivery(c, gymTeacher.id, 'unreachable').case;
      c = acknowledge(c, groupTeacher.id, new Date('2026-11-23T07:15:29Z')).case;
      return acknowledge(c, duoTeacher.id, new Date('2026-11-23T07:23:50Z')).case;
    }

    it('counts one signal, the claim before lessons, the colleagues reached and whole minutes to acknowledge', () => {
      assert.deepEqual(caseFigures(informedCase(), zone), {
        schoolId: testSchool.id,
        month: '2026-11',
        signals: 1,
        claimedBeforeLessons: 1,
        colleaguesInformed: 2,
        // 4 min 29 s → 4; 12 min 30 s → 13 (rounded)
        minutesToAcknowledge: [4, 13],
      });
    });

    it('leaves out colleagues who have not acknowledged, and counts an unclaimed case as not claimed before lessons', () => {
      let c = claimCase(testSchool, received(), coordinatorA, at('08:00')).case;
      c = recordTalk(
        testSchool,
        c,
        coordinatorA,
        { support: { optionIds: [], note: '' }, colleagues: [groupTeacher], nobodyToInform: false },
        at('08:05'),
      ).case;
      c = recordDelivery(c, groupTeacher.id, { sentAt: at('08:06') }).case;
      const f = caseFigures(c, zone);
      assert.equal(f.claimedBeforeLessons, 0);
      assert.equal(f.colleaguesInformed, 1);
      assert.deepEqual(f.minutesToAcknowledge, []);
      assert.equal(caseFigures(received(), zone).claimedBeforeLessons, 0);
    });

    it('never counts negative minutes when Teams refreshed the card before its delivery was recorded', () => {
      let c = claimCase(testSchool, received(), coordinatorA, at('07:00')).case;
      c = recordTalk(
        testSchool,
        c,
        coordinatorA,
        { support: { optionIds: [], note: '' }, colleagues: [groupTeacher], nobodyToInform: false },
        at('07:05'),
      ).case;
      c = acknowledge(c, groupTeacher.id, at('07:06')).case;
      c = recordDelivery(c, groupTeacher.id, { sentAt: at('07:08') }).case;
      assert.deepEqual(caseFigures(c, zone).minutesToAcknowledge, [0]);
    });

    it("takes the month of receipt in the school's time zone: 00:30 on 1 November in Amsterdam (23:30Z on 31 October) is November", () => {
      assert.equal(caseFigures(received(new Date('2025-10-31T23:30:00Z')), zone).month, '2025-11');
      assert.equal(caseFigures(received(new Date('2025-10-31T23:30:00Z')), 'UTC').month, '2025-10');
    });

    it('keeps 23:30 on 31 October in Amsterdam (22:30Z) in October, and takes summer time into account', () => {
      assert.equal(caseFigures(received(new Date('2025-10-31T22:30:00Z')), zone).month, '2025-10');
      // 30 June 2026 23:30 in Amsterdam is 21:30Z (UTC+2); 22:30Z is already 1 July there.
      assert.equal(caseFigures(received(new Date('2026-06-30T21:30:00Z')), zone).month, '2026-06');
      assert.equal(caseFigures(received(new Date('2026-06-30T22:30:00Z')), zone).month, '2026-07');
    });

    it('holds nothing of the pupil, the staff or the case: only the school, the month and numbers', () => {
      const c = informedCase();
      const f = caseFigures(c, zone);
      assert.deepEqual(Object.keys(f).sort(), [
        'claimedBeforeLessons',
        'colleaguesInformed',
        'minutesToAcknowledge',
        'month',
        'schoolId',
        'signals',
      ]);
      const text = JSON.stringify(f);
      for (const trace of pupilTraces(c.pupil)) assert.ok(!text.includes(trace), 'a trace of the pupil');
      for (const id of [c.id, coordinatorA.id, groupTeacher.id, duoTeacher.id, groupTeacher.name])
        assert.ok(!text.includes(id), 'an id or name');
    });
  });
});
