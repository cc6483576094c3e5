import assert from 'node:assert/strict';
import {
  acknowledge,
  canReportAbsence,
  claimCase,
  confirmParentsInformedBy,
  isTeacherFirst,
  openCase,
  procedureOf,
  pupilAbsent,
  pupilAbsentByColleague,
  recordDelivery,
  recordParents,
  recordTalk,
  type HwcCase,
  type TalkInput,
} from '../../src/domain/case';
import { leftoversOf } from '../../src/domain/case-leftovers';
import { HwcError } from '../../src/domain/errors';
import type { School } from '../../src/domain/school';
import {
  coordinatorA,
  duoTeacher,
  groupTeacher,
  gymTeacher,
  pupil,
  stranger,
  testSchool,
} from '../support/fixtures';

/** The same school, acting on a signal as the municipality's procedure asks: the group teacher first. */
const teacherSchool: School = { ...testSchool, procedure: 'teacher-first' };

const at = (time: string, date = '2026-11-23') => new Date(`${date}T${time}:00Z`);
/** 06:40 UTC is 07:40 in Amsterdam, before lessons, on whatever day the case is on now. */
const onItsDay = (c: HwcCase) => at('06:40', c.supportDay.date);

function received(): HwcCase {
  return openCase({
    id: '3c5e7a90-b1d2-4e3f-8a4b-5c6d7e8f9a0b',
    schoolId: testSchool.id,
    pupil,
    source: 'municipality',
    receivedAt: at('21:10', '2026-11-22'),
    supportDay: { date: '2026-11-23', lessonStart: at('07:30'), dayEnd: at('14:00') },
  });
}

function claimed(school: School = teacherSchool): HwcCase {
  return claimCase(school, received(), coordinatorA, at('19:30', '2026-11-22')).case;
}

const toTheTeacher: TalkInput = {
  support: { optionIds: ['test-moved'], note: 'Zit graag vooraan' },
  colleagues: [groupTeacher, gymTeacher],
  nobodyToInform: false,
};

