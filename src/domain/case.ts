import { nextSchoolDayAfter, type SupportDay } from './calendar';
import { HwcError } from './errors';
import { isToday } from './local-date';
import { rolesAt, type Procedure, type School, type StaffMember } from './school';
import type { Pupil, SignalSource } from './signal';

/**
 * received → claimed → informing → closed (DESIGN.md §3). 'informing' starts when the talk with
 * the pupil is recorded, also when nobody is to be told: then only the parents step is left.
 */
export type CaseState = 'received' | 'claimed' | 'informing' | 'closed';
export type ClosedReason = 'not-our-pupil' | 'completed' | 'closed-early' | 'pupil-absent';
export type ShellRole = 'coordinator' | 'deputy' | 'colleague';

/** A message the bot posted for a case: a neutral shell in someone's personal chat. */
export interface PostedShell {
  staffId: string;
  role: ShellRole;
  conversationId: string;
  activityId: string;
  serviceUrl: string;
  /** The addressee's Teams id and language, so later updates of the card keep both. */
  teamsUserId?: string;
  locale?: string;
}

export const parentsChoices = ['by-me', 'by-group-teacher', 'not-now'] as const;
/**
 * The parents step is a choice, never text: 'not now' covers 'not safe' and 'Veilig Thuis does it'.
 * 'by-group-teacher' names the colleague who informs them (in practice the group teacher).
 */
export type ParentsChoice = (typeof parentsChoices)[number];

/**
 * Who informs the parents, and whether that was done. Only 'not now' is done when it is chosen;
 * otherwise the case waits for 'Ouders geïnformeerd' from whoever informs them (the coordinator
 * may also confirm it for a colleague).
 */
export interface ParentsStep {
  choice: ParentsChoice;
  at: Date;
  /** With 'by-group-teacher': the colleague who informs them. */
  by?: StaffMember;
  doneAt?: Date;
  /** The one automatic reminder to whoever informs them. */
  remindedAt?: Date;
}

/** What was agreed with the pupil. The note is short on purpose and never about the home situation. */
export interface AgreedSupport {
  optionIds: string[];
  note: string;
}

export const MAX_SUPPORT_NOTE_LENGTH = 280;
/** A Teams card lists them all, and each one is a proactive chat: a class team, not the whole school. */
export const MAX_COLLEAGUES = 40;

/** 'sending' until Teams took the card; 'unreachable' when the coordinator has to tell them in person. */
export type Delivery = 'sending' | 'sent' | 'unreachable';

export interface InformedColleague {
  staff: StaffMember;
  delivery: Delivery;
  sentAt?: Date;
  acknowledgedAt?: Date;
  reminders: number;
  /**
   * Told only to inform the parents: not among those who may know what was agreed with the pupil,
   * so their card shows none of it, and the case does not wait for their 'Gelezen'.
   */
  parentsOnly?: boolean;
}

/**
 * The step that decides who may know. In 'talk-first' it is the talk with the pupil: `support` is
 * what was agreed. In 'teacher-first' no talk took place: the coordinator informed the group
 * teacher, and `support` holds suggestions for the teacher, whose support it is to give.
 */
export interface Talk {
  at: Date;
  by: StaffMember;
  support: AgreedSupport;
  nobodyToInform: boolean;
  /** The school's procedure when the step was taken; a later change of the schools file leaves it. */
  procedure: Procedure;
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
  claim?: { by: StaffMember; at: Date; handedOverBy?: StaffMember };
  /**
   * Whether the first claim came before lessons on the support day of that moment. Set once, by
   * the first claim; a hand-over or a move to the next school day leaves it as it is. An anonymous
   * count (DESIGN.md §4.5), so it survives in the monthly statistics.
   */
  claimedBeforeLessons?: boolean;
  /** The pupil's group, as the directory knows it: shown to colleagues. */
  group?: string;
  talk?: Talk;
  colleagues: InformedColleague[];
  parents?: ParentsStep;
  /** How often the pupil was not at school on the support day, so the case moved on. */
  absences: number;
  escalatedAt?: Date;
  /** Reminders sent by 'Herinner'; a card's button carries the count it saw, so a double click sends one. */
  reminderRounds: number;
  autoRemindedAt?: Date;
  closed?: { reason: ClosedReason; by?: StaffMember; at: Date };
  /**
   * A signal taken from a mail, at a school that answers its senders: where to tell the sender
   * when the pupil is not ours. Kept, encrypted like the rest, only as long as the case.
   */
  mailSender?: { mailbox: string; address: string };
  shells: PostedShell[];
  version: number;
}

