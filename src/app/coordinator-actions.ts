import type { AdaptiveCardJson } from '../cards/card-data';
import { claimCase, closeAsNotOurPupil, canCoordinate, type HwcCase, type Transition } from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import type { School, StaffMember } from '../domain/school';
import { mutateCase } from '../store/case-store';
import { coordinatorViewCard, noticeCard, takenShellCard } from './case-cards';
import { finishCase } from './end-case';
import type { RequestContext, Services } from './ports';

/** Who clicked, as Teams tells us; their school role is looked up, never taken from the card. */
export interface Actor {
  staffId: string;
  locale: string | undefined;
}

async function loadForCoordinator(
  services: Services,
  caseId: string,
  actor: Actor,
): Promise<{ school: School; c: HwcCase; staff: StaffMember }> {
  const c = await services.store.get(caseId);
  if (!c) throw new HwcError('case.not-found', `case ${caseId} is not in the store`);
  const school = services.schools.get(c.schoolId);
  const staff = school && [...school.coordinators, ...school.deputies].find((p) => p.id === actor.staffId);
  if (!school || !staff || !canCoordinate(school, c, actor.staffId)) {
    throw new HwcError('case.not-authorized', `actor may not coordinate case ${caseId}`);
  }
  return { school, c, staff };
}

type CaseCommand = (school: School, current: HwcCase, actor: StaffMember, now: Date) => Transition;

/**
 * Runs a coordinator's command on the current case. When another coordinator owns the case,
 * the answer is the view, which says who does: no error for a click that lost a race.
 */
async function asCoordinator(
  services: Services,
  caseId: string,
  actor: Actor,
  command: CaseCommand,
): Promise<{ school: School; staff: StaffMember; result: Transition } | { view: AdaptiveCardJson }> {
  const { school, staff } = await loadForCoordinator(services, caseId, actor);
  try {
    const result = await mutateCase(services.store, caseId, (current) =>
      command(school, current, staff, services.clock()),
    );
    return { school, staff, result };
  } catch (error) {
    if (!isHwcError(error, 'case.already-claimed')) throw error;
    return { view: await viewCase(services, caseId, actor) };
  }
}

/** The coordinator opens the card: the signal's content, served only to them. */
export async function viewCase(services: Services, caseId: string, actor: Actor): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForCoordinator(services, caseId, actor);
  return coordinatorViewCard(school, c, actor.staffId, actor.locale);
}

/**
 * 'Oppakken': the first coordinator to claim owns the case. The other coordinators' cards say,
 * without naming the pupil, who took it on.
 */
export async function claim(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const outcome = await asCoordinator(services, caseId, actor, claimCase);
  if ('view' in outcome) {
    ctx.log.info({ caseId }, 'claim refused: already claimed by another coordinator');
    return outcome.view;
  }
  const { school, result } = outcome;
  if (result.changed) {
    ctx.log.info({ caseId, schoolId: school.id }, 'case claimed');
    await markOthersTaken(services, result.case, ctx);
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale);
}

async function markOthersTaken(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  const others = c.shells.filter((s) => s.staffId !== c.claim?.by.id);
  const results = await Promise.allSettled(
    others.map((shell) => services.messenger.updateCard(shell, takenShellCard(c, shell))),
  );
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0)
    ctx.log.warn({ caseId: c.id, failed }, 'could not update every coordinator card after a claim');
}

/** 'Niet onze leerling': the case is closed and deleted, and every card for it turns neutral. */
export async function notOurPupil(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  let outcome: Awaited<ReturnType<typeof asCoordinator>>;
  try {
    outcome = await asCoordinator(services, caseId, actor, closeAsNotOurPupil);
  } catch (error) {
    // A second click, after the first closed and deleted the case: it is done, say so.
    if (isHwcError(error, 'case.not-found')) return noticeCard('closed', actor.locale);
    throw error;
  }
  if ('view' in outcome) return outcome.view;
  if (outcome.result.changed) await finishCase(services, outcome.result.case, ctx);
  return noticeCard('closed', actor.locale);
}
