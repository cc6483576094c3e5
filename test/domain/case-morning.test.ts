import assert from 'node:assert/strict';
import {
  acknowledge,
  claimCase,
  closeAsNotOurPupil,
  closeEarly,
  completeIfDone,
  escalate,
  handOver,
  openCase,
  progressOf,
  pupilAbsent,
  recordDelivery,
  recordParents,
  recordTalk,
  remindAutomatically,
  remindColleagues,
  type HwcCase,
  type TalkInput,
} from '../../src/domain/case';
import { HwcError } from '../../src/domain/errors';
import {
  coordinatorA,
  coordinatorB,
  deputy,
  groupTeacher,
  gymTeacher,
  outsider,
  pupil,
  testSchool,
} from '../support/fixtures';

const at = (time: string, date = '2026-11-23') => new Date(`${date}T${time}:00Z`);

function claimed(): HwcCase {
  const c = openCase({
    id: '6f1c2a9e-0d4b-4c7a-9e3f-5a6b7c8d9e0f',
    schoolId: testSchool.id,
    pupil,
    source: 'police',
    receivedAt: at('21:10', '2026-11-22'),
    supportDay: { date: '2026-11-23', lessonStart: at('07:30'), dayEnd: at('14:00') },
  });
  return claimCase(testSchool, c, coordinatorA, at('06:45')).case;
}

const talk: TalkInput = {
  support: { optionIds: ['quiet-spot'], note: '  Mag even naar de gang  ' },
  colleagues: [groupTeacher, gymTeacher],
  nobodyToInform: false,
};

