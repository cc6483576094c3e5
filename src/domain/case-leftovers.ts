import { parentsStepDone, procedureOf, progressOf, type HwcCase } from './case';
import { coordinatingStaff, type Procedure, type School } from './school';

/**
 * What was still open when a case expired, as counts and yes/no only: the coordinator's notice
 * is posted into a chat that Teams keeps, so it says what to look into, never about whom.
 */
export interface Leftovers {
  notClaimed: boolean;
  /** The procedure's own step, so the notice names what was missed: the talk, or telling the teacher. */
  procedure: Procedure;
  /** Claimed, and neither the talk (talk first) nor the teacher (teacher first) recorded. */
  talkNotRecorded: boolean;
  /** Colleagues whose card reached them (or was on its way) and who had not read it. */
  notAcknowledged: number;
  /** Colleagues Teams could not reach: they still need to be told in person. */
  unreachable: number;
  parentsNotRecorded: boolean;
  /** Someone was to inform the parents, and nobody said it was done. */
  parentsNotConfirmed: boolean;
}

/** Undefined when nothing was left undone. */
export function leftoversOf(school: Pick<School, 'procedure'>, c: HwcCase): Leftovers | undefined {
  const progress = progressOf(c);
  const leftovers: Leftovers = {
    notClaimed: c.claim === undefined,
    procedure: procedureOf(school, c),
    talkNotRecorded: c.claim !== undefined && c.talk === undefined,
    notAcknowledged: progress.reached + progress.sending - progress.acknowledged,
    unreachable: progress.unreachable,
    parentsNotRecorded: c.talk !== undefined && c.parents === undefined,
    parentsNotConfirmed: c.parents !== undefined && !parentsStepDone(c),
  };
  const open =
    leftovers.notClaimed ||
    leftovers.talkNotRecorded ||
    leftovers.notAcknowledged > 0 ||
    leftovers.unreachable > 0 ||
    leftovers.parentsNotRecorded ||
    leftovers.parentsNotConfirmed;
  return open ? leftovers : undefined;
}

/**
 * Who hears that a case expired unfinished: its owner; before anyone claimed it, every
 * coordinator, and the deputies too once it had been escalated to them.
 */
export function expiryNoticeRecipients(school: School, c: HwcCase): string[] {
  if (c.claim) return coordinatingStaff(school, c.claim.by.id) ? [c.claim.by.id] : [];
  const deputies = c.escalatedAt ? school.deputies : [];
  return [...new Set([...school.coordinators, ...deputies].map((s) => s.id))];
}
