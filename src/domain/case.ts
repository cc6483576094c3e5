import type { SupportDay } from './calendar';
import { HwcError } from './errors';
import { rolesAt, type School, type StaffMember } from './school';
import type { Pupil, SignalSource } from './signal';

export type CaseState = 'received' | 'claimed' | 'closed';
export type ClosedReason = 'not-our-pupil';

/** A message the bot posted for a case: a neutral shell in someone's personal chat. */
export interface PostedShell {
  staffId: string;
  role: 'coordinator';
  conversationId: string;
  activityId: string;
  serviceUrl: string;
  /** The addressee's Teams id and language, so later updates of the card keep both. */
  teamsUserId?: string;
  locale?: string;
}

/**
 * One Handle with Care case. It lives only in memory and only until its support day ends;
 * `version` lets a store detect a concurrent change (two coordinators claiming at once).
 */
export interface HwcCase {
  id: string;
  schoolId: string;
  pupil: Pupil;
  source: SignalSource;
  receivedAt: Date;
  supportDay: SupportDay;
  state: CaseState;
  claim?: { by: StaffMember; at: Date };
  closed?: { reason: ClosedReason; by: StaffMember; at: Date };
  shells: PostedShell[];
  version: number;
}

export type NewCase = Pick<HwcCase, 'id' | 'schoolId' | 'pupil' | 'source' | 'receivedAt' | 'supportDay'>;

export function openCase(input: NewCase): HwcCase {
  return { ...input, state: 'received', shells: [], version: 1 };
}

/** The outcome of a command: the new case, and whether anything changed (false on a repeat). */
export interface Transition {
  case: HwcCase;
  changed: boolean;
}

function next(c: HwcCase, patch: Partial<HwcCase>): Transition {
  return { case: { ...c, ...patch, version: c.version + 1 }, changed: true };
}

/** Only a coordinator or deputy of the case's school acts on it as coordinator. */
export function canCoordinate(school: School, c: HwcCase, staffId: string): boolean {
  if (school.id !== c.schoolId) return false;
  const roles = rolesAt(school, staffId);
  return roles.includes('coordinator') || roles.includes('deputy');
}

export function assertCanCoordinate(school: School, c: HwcCase, staffId: string): void {
  if (!canCoordinate(school, c, staffId)) {
    throw new HwcError(
      'case.not-authorized',
      `staff member is not a coordinator or deputy of school ${c.schoolId}`,
    );
  }
}

/** The first claim wins; claiming again by the owner changes nothing. */
export function claimCase(school: School, c: HwcCase, actor: StaffMember, now: Date): Transition {
  assertCanCoordinate(school, c, actor.id);
  if (c.state === 'closed') throw new HwcError('case.closed', `case ${c.id} is closed`);
  if (c.claim) {
    if (c.claim.by.id === actor.id) return { case: c, changed: false };
    throw new HwcError('case.already-claimed', `case ${c.id} was claimed by someone else`);
  }
  return next(c, { state: 'claimed', claim: { by: actor, at: now } });
}

/**
 * 'Not our pupil' closes the case. Before a claim any coordinator may say so; after it, only
 * the owner, so one coordinator cannot undo what another has taken on.
 */
export function closeAsNotOurPupil(school: School, c: HwcCase, actor: StaffMember, now: Date): Transition {
  assertCanCoordinate(school, c, actor.id);
  if (c.state === 'closed') {
    if (c.closed?.reason === 'not-our-pupil') return { case: c, changed: false };
    throw new HwcError('case.closed', `case ${c.id} is closed`);
  }
  if (c.claim && c.claim.by.id !== actor.id) {
    throw new HwcError('case.already-claimed', `case ${c.id} was claimed by someone else`);
  }
  return next(c, { state: 'closed', closed: { reason: 'not-our-pupil', by: actor, at: now } });
}

/** Remembers where the case's cards were posted, so they can be blanked when it ends. */
export function recordShells(c: HwcCase, shells: readonly PostedShell[]): Transition {
  return next(c, { shells: [...c.shells, ...shells] });
}
