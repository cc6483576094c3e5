import type { AdaptiveCardJson } from '../cards/card-data';
import { canCoordinate, isTeacherFirst, type HwcCase, type Transition } from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import { coordinatingStaff, type School, type StaffMember } from '../domain/school';
import { mutateCase } from '../store/case-store';
import { coordinatorViewCard, endingNotice, noticeCard } from './case-cards';
import { formatDay, stringsFor } from '../i18n/strings';
import type { Services } from './ports';

/** Who clicked, as Teams tells us; their school role is looked up, never taken from the card. */
export interface Actor {
  staffId: string;
  locale: string | undefined;
}

/** The case, its school and the actor as a coordinator or deputy of that school; refused otherwise. */
export async function loadForCoordinator(
  services: Services,
  caseId: string,
  actor: Actor,
): Promise<{ school: School; c: HwcCase; staff: StaffMember }> {
  const c = await services.store.get(caseId);
  if (!c) throw new HwcError('case.not-found', `case ${caseId} is not in the store`);
  const school = services.schools.get(c.schoolId);
  const staff = school && coordinatingStaff(school, actor.staffId);
  if (!school || !staff || !canCoordinate(school, c, actor.staffId)) {
    throw new HwcError('case.not-authorized', `actor may not coordinate case ${caseId}`);
  }
  return { school, c, staff };
}

export type CaseCommand = (school: School, current: HwcCase, actor: StaffMember, now: Date) => Transition;

export type CommandOutcome =
  { school: School; staff: StaffMember; before: HwcCase; result: Transition } | { view: AdaptiveCardJson };

// A click that lost a race or came from a stale card: the answer is the current view, which says
// who owns the case and what step it is at. No error, and nothing changes.
const answeredWithTheView = [
  'case.already-claimed',
  'case.not-owner',
  'case.wrong-step',
  'case.not-support-day',
] as const;

/** Runs a coordinator's command on the current case, retrying on a concurrent change. */
export async function asCoordinator(
  services: Services,
  caseId: string,
  actor: Actor,
  command: CaseCommand,
): Promise<CommandOutcome> {
  const { school, staff } = await loadForCoordinator(services, caseId, actor);
  let before: HwcCase | undefined;
  try {
    const result = await mutateCase(services.store, caseId, (current) => {
      before = current;
      return command(school, current, staff, services.clock());
    });
    return { school, staff, before: before ?? result.case, result };
  } catch (error) {
    if (!answeredWithTheView.some((code) => isHwcError(error, code))) throw error;
    const current = await services.store.get(caseId);
    if (!current) throw new HwcError('case.not-found', `case ${caseId} is not in the store`);
    // An old card's 'Leerling is er vandaag niet' before the day: say why nothing happened.
    const t = stringsFor(actor.locale);
    const refusal = isHwcError(error, 'case.not-support-day')
      ? (isTeacherFirst(school, current) ? t.teacherFirst : t.view).absentOnlyOnSupportDay(
          formatDay(current.supportDay.lessonStart, school.timeZone, actor.locale),
        )
      : undefined;
    return {
      view: coordinatorViewCard(school, current, actor.staffId, actor.locale, services.clock(), {
        ...(refusal ? { error: refusal } : {}),
      }),
    };
  }
}

/**
 * The card for a case the store does not hold: how it ended while its tombstone lasts ('afgerond'
 * only for a case that was completed), or that the bot does not know it, and what to do then.
 */
export async function goneCaseCard(
  services: Services,
  caseId: string,
  locale: string | undefined,
): Promise<AdaptiveCardJson> {
  const ending = await services.store.ending(caseId);
  if (ending === undefined) return noticeCard('unknown', locale);
  // The view of a completed case says more than its posted card: that nothing is left to see.
  return noticeCard(ending === 'completed' ? 'deleted' : endingNotice[ending], locale);
}

/** For follow-ups: a case that was closed and deleted in the meantime leaves nothing to do. */
export async function unlessGone<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (isHwcError(error, 'case.not-found')) return undefined;
    throw error;
  }
}