export type NewCase = Pick<HwcCase, 'id' | 'schoolId' | 'pupil' | 'source' | 'receivedAt' | 'supportDay'> &
  Partial<Pick<HwcCase, 'mailSender'>>;

export function openCase(input: NewCase): HwcCase {
  return {
    ...input,
    state: 'received',
    colleagues: [],
    absences: 0,
    reminderRounds: 0,
    shells: [],
    version: 1,
  };
}

/**
 * The outcome of a command: the new case, and whether anything changed (false on a repeat).
 * `expiresAt` is set when the case moved to another support day.
 */
export interface Transition {
  case: HwcCase;
  changed: boolean;
  expiresAt?: Date;
}

function next(c: HwcCase, patch: Partial<HwcCase>): Transition {
  return { case: { ...c, ...patch, version: c.version + 1 }, changed: true };
}

function unchanged(c: HwcCase): Transition {
  return { case: c, changed: false };
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

function assertOpen(c: HwcCase): void {
  if (c.state === 'closed') throw new HwcError('case.closed', `case ${c.id} is closed`);
}

/** After a claim, only the owner acts on the case, until they hand it over. */
export function assertOwner(school: School, c: HwcCase, actor: StaffMember): void {
  assertCanCoordinate(school, c, actor.id);
  assertOpen(c);
  if (!c.claim) throw new HwcError('case.wrong-step', `case ${c.id} is not claimed yet`);
  if (c.claim.by.id !== actor.id)
    throw new HwcError('case.not-owner', `case ${c.id} is owned by someone else`);
}

export function isOwner(c: HwcCase, staffId: string): boolean {
  return c.claim?.by.id === staffId;
}

/** The first claim wins; claiming again by the owner changes nothing. */
export function claimCase(school: School, c: HwcCase, actor: StaffMember, now: Date): Transition {
  assertCanCoordinate(school, c, actor.id);
  assertOpen(c);
  if (c.claim) {
    if (c.claim.by.id === actor.id) return unchanged(c);
    throw new HwcError('case.already-claimed', `case ${c.id} was claimed by someone else`);
  }
  return next(c, {
    state: 'claimed',
    claim: { by: actor, at: now },
    claimedBeforeLessons: c.claimedBeforeLessons ?? now.getTime() < c.supportDay.lessonStart.getTime(),
  });
}

/**
 * 'Not our pupil' closes the case. Before a claim any coordinator may say so; after it, only
 * the owner, so one coordinator cannot undo what another has taken on.
 */
export function closeAsNotOurPupil(school: School, c: HwcCase, actor: StaffMember, now: Date): Transition {
  assertCanCoordinate(school, c, actor.id);
  if (c.state === 'closed') {
    if (c.closed?.reason === 'not-our-pupil') return unchanged(c);
    throw new HwcError('case.closed', `case ${c.id} is closed`);
  }
  if (c.claim && c.claim.by.id !== actor.id) {
    throw new HwcError('case.already-claimed', `case ${c.id} was claimed by someone else`);
  }
  if (c.talk) throw new HwcError('case.wrong-step', `case ${c.id} is past the talk with the pupil`);
  return next(c, { state: 'closed', closed: { reason: 'not-our-pupil', by: actor, at: now } });
}

/** The owner hands the case to another coordinator or deputy of the school (who is absent today, say). */
export function handOver(
  school: School,
  c: HwcCase,
  actor: StaffMember,
  to: StaffMember,
  now: Date,
): Transition {
  assertCanCoordinate(school, c, actor.id);
  assertOpen(c);
  if (c.claim?.by.id === to.id) return unchanged(c);
  assertOwner(school, c, actor);
  if (!canCoordinate(school, c, to.id)) {
    throw new HwcError(
      'action.invalid',
      'a case is handed over only to a coordinator or deputy of the school',
    );
  }
  return next(c, { claim: { by: to, at: now, handedOverBy: actor } });
}

export interface TalkInput {
  support: AgreedSupport;
  /** Who may know; empty with `nobodyToInform`. */
  colleagues: StaffMember[];
  nobodyToInform: boolean;
  /** The pupil's group as the directory knows it, if it does. */
  group?: string;
}

/** The procedure a case follows: fixed by its first step, the school's until then. */
export function procedureOf(school: Pick<School, 'procedure'>, c: HwcCase): Procedure {
  return c.talk?.procedure ?? school.procedure;
}

/** Whether the group teacher was told without a talk with the pupil recorded first. */
export function isTeacherFirst(school: Pick<School, 'procedure'>, c: HwcCase): boolean {
  return procedureOf(school, c) === 'teacher-first';
}

/**
 * 'Gesprek gevoerd' (talk first) or 'Groepsleerkracht informeren' (teacher first): what the pupil
 * needs, or what is suggested to the teacher, and who may know. Recorded once; a second submit (a
 * double click, a stale form) changes nothing, so nobody is told twice. In teacher first somebody
 * is always told: the teacher is the one who supports the pupil that day.
 */
export function recordTalk(
  school: School,
  c: HwcCase,
  actor: StaffMember,
  input: TalkInput,
  now: Date,
): Transition {
  assertOwner(school, c, actor);
  if (c.talk) return unchanged(c);
  const known = new Set(school.supportOptions.map((o) => o.id));
  const optionIds = [...new Set(input.support.optionIds)];
  if (optionIds.some((id) => !known.has(id))) {
    throw new HwcError('action.invalid', `unknown support option for school ${school.id}`);
  }
  const note = input.support.note.trim();
  if (note.length > MAX_SUPPORT_NOTE_LENGTH) {
    throw new HwcError('action.invalid', `the note is longer than ${MAX_SUPPORT_NOTE_LENGTH} characters`);
  }
  const byId = new Map<string, StaffMember>();
  // The coordinator already knows; a card to themself would only wait for their own 'Gelezen'.
  for (const person of input.colleagues) if (person.id !== actor.id) byId.set(person.id, person);
  if (input.nobodyToInform && school.procedure === 'teacher-first') {
    throw new HwcError('action.invalid', "'nobody to inform' is not a step of the teacher-first procedure");
  }
  if (input.nobodyToInform && byId.size > 0) {
    throw new HwcError('action.invalid', "'nobody to inform' was chosen together with colleagues");
  }
  if (!input.nobodyToInform && byId.size === 0) {
    throw new HwcError('action.invalid', "neither colleagues nor 'nobody to inform' was chosen");
  }
  if (byId.size > MAX_COLLEAGUES) {
    throw new HwcError('action.invalid', `more than ${MAX_COLLEAGUES} colleagues were chosen`);
  }
  return next(c, {
    state: 'informing',
    talk: {
      at: now,
      by: actor,
      support: { optionIds, note },
      nobodyToInform: input.nobodyToInform,
      procedure: school.procedure,
    },
    colleagues: [...byId.values()].map((staff) => ({ staff, delivery: 'sending', reminders: 0 })),
    ...(input.group ? { group: input.group } : {}),
  });
}

/**
 * 'Leerling is er vandaag niet' is offered only on the support day itself. In talk first, before the
 * talk; in teacher first the teacher is told before anyone sees the pupil, so until the parents step.
 */
export function canReportAbsence(school: School, c: HwcCase, now: Date): boolean {
  return (
    c.state !== 'closed' &&
    !c.parents &&
    (!c.talk || c.talk.procedure === 'teacher-first') &&
    isToday(c.supportDay.date, now, school.timeZone)
  );
}

/**
 * 'Leerling is er vandaag niet', on the support day only: the case moves to the next school day, at most
 * `maxPupilAbsentDays` times; after that it closes. `forDay` is the support day the card showed,
 * so a double click moves the case one day, not two.
 */
export function pupilAbsent(
  school: School,
  c: HwcCase,
  actor: StaffMember,
  forDay: string,
  now: Date,
): Transition {
  assertOwner(school, c, actor);
  return movePastAbsence(school, c, actor, forDay, now);
}

/**
 * The same, pressed by the group teacher in teacher first: they are the one who sees whether the
 * pupil came. Any colleague who may know (not one asked only to inform the parents) may say so.
 */
export function pupilAbsentByColleague(
  school: School,
  c: HwcCase,
  staffId: string,
  forDay: string,
  now: Date,
): Transition {
  const colleague = colleagueOf(c, staffId);
  assertOpen(c);
  if (colleague.parentsOnly || c.talk?.procedure !== 'teacher-first') {
    throw new HwcError('case.wrong-step', `on case ${c.id} the coordinator reports the pupil absent`);
  }
  return movePastAbsence(school, c, colleague.staff, forDay, now);
}

function movePastAbsence(
  school: School,
  c: HwcCase,
  actor: StaffMember,
  forDay: string,
  now: Date,
): Transition {
  if (c.supportDay.date !== forDay) return unchanged(c);
  if (c.talk && c.talk.procedure !== 'teacher-first') {
    throw new HwcError('case.wrong-step', `case ${c.id} is past the talk with the pupil`);
  }
  if (c.parents) throw new HwcError('case.wrong-step', `case ${c.id} is past the parents step`);
  // Before that day nobody can know: moving then would skip the day the pupil should be seen.
  if (!isToday(c.supportDay.date, now, school.timeZone)) {
    throw new HwcError('case.not-support-day', `case ${c.id} is not on its support day yet`);
  }
  const absences = c.absences + 1;
  if (absences > school.maxPupilAbsentDays) {
    return next(c, { absences, state: 'closed', closed: { reason: 'pupil-absent', by: actor, at: now } });
  }
  const supportDay = nextSchoolDayAfter(school, c.supportDay.date);
  return { ...next(c, { absences, supportDay }), expiresAt: supportDay.dayEnd };
}

/** Teams took the colleague's card, or could not deliver it at all. */
export function recordDelivery(
  c: HwcCase,
  staffId: string,
  outcome: { sentAt: Date; name?: string } | 'unreachable',
): Transition {
  const colleague = c.colleagues.find((p) => p.staff.id === staffId);
  if (!colleague || colleague.delivery !== 'sending') return unchanged(c);
  const updated: InformedColleague =
    outcome === 'unreachable'
      ? { ...colleague, delivery: 'unreachable' }
      : {
          ...colleague,
          delivery: 'sent',
          sentAt: outcome.sentAt,
          // A colleague picked in the people picker is known by id only until Teams names them.
          staff: { ...colleague.staff, name: colleague.staff.name || outcome.name || '' },
        };
  return next(c, { colleagues: c.colleagues.map((p) => (p === colleague ? updated : p)) });
}

/**
 * The colleague the coordinator chose, and only them, sees their card and says 'Gelezen'. Also
 * while the delivery is still being recorded: Teams may refresh the card the moment it arrives.
 */
export function colleagueOf(c: HwcCase, staffId: string): InformedColleague {
  const colleague = c.colleagues.find((p) => p.staff.id === staffId);
  if (!colleague || colleague.delivery === 'unreachable') {
    throw new HwcError('case.not-authorized', `staff member is not an informed colleague on case ${c.id}`);
  }
  return colleague;
}

/** 'Gelezen', by the colleague themself; a second click changes nothing. */
export function acknowledge(c: HwcCase, staffId: string, now: Date): Transition {
  const colleague = colleagueOf(c, staffId);
  assertOpen(c);
  if (colleague.acknowledgedAt) return unchanged(c);
  const updated = { ...colleague, acknowledgedAt: now };
  return next(c, { colleagues: c.colleagues.map((p) => (p === colleague ? updated : p)) });
}

/** Colleagues who got the card and have not said 'Gelezen' yet. */
export function waitingColleagues(c: HwcCase): InformedColleague[] {
  return c.colleagues.filter((p) => !p.parentsOnly && p.delivery === 'sent' && !p.acknowledgedAt);
}

export interface Progress {
  acknowledged: number;
  reached: number;
  unreachable: number;
  sending: number;
}

/** Of the colleagues who may know; one asked only to inform the parents is not counted. */
export function progressOf(c: HwcCase): Progress {
  const count = (test: (p: InformedColleague) => boolean) =>
    c.colleagues.filter((p) => !p.parentsOnly && test(p)).length;
  return {
    acknowledged: count((p) => p.acknowledgedAt !== undefined),
    reached: count((p) => p.delivery === 'sent'),
    unreachable: count((p) => p.delivery === 'unreachable'),
    sending: count((p) => p.delivery === 'sending'),
  };
}

function remind(c: HwcCase, patch: Partial<HwcCase>): Transition {
  const waiting = new Set(waitingColleagues(c).map((p) => p.staff.id));
  if (waiting.size === 0) return unchanged(c);
  return next(c, {
    ...patch,
    colleagues: c.colleagues.map((p) => (waiting.has(p.staff.id) ? { ...p, reminders: p.reminders + 1 } : p)),
  });
}

/** 'Herinner': `round` is the count the coordinator's card showed, so a double click reminds once. */
export function remindColleagues(school: School, c: HwcCase, actor: StaffMember, round: number): Transition {
  assertOwner(school, c, actor);
  if (c.state !== 'informing' || round !== c.reminderRounds) return unchanged(c);
  return remind(c, { reminderRounds: c.reminderRounds + 1 });
}

/** The one automatic reminder, some time after the cards went out. */
export function remindAutomatically(c: HwcCase, now: Date): Transition {
  if (c.state !== 'informing' || c.autoRemindedAt) return unchanged(c);
  return remind(c, { autoRemindedAt: now });
}

/** Unclaimed shortly before lessons: the deputies are brought in, once. */
export function escalate(c: HwcCase, now: Date): Transition {
  if (c.state !== 'received' || c.escalatedAt) return unchanged(c);
  return next(c, { escalatedAt: now });
}

/**
 * The parents step, as a choice. It may be changed until the parents are informed. With
 * 'by-group-teacher', `informer` is the colleague who informs them: one who was not among those
 * told is added, to get a card that asks only that.
 */
export function recordParents(
  school: School,
  c: HwcCase,
  actor: StaffMember,
  choice: ParentsChoice,
  now: Date,
  informer?: StaffMember,
): Transition {
  assertOwner(school, c, actor);
  if (c.state !== 'informing') throw new HwcError('case.wrong-step', `case ${c.id} has no talk recorded yet`);
  if (c.parents?.doneAt) return completeIfDone(c, now);
  let by: StaffMember | undefined;
  if (choice === 'by-group-teacher') {
    if (!informer) {
      throw new HwcError('action.invalid', 'the colleague who informs the parents was not chosen');
    }
    // The coordinator who picks themself informs the parents themself.
    if (informer.id === actor.id) choice = 'by-me';
    else by = informer;
  }
  if (c.parents?.choice === choice && c.parents.by?.id === by?.id) return completeIfDone(c, now);
  const known = by !== undefined && c.colleagues.some((p) => p.staff.id === by.id);
  const colleagues =
    by && !known
      ? [...c.colleagues, { staff: by, delivery: 'sending' as const, reminders: 0, parentsOnly: true }]
      : c.colleagues;
  const parents: ParentsStep = { choice, at: now, ...(by ? { by } : {}) };
  return completeIfDone(next(c, { parents, colleagues }).case, now, true);
}

/** Who informs the parents: the owner with 'by-me', the chosen colleague, or nobody ('not now'). */
export function parentsInformer(c: HwcCase): StaffMember | undefined {
  if (c.parents?.choice === 'by-me') return c.claim?.by;
  if (c.parents?.choice === 'by-group-teacher') return c.parents.by;
  return undefined;
}

/** Whether this colleague is the one the coordinator asked to inform the parents. */
export function informsParents(c: HwcCase, staffId: string): boolean {
  return c.parents?.choice === 'by-group-teacher' && c.parents.by?.id === staffId;
}

/** The parents step is chosen and, unless 'not now', confirmed as done. */
export function parentsStepDone(c: HwcCase): boolean {
  return c.parents !== undefined && (c.parents.choice === 'not-now' || c.parents.doneAt !== undefined);
}

/** Waiting for someone to say the parents were informed. */
export function parentsPending(c: HwcCase): boolean {
  return c.state === 'informing' && c.parents !== undefined && !parentsStepDone(c);
}

function parentsInformed(c: HwcCase, now: Date): Transition {
  if (!c.parents || c.parents.doneAt) return completeIfDone(c, now);
  return completeIfDone(next(c, { parents: { ...c.parents, doneAt: now } }).case, now, true);
}

/**
 * 'Ouders geïnformeerd' by the owner: for themself, or for the colleague who was to do it (who
 * told them in person, or whom Teams could not reach).
 */
export function confirmParentsInformed(
  school: School,
  c: HwcCase,
  actor: StaffMember,
  now: Date,
): Transition {
  if (c.state === 'closed' && c.parents?.doneAt) return unchanged(c);
  assertOwner(school, c, actor);
  if (!parentsPending(c) && !c.parents?.doneAt) {
    throw new HwcError('case.wrong-step', `case ${c.id} waits for no one to inform the parents`);
  }
  return parentsInformed(c, now);
}

/** 'Ouders geïnformeerd' on the card of the colleague who informs them, and only theirs. */
export function confirmParentsInformedBy(c: HwcCase, staffId: string, now: Date): Transition {
  if (c.state === 'closed' && c.parents?.doneAt) return unchanged(c);
  assertOpen(c);
  if (!informsParents(c, staffId)) {
    throw new HwcError('case.wrong-step', `on case ${c.id} someone else informs the parents`);
  }
  return parentsInformed(c, now);
}

/** The one automatic reminder to whoever informs the parents, while it is not done. */
export function remindParents(c: HwcCase, now: Date): Transition {
  if (!parentsPending(c) || !c.parents || c.parents.remindedAt) return unchanged(c);
  return next(c, { parents: { ...c.parents, remindedAt: now } });
}

/**
 * When whoever informs the parents is reminded: an hour before the day ends, when they have had
 * time by then; else `reminderAfterMinutes` from now; never once the day has ended.
 */
export function parentsReminderAt(
  school: Pick<School, 'reminderAfterMinutes'>,
  c: HwcCase,
  now: Date,
): Date | undefined {
  const dayEnd = c.supportDay.dayEnd.getTime();
  const earliest = now.getTime() + school.reminderAfterMinutes * 60_000;
  const at = Math.max(dayEnd - 60 * 60_000, earliest);
  return at < dayEnd ? new Date(at) : undefined;
}

/**
 * Done: every colleague who got the card has read it, and the parents step is done ('not now', or
 * confirmed). One asked only to inform the parents is done with the parents step.
 */
export function isDone(c: HwcCase): boolean {
  return (
    c.state === 'informing' &&
    parentsStepDone(c) &&
    c.colleagues.every((p) => p.parentsOnly || p.delivery === 'unreachable' || p.acknowledgedAt !== undefined)
  );
}

/** Closes the case when it is done; called after every acknowledgement and parents step. */
export function completeIfDone(c: HwcCase, now: Date, changed = false): Transition {
  if (!isDone(c)) return { case: c, changed };
  return next(c, { state: 'closed', closed: { reason: 'completed', at: now } });
}

/** 'Afsluiten': the owner ends the case before everything is done. */
export function closeEarly(school: School, c: HwcCase, actor: StaffMember, now: Date): Transition {
  if (c.state === 'closed') return unchanged(c);
  assertOwner(school, c, actor);
  return next(c, { state: 'closed', closed: { reason: 'closed-early', by: actor, at: now } });
}

/** Remembers where the case's cards were posted, so they can be blanked when it ends. */
export function recordShells(c: HwcCase, shells: readonly PostedShell[]): Transition {
  return next(c, { shells: [...c.shells, ...shells] });
}