/** The group teacher (and the gym teacher) informed the evening before, their cards delivered. */
function informed(school: School = teacherSchool): HwcCase {
  let c = recordTalk(school, claimed(school), coordinatorA, toTheTeacher, at('19:40', '2026-11-22')).case;
  c = recordDelivery(c, groupTeacher.id, { sentAt: at('19:41', '2026-11-22') }).case;
  return recordDelivery(c, gymTeacher.id, { sentAt: at('19:41', '2026-11-22') }).case;
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

describe('the teacher-first procedure (pure domain)', () => {
  describe('informing the group teacher', () => {
    it("records the school's procedure with the step, teacher first or talk first", () => {
      const teacherFirst = informed(teacherSchool);
      assert.equal(teacherFirst.talk?.procedure, 'teacher-first');
      assert.equal(teacherFirst.state, 'informing');
      assert.deepEqual(teacherFirst.talk?.support, { optionIds: ['test-moved'], note: 'Zit graag vooraan' });
      assert.deepEqual(
        teacherFirst.colleagues.map((p) => p.staff.id),
        [groupTeacher.id, gymTeacher.id],
      );
      assert.equal(informed(testSchool).talk?.procedure, 'talk-first');
    });

    it("refuses 'nobody to inform': in teacher first the teacher is the one who supports the pupil", () => {
      assert.equal(
        codeOf(() =>
          recordTalk(
            teacherSchool,
            claimed(),
            coordinatorA,
            { ...toTheTeacher, colleagues: [], nobodyToInform: true },
            at('19:40', '2026-11-22'),
          ),
        ),
        'action.invalid',
      );
      assert.equal(
        codeOf(() =>
          recordTalk(
            teacherSchool,
            claimed(),
            coordinatorA,
            { ...toTheTeacher, colleagues: [] },
            at('19:40'),
          ),
        ),
        'action.invalid',
        'nor may nobody be chosen by leaving everyone out',
      );
      // The same choice is a step of the talk-first procedure.
      const talkFirst = recordTalk(
        testSchool,
        claimed(testSchool),
        coordinatorA,
        { ...toTheTeacher, colleagues: [], nobodyToInform: true },
        at('07:00'),
      ).case;
      assert.equal(talkFirst.talk?.nobodyToInform, true);
    });
  });

  describe('which procedure a case follows', () => {
    it("follows the school's procedure until the first step, and keeps it after a change of the schools file", () => {
      const before = claimed(teacherSchool);
      assert.equal(procedureOf(teacherSchool, before), 'teacher-first');
      assert.equal(procedureOf(testSchool, before), 'talk-first', 'not yet fixed: the school decides');

      const c = informed(teacherSchool);
      // The schools file now says talk first: the teacher was told already, and that stays so.
      assert.equal(procedureOf(testSchool, c), 'teacher-first');
      assert.equal(isTeacherFirst(testSchool, c), true);
      assert.equal(canReportAbsence(testSchool, c, onItsDay(c)), true);
      const moved = pupilAbsentByColleague(testSchool, c, groupTeacher.id, '2026-11-23', onItsDay(c));
      assert.equal(moved.case.supportDay.date, '2026-11-24', 'the teacher may still say the pupil is absent');

      // And the other way round: a talk held stays a talk.
      const talked = informed(testSchool);
      assert.equal(procedureOf(teacherSchool, talked), 'talk-first');
      assert.equal(isTeacherFirst(teacherSchool, talked), false);
      assert.equal(canReportAbsence(teacherSchool, talked, onItsDay(talked)), false);
    });

    it('leftovers of an expired case name its procedure, so the notice names the step that was missed', () => {
      const unclaimed = leftoversOf(teacherSchool, received());
      assert.equal(unclaimed?.procedure, 'teacher-first');
      assert.equal(unclaimed?.notClaimed, true);

      const notInformed = leftoversOf(teacherSchool, claimed());
      assert.deepEqual(
        { procedure: notInformed?.procedure, talkNotRecorded: notInformed?.talkNotRecorded },
        { procedure: 'teacher-first', talkNotRecorded: true },
        'claimed, and the teacher was not informed',
      );

      const informedUnread = leftoversOf(testSchool, informed(teacherSchool));
      assert.equal(informedUnread?.procedure, 'teacher-first', 'the case’s own, not the school’s of today');
      assert.equal(informedUnread?.talkNotRecorded, false);
      assert.equal(informedUnread?.notAcknowledged, 2);

      assert.equal(leftoversOf(testSchool, claimed(testSchool))?.procedure, 'talk-first');
    });
  });

  describe("'pupil not at school today'", () => {
    it('is possible after the teacher was informed, on the support day only, until the parents step', () => {
      const c = informed();
      assert.equal(canReportAbsence(teacherSchool, c, onItsDay(c)), true);
      assert.equal(
        canReportAbsence(teacherSchool, c, at('19:45', '2026-11-22')),
        false,
        'not the evening before',
      );
      assert.equal(canReportAbsence(teacherSchool, c, at('06:40', '2026-11-24')), false, 'not the day after');

      const read = acknowledge(c, groupTeacher.id, at('06:30')).case;
      assert.equal(
        canReportAbsence(teacherSchool, read, onItsDay(read)),
        true,
        'also once the teacher read it',
      );

      const parents = recordParents(teacherSchool, read, coordinatorA, 'by-me', at('06:35')).case;
      assert.equal(
        canReportAbsence(teacherSchool, parents, onItsDay(parents)),
        false,
        'not after the parents step',
      );
      const notNow = recordParents(teacherSchool, read, coordinatorA, 'not-now', at('06:35')).case;
      assert.equal(canReportAbsence(teacherSchool, notNow, onItsDay(notNow)), false);
    });

    it('is no longer possible in talk first once the talk is recorded', () => {
      const c = informed(testSchool);
      assert.equal(canReportAbsence(testSchool, c, onItsDay(c)), false);
      assert.equal(
        canReportAbsence(testSchool, claimed(testSchool), onItsDay(c)),
        true,
        'before the talk it is',
      );
      assert.equal(
        codeOf(() => pupilAbsent(testSchool, c, coordinatorA, '2026-11-23', onItsDay(c))),
        'case.wrong-step',
      );
    });

    it('the coordinator may still say so after informing the teacher, and the case moves', () => {
      const c = informed();
      const moved = pupilAbsent(teacherSchool, c, coordinatorA, '2026-11-23', onItsDay(c));
      assert.equal(moved.case.supportDay.date, '2026-11-24');
      assert.equal(moved.case.absences, 1);
      assert.equal(moved.case.talk?.procedure, 'teacher-first', 'the teacher stays informed');
    });

    it('the group teacher moves the case to the next school day, and its expiry with it', () => {
      const c = acknowledge(informed(), groupTeacher.id, at('06:30')).case;
      const moved = pupilAbsentByColleague(teacherSchool, c, groupTeacher.id, '2026-11-23', onItsDay(c));
      assert.equal(moved.changed, true);
      assert.equal(moved.case.supportDay.date, '2026-11-24');
      assert.equal(moved.case.absences, 1);
      assert.equal(moved.case.state, 'informing');
      assert.equal(moved.expiresAt?.toISOString(), moved.case.supportDay.dayEnd.toISOString());
      assert.deepEqual(moved.case.colleagues, c.colleagues, 'who was told, and who read it, stays');
    });

    it('any colleague who may know may say so, also the gym teacher', () => {
      const c = informed();
      const moved = pupilAbsentByColleague(teacherSchool, c, gymTeacher.id, '2026-11-23', onItsDay(c));
      assert.equal(moved.case.absences, 1);
    });

    it('a double click (the same card, the same day) moves the case once', () => {
      const c = informed();
      const first = pupilAbsentByColleague(teacherSchool, c, groupTeacher.id, '2026-11-23', onItsDay(c)).case;
      const second = pupilAbsentByColleague(teacherSchool, first, groupTeacher.id, '2026-11-23', at('06:41'));
      assert.equal(second.changed, false);
      assert.equal(second.case.absences, 1);
      assert.equal(second.case.supportDay.date, '2026-11-24');
    });

    it('is refused before the support day: nobody can know yet that the pupil will not come', () => {
      assert.equal(
        codeOf(() =>
          pupilAbsentByColleague(
            teacherSchool,
            informed(),
            groupTeacher.id,
            '2026-11-23',
            at('19:50', '2026-11-22'),
          ),
        ),
        'case.not-support-day',
      );
    });

    it('closes the case once the pupil was absent more often than the school allows', () => {
      let c = informed();
      for (let i = 0; i < teacherSchool.maxPupilAbsentDays; i++) {
        c = pupilAbsentByColleague(teacherSchool, c, groupTeacher.id, c.supportDay.date, onItsDay(c)).case;
      }
      assert.equal(c.state, 'informing');
      assert.equal(c.absences, teacherSchool.maxPupilAbsentDays);
      const closed = pupilAbsentByColleague(
        teacherSchool,
        c,
        groupTeacher.id,
        c.supportDay.date,
        onItsDay(c),
      );
      assert.equal(closed.case.state, 'closed');
      assert.equal(closed.case.closed?.reason, 'pupil-absent');
      assert.equal(closed.case.closed?.by?.id, groupTeacher.id, 'closed by the teacher who said so');
      assert.equal(
        codeOf(() =>
          pupilAbsentByColleague(teacherSchool, closed.case, groupTeacher.id, c.supportDay.date, onItsDay(c)),
        ),
        'case.closed',
      );
    });

    it('is refused to a colleague of a talk-first case: there the coordinator says so, before the talk', () => {
      const c = informed(testSchool);
      assert.equal(
        codeOf(() => pupilAbsentByColleague(testSchool, c, groupTeacher.id, '2026-11-23', onItsDay(c))),
        'case.wrong-step',
      );
    });

    it('is refused to a colleague asked only to inform the parents', () => {
      // As the domain builds it: the coordinator asks a colleague who was not told.
      const read = acknowledge(
        acknowledge(informed(), groupTeacher.id, at('06:30')).case,
        gymTeacher.id,
        at('06:31'),
      ).case;
      const asked = recordParents(
        teacherSchool,
        read,
        coordinatorA,
        'by-group-teacher',
        at('06:35'),
        duoTeacher,
      ).case;
      const parentsOnly = recordDelivery(asked, duoTeacher.id, { sentAt: at('06:36') }).case;
      assert.equal(
        codeOf(() =>
          pupilAbsentByColleague(teacherSchool, parentsOnly, duoTeacher.id, '2026-11-23', at('06:40')),
        ),
        'case.wrong-step',
      );
      // The rule on its own, apart from the parents step being chosen: such a colleague may not know.
      const withoutParentsStep: HwcCase = { ...parentsOnly, parents: undefined };
      assert.equal(
        codeOf(() =>
          pupilAbsentByColleague(teacherSchool, withoutParentsStep, duoTeacher.id, '2026-11-23', at('06:40')),
        ),
        'case.wrong-step',
      );
      assert.equal(parentsOnly.absences, 0);
      // They still do what they were asked.
      assert.equal(confirmParentsInformedBy(parentsOnly, duoTeacher.id, at('12:00')).case.state, 'closed');
    });

    it('is refused once the parents step is chosen, also to the group teacher', () => {
      const parents = recordParents(teacherSchool, informed(), coordinatorA, 'by-me', at('06:35')).case;
      assert.equal(
        codeOf(() =>
          pupilAbsentByColleague(teacherSchool, parents, groupTeacher.id, '2026-11-23', at('06:40')),
        ),
        'case.wrong-step',
      );
    });

    it('is refused to anyone who was not told, and to a colleague Teams could not reach', () => {
      const c = informed();
      assert.equal(
        codeOf(() => pupilAbsentByColleague(teacherSchool, c, stranger.id, '2026-11-23', onItsDay(c))),
        'case.not-authorized',
      );
      assert.equal(
        codeOf(() => pupilAbsentByColleague(teacherSchool, c, coordinatorA.id, '2026-11-23', onItsDay(c))),
        'case.not-authorized',
        'the coordinator has their own button',
      );
      let unreachable = recordTalk(
        teacherSchool,
        claimed(),
        coordinatorA,
        toTheTeacher,
        at('19:40', '2026-11-22'),
      ).case;
      unreachable = recordDelivery(unreachable, groupTeacher.id, 'unreachable').case;
      assert.equal(
        codeOf(() =>
          pupilAbsentByColleague(teacherSchool, unreachable, groupTeacher.id, '2026-11-23', onItsDay(c)),
        ),
        'case.not-authorized',
      );
    });
  });
});
