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
  canReportAbsence,
  confirmParentsInformed,
  confirmParentsInformedBy,
  parentsReminderAt,
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

    it('is refused before the support day: nobody can know yet that the pupil will not come', () => {
      // Sunday evening, for a Monday support day: the bug was a move to Tuesday, past Monday.
      assert.equal(
        codeOf(() =>
          pupilAbsent(testSchool, claimed(), coordinatorA, '2026-11-23', at('19:30', '2026-11-22')),
        ),
        'case.not-support-day',
      );
      assert.equal(canReportAbsence(testSchool, claimed(), at('19:30', '2026-11-22')), false);
      assert.equal(canReportAbsence(testSchool, claimed(), at('06:50')), true);
    });

    it('a click on a card for a day that has passed changes nothing', () => {
      const moved = pupilAbsent(testSchool, claimed(), coordinatorA, '2026-11-23', at('07:40')).case;
      assert.equal(pupilAbsent(testSchool, moved, coordinatorA, '2026-11-23', at('07:41')).changed, false);
    });

    it('closes the case once the pupil was absent more often than the school allows', () => {
      let c = claimed();
      // Each time on the day the case is on: 06:40 UTC is before lessons in Amsterdam.
      const onItsDay = (x: HwcCase) => at('06:40', x.supportDay.date);
      for (let i = 0; i < testSchool.maxPupilAbsentDays; i++) {
        c = pupilAbsent(testSchool, c, coordinatorA, c.supportDay.date, onItsDay(c)).case;
      }
      assert.equal(c.state, 'claimed');
      const closed = pupilAbsent(testSchool, c, coordinatorA, c.supportDay.date, onItsDay(c)).case;
      assert.equal(closed.state, 'closed');
      assert.equal(closed.closed?.reason, 'pupil-absent');
    });
  });

  describe('the parents step', () => {
    const readByAll = () => {
      const c = acknowledge(informed(), groupTeacher.id, at('07:10')).case;
      return acknowledge(c, gymTeacher.id, at('07:11')).case;
    };

    it("only 'nu niet' closes at once", () => {
      assert.equal(
        recordParents(testSchool, readByAll(), coordinatorA, 'not-now', at('07:20')).case.state,
        'closed',
      );
      const byMe = recordParents(testSchool, readByAll(), coordinatorA, 'by-me', at('07:20')).case;
      assert.equal(byMe.state, 'informing', "'ik informeer de ouders' waits");
    });

    it("'ik informeer de ouders' closes when the coordinator confirms it later that day", () => {
      const byMe = recordParents(testSchool, readByAll(), coordinatorA, 'by-me', at('07:20')).case;
      const done = confirmParentsInformed(testSchool, byMe, coordinatorA, at('13:10')).case;
      assert.equal(done.state, 'closed');
      assert.equal(done.parents?.doneAt?.toISOString(), at('13:10').toISOString());
    });

    it('a colleague informs the parents: the case waits for their confirmation, and only theirs', () => {
      const c = recordParents(
        testSchool,
        readByAll(),
        coordinatorA,
        'by-group-teacher',
        at('07:20'),
        groupTeacher,
      ).case;
      assert.equal(c.state, 'informing');
      assert.equal(
        codeOf(() => confirmParentsInformedBy(c, gymTeacher.id, at('12:00'))),
        'case.wrong-step',
      );
      const done = confirmParentsInformedBy(c, groupTeacher.id, at('12:00'));
      assert.equal(done.case.state, 'closed');
      assert.equal(confirmParentsInformedBy(done.case, groupTeacher.id, at('12:01')).changed, false, 'once');
    });

    it('the coordinator may confirm for the colleague, or close the case instead', () => {
      const c = recordParents(
        testSchool,
        readByAll(),
        coordinatorA,
        'by-group-teacher',
        at('07:20'),
        groupTeacher,
      ).case;
      assert.equal(confirmParentsInformed(testSchool, c, coordinatorA, at('12:00')).case.state, 'closed');
      assert.equal(closeEarly(testSchool, c, coordinatorA, at('12:00')).case.closed?.reason, 'closed-early');
    });

    it('a colleague who was not told is added to inform the parents only, and the case does not wait for their Gelezen', () => {
      const c = recordParents(
        testSchool,
        readByAll(),
        coordinatorA,
        'by-group-teacher',
        at('07:20'),
        deputy,
      ).case;
      const added = c.colleagues.find((p) => p.staff.id === deputy.id);
      assert.equal(added?.parentsOnly, true);
      assert.equal(added?.delivery, 'sending');
      assert.equal(progressOf(c).reached, 2, 'not counted among those who read');
      const sent = recordDelivery(c, deputy.id, { sentAt: at('07:21') }).case;
      assert.equal(confirmParentsInformedBy(sent, deputy.id, at('12:00')).case.state, 'closed');
    });

    it('choosing a colleague without naming one is refused', () => {
      assert.equal(
        codeOf(() => recordParents(testSchool, readByAll(), coordinatorA, 'by-group-teacher', at('07:20'))),
        'action.invalid',
      );
    });

    it('the reminder comes an hour before the day ends, or later when the choice was made late', () => {
      const c = recordParents(testSchool, readByAll(), coordinatorA, 'by-me', at('07:20')).case;
      assert.equal(parentsReminderAt(testSchool, c, at('07:20'))?.toISOString(), at('13:00').toISOString());
      assert.equal(parentsReminderAt(testSchool, c, at('12:50'))?.toISOString(), at('13:10').toISOString());
      assert.equal(parentsReminderAt(testSchool, c, at('13:45')), undefined, 'not after the day');
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
      assert.equal(recordParents(testSchool, c, coordinatorA, 'not-now', at('07:20')).case.state, 'closed');
    });

    it('closes when every colleague has read it and the parents step is recorded, in either order', () => {
      let c = recordParents(testSchool, informed(), coordinatorA, 'not-now', at('07:05')).case;
      assert.equal(c.state, 'informing');
      c = acknowledge(c, groupTeacher.id, at('07:10')).case;
      c = completeIfDone(acknowledge(c, gymTeacher.id, at('07:11')).case, at('07:11')).case;
      assert.equal(c.state, 'closed');
    });

    it('a card still being sent holds up closing', () => {
      const c = recordTalk(testSchool, claimed(), coordinatorA, talk, at('07:00')).case;
      assert.equal(
        recordParents(testSchool, c, coordinatorA, 'not-now', at('07:05')).case.state,
        'informing',
      );
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
