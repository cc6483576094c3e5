import assert from 'node:assert/strict';
import {
  acknowledge,
  claimCase,
  escalate,
  handOver,
  openCase,
  recordDelivery,
  recordParents,
  recordTalk,
  type HwcCase,
} from '../../src/domain/case';
import { expiryNoticeRecipients, leftoversOf } from '../../src/domain/case-leftovers';
import {
  coordinatorA,
  coordinatorB,
  deputy,
  groupTeacher,
  gymTeacher,
  pupil,
  testSchool,
} from '../support/fixtures';

const at = (time: string) => new Date(`2026-11-23T${time}:00Z`);

function received(): HwcCase {
  return openCase({
    id: '9a1b2c3d-4e5f-4061-8273-94a5b6c7d8e9',
    schoolId: testSchool.id,
    pupil,
    source: 'police',
    receivedAt: at('05:00'),
    supportDay: { date: '2026-11-23', lessonStart: at('07:30'), dayEnd: at('14:00') },
  });
}

function informed(): HwcCase {
  let c = claimCase(testSchool, received(), coordinatorA, at('06:45')).case;
  c = recordTalk(
    testSchool,
    c,
    coordinatorA,
    {
      support: { optionIds: [], note: '' },
      colleagues: [groupTeacher, gymTeacher],
      nobodyToInform: false,
    },
    at('07:00'),
  ).case;
  c = recordDelivery(c, groupTeacher.id, { sentAt: at('07:01') }).case;
  return recordDelivery(c, gymTeacher.id, 'unreachable').case;
}

describe('what an expired case left undone', () => {
  it('an unclaimed case left only its claim, and every coordinator hears of it', () => {
    const c = received();
    assert.deepEqual(leftoversOf(testSchool, c), {
      procedure: 'talk-first',
      notClaimed: true,
      talkNotRecorded: false,
      notAcknowledged: 0,
      unreachable: 0,
      parentsNotRecorded: false,
      parentsNotConfirmed: false,
    });
    assert.deepEqual(expiryNoticeRecipients(testSchool, c), [coordinatorA.id, coordinatorB.id]);
  });

  it('once escalated, the deputies hear of an unclaimed case too', () => {
    const c = escalate(received(), at('07:00')).case;
    assert.deepEqual(expiryNoticeRecipients(testSchool, c), [coordinatorA.id, coordinatorB.id, deputy.id]);
  });

  it('a claimed case without a talk is only the owner’s business', () => {
    const c = claimCase(testSchool, received(), coordinatorB, at('06:40')).case;
    assert.equal(leftoversOf(testSchool, c)?.talkNotRecorded, true);
    assert.deepEqual(expiryNoticeRecipients(testSchool, c), [coordinatorB.id]);
    const handed = handOver(testSchool, c, coordinatorB, deputy, at('06:50')).case;
    assert.deepEqual(expiryNoticeRecipients(testSchool, handed), [deputy.id]);
  });

  it('counts a colleague who never read the card, one Teams could not reach, and a missing parents step', () => {
    assert.deepEqual(leftoversOf(testSchool, informed()), {
      procedure: 'talk-first',
      notClaimed: false,
      talkNotRecorded: false,
      notAcknowledged: 1,
      unreachable: 1,
      parentsNotRecorded: true,
      parentsNotConfirmed: false,
    });
  });

  it('an unreachable colleague still counts when all else is done; with everyone read and the parents step recorded, nothing is left', () => {
    let c = acknowledge(informed(), groupTeacher.id, at('07:10')).case;
    c = recordParents(testSchool, c, coordinatorA, 'by-me', at('07:20')).case;
    // An unreachable colleague is still something to do in person.
    assert.equal(leftoversOf(testSchool, c)?.unreachable, 1);
    const reachedAll = recordParents(
      testSchool,
      acknowledge(
        recordDelivery(
          recordTalk(
            testSchool,
            claimCase(testSchool, received(), coordinatorA, at('06:45')).case,
            coordinatorA,
            {
              support: { optionIds: [], note: '' },
              colleagues: [groupTeacher],
              nobodyToInform: false,
            },
            at('07:00'),
          ).case,
          groupTeacher.id,
          { sentAt: at('07:01') },
        ).case,
        groupTeacher.id,
        at('07:05'),
      ).case,
      coordinatorA,
      'not-now',
      at('07:20'),
    ).case;
    assert.equal(leftoversOf(testSchool, reachedAll), undefined);
  });

  it('a parents step that nobody confirmed as done is left undone', () => {
    const c = recordParents(
      testSchool,
      acknowledge(informed(), groupTeacher.id, at('07:10')).case,
      coordinatorA,
      'by-me',
      at('07:20'),
    ).case;
    assert.equal(leftoversOf(testSchool, c)?.parentsNotConfirmed, true);
    assert.equal(leftoversOf(testSchool, c)?.parentsNotRecorded, false);
  });
});