function informed(): HwcCase {
  let c = recordTalk(testSchool, claimed(), coordinatorA, talk, at('07:00')).case;
  c = recordDelivery(c, groupTeacher.id, { sentAt: at('07:01') }).case;
  return recordDelivery(c, gymTeacher.id, { sentAt: at('07:01') }).case;
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

describe('the case after the claim (pure domain)', () => {
  describe('the talk with the pupil', () => {
    it('records the support and the colleagues, who are then being sent their card', () => {
      const c = recordTalk(testSchool, claimed(), coordinatorA, talk, at('07:00')).case;
      assert.equal(c.state, 'informing');
      assert.deepEqual(c.talk?.support, { optionIds: ['quiet-spot'], note: 'Mag even naar de gang' });
      assert.deepEqual(
        c.colleagues.map((p) => [p.staff.id, p.delivery]),
        [
          [groupTeacher.id, 'sending'],
          [gymTeacher.id, 'sending'],
        ],
      );
    });

    it('a second submit changes nothing, so nobody is told twice', () => {
      const first = recordTalk(testSchool, claimed(), coordinatorA, talk, at('07:00')).case;
      const second = recordTalk(
        testSchool,
        first,
        coordinatorA,
        { ...talk, colleagues: [deputy] },
        at('07:02'),
      );
      assert.equal(second.changed, false);
      assert.equal(second.case.colleagues.length, 2);
    });

    it("refuses a form that does not add up: both colleagues and 'nobody', neither, an unknown option, a long note", () => {
      const c = claimed();
      assert.equal(
        codeOf(() => recordTalk(testSchool, c, coordinatorA, { ...talk, nobodyToInform: true }, at('07:00'))),
        'action.invalid',
      );
      assert.equal(
        codeOf(() => recordTalk(testSchool, c, coordinatorA, { ...talk, colleagues: [] }, at('07:00'))),
        'action.invalid',
      );
      assert.equal(
        codeOf(() =>
          recordTalk(
            testSchool,
            c,
            coordinatorA,
            { ...talk, support: { optionIds: ['x'], note: '' } },
            at('07:00'),
          ),
        ),
        'action.invalid',
      );
      assert.equal(
        codeOf(() =>
          recordTalk(
            testSchool,
            c,
            coordinatorA,
            { ...talk, support: { optionIds: [], note: 'x'.repeat(281) } },
            at('07:00'),
          ),
        ),
        'action.invalid',
      );
    });

    it("'nobody to inform' leaves only the parents step, which then closes the case", () => {
      const c = recordTalk(
        testSchool,
        claimed(),
        coordinatorA,
        { ...talk, colleagues: [], nobodyToInform: true },
        at('07:00'),
      ).case;
      assert.equal(c.colleagues.length, 0);
      const closed = recordParents(testSchool, c, coordinatorA, 'not-now', at('07:05')).case;
      assert.equal(closed.state, 'closed');
      assert.equal(closed.closed?.reason, 'completed');
    });

    it('only the owner records it; another coordinator is told who owns it', () => {
      assert.equal(
        codeOf(() => recordTalk(testSchool, claimed(), coordinatorB, talk, at('07:00'))),
        'case.not-owner',
      );
      assert.equal(
        codeOf(() => recordTalk(testSchool, claimed(), outsider, talk, at('07:00'))),
        'case.not-authorized',
      );
    });

    it('the coordinator does not send a card to themself', () => {
      const c = recordTalk(
        testSchool,
        claimed(),
        coordinatorA,
        { ...talk, colleagues: [coordinatorA, groupTeacher] },
        at('07:00'),
      ).case;
      assert.deepEqual(
        c.colleagues.map((p) => p.staff.id),
        [groupTeacher.id],
      );
    });
  });

  describe('pupil not at school today', () => {
    it('moves the case to the next school day and its expiry with it', () => {
      const moved = pupilAbsent(testSchool, claimed(), coordinatorA, '2026-11-23', at('07:40'));
      assert.equal(moved.case.supportDay.date, '2026-11-24');
      assert.equal(moved.expiresAt?.toISOString(), moved.case.supportDay.dayEnd.toISOString());
      assert.equal(moved.case.absences, 1);
    });

    it('a click on a card for a day that has passed changes nothing', () => {
      const moved = pupilAbsent(testSchool, claimed(), coordinatorA, '2026-11-23', at('07:40')).case;
      assert.equal(pupilAbsent(testSchool, moved, coordinatorA, '2026-11-23', at('07:41')).changed, false);
    });

    it('closes the case once the pupil was absent more often than the school allows', () => {
      let c = claimed();
      for (let i = 0; i < testSchool.maxPupilAbsentDays; i++) {
        c = pupilAbsent(testSchool, c, coordinatorA, c.supportDay.date, at('07:40')).case;
      }
      assert.equal(c.state, 'claimed');
      const closed = pupilAbsent(testSchool, c, coordinatorA, c.supportDay.date, at('07:40')).case;
      assert.equal(closed.state, 'closed');
      assert.equal(closed.closed?.reason, 'pupil-absent');
    });
  });

  describe('acknowledgements and closing', () => {
    it('only an informed colleague acknowledges, once', () => {
      const c = informed();
      assert.equal(
        codeOf(() => acknowledge(c, coordinatorB.id, at('07:10'))),
        'case.not-authorized',
      );
      const once = acknowledge(c, groupTeacher.id, at('07:10')).case;
      assert.equal(acknowledge(once, groupTeacher.id, at('07:12')).changed, false);
      assert.equal(progressOf(once).acknowledged, 1);
    });

    it('a colleague who could not be reached cannot acknowledge, and does not hold up closing', () => {
      let c = recordTalk(testSchool, claimed(), coordinatorA, talk, at('07:00')).case;
      c = recordDelivery(c, groupTeacher.id, { sentAt: at('07:01') }).case;
      c = recordDelivery(c, gymTeacher.id, 'unreachable').case;
      assert.equal(
        codeOf(() => acknowledge(c, gymTeacher.id, at('07:10'))),
        'case.not-authorized',
      );
      c = acknowledge(c, groupTeacher.id, at('07:10')).case;
      assert.equal(recordParents(testSchool, c, coordinatorA, 'by-me', at('07:20')).case.state, 'closed');
    });

    it('closes when every colleague has read it and the parents step is recorded, in either order', () => {
      let c = recordParents(testSchool, informed(), coordinatorA, 'by-group-teacher', at('07:05')).case;
      assert.equal(c.state, 'informing');
      c = acknowledge(c, groupTeacher.id, at('07:10')).case;
      c = completeIfDone(acknowledge(c, gymTeacher.id, at('07:11')).case, at('07:11')).case;
      assert.equal(c.state, 'closed');
    });

    it('a card still being sent holds up closing', () => {
      const c = recordTalk(testSchool, claimed(), coordinatorA, talk, at('07:00')).case;
      assert.equal(recordParents(testSchool, c, coordinatorA, 'by-me', at('07:05')).case.state, 'informing');
    });

    it('the owner may close early; a second close changes nothing', () => {
      const closed = closeEarly(testSchool, informed(), coordinatorA, at('07:30')).case;
      assert.equal(closed.closed?.reason, 'closed-early');
      assert.equal(closeEarly(testSchool, closed, coordinatorA, at('07:31')).changed, false);
      assert.equal(
        codeOf(() => closeEarly(testSchool, informed(), coordinatorB, at('07:30'))),
        'case.not-owner',
      );
    });

    it("'not our pupil' is no longer possible once the talk is recorded", () => {
      assert.equal(
        codeOf(() => closeAsNotOurPupil(testSchool, informed(), coordinatorA, at('07:30'))),
        'case.wrong-step',
      );
    });
  });

  describe('reminders and escalation', () => {
    it("'Herinner' counts rounds: the same round twice reminds once, and only those who have not read it", () => {
      const c = acknowledge(informed(), groupTeacher.id, at('07:10')).case;
      const first = remindColleagues(testSchool, c, coordinatorA, 0).case;
      assert.deepEqual(
        first.colleagues.map((p) => p.reminders),
        [0, 1],
      );
      assert.equal(remindColleagues(testSchool, first, coordinatorA, 0).changed, false);
      assert.equal(remindColleagues(testSchool, first, coordinatorA, 1).changed, true);
    });

    it('the automatic reminder comes once', () => {
      const once = remindAutomatically(informed(), at('07:21')).case;
      assert.equal(remindAutomatically(once, at('07:41')).changed, false);
    });

    it('escalates an unclaimed case once, and a claimed one never', () => {
      const unclaimed = { ...claimed(), claim: undefined, state: 'received' as const };
      const escalated = escalate(unclaimed, at('07:00')).case;
      assert.ok(escalated.escalatedAt);
      assert.equal(escalate(escalated, at('07:01')).changed, false);
      assert.equal(escalate(claimed(), at('07:00')).changed, false);
    });
  });

  describe('handing over', () => {
    it('the owner hands over to a deputy, who then owns the case', () => {
      const c = handOver(testSchool, claimed(), coordinatorA, deputy, at('07:00')).case;
      assert.equal(c.claim?.by.id, deputy.id);
      assert.equal(c.claim?.handedOverBy?.id, coordinatorA.id);
      assert.equal(
        codeOf(() => recordTalk(testSchool, c, coordinatorA, talk, at('07:05'))),
        'case.not-owner',
      );
    });

    it('not to someone outside the school, and not by someone who does not own it', () => {
      assert.equal(
        codeOf(() => handOver(testSchool, claimed(), coordinatorA, groupTeacher, at('07:00'))),
        'action.invalid',
      );
      assert.equal(
        codeOf(() => handOver(testSchool, claimed(), coordinatorB, deputy, at('07:00'))),
        'case.not-owner',
      );
    });
  });
});
