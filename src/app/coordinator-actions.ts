import type { AdaptiveCardJson } from '../cards/card-data';
import { claimCase, closeAsNotOurPupil, canCoordinate, type HwcCase, type Transition } from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import type { School, StaffMember } from '../domain/school';
import { stringsFor } from '../i18n/strings';
import { mutateCase } from '../store/case-store';
import { coordinatorViewCard, noticeCard, shellCard } from './case-cards';
import type { RequestContext, Services } from './ports';
import { finishCase } from './receive-signal';

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
  if (!school || !canCoordinate(school, c, actor.staffId)) {
    throw new HwcError('case.not-authorized', `actor may not coordinate case ${caseId}`);
  }
  const staff = [...school.coordinators, ...school.deputies].find((p) => p.id === actor.staffId);
  if (!staff) throw new HwcError('case.not-authorized', `actor is not on the staff list of ${school.id}`);
  return { school, c, staff };
}

/** The coordinator opens the card: the signal's content, served only to them. */
export async function viewCase(services: Services, caseId: string, actor: Actor): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForCoordinator(services, caseId, actor);
  return coordinatorViewCard(school, c, actor.staffId, actor.locale);
}

/**
 * 'Oppakken': the first coordinator to claim owns the case. Whoever comes second sees who
 * was first. The other coordinators' cards say, without naming the pupil, that it is taken.
 */
export async function claim(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const { school, staff } = await loadForCoordinator(services, caseId, actor);
  let result: Transition;
  try {
    result = await mutateCase(services.store, caseId, (current) =>
      claimCase(school, current, staff, services.clock()),
    );
  } catch (error) {
    if (!isHwcError(error, 'case.already-claimed')) throw error;
    ctx.log.info({ caseId }, 'claim refused: already claimed by another coordinator');
    return viewCase(services, caseId, actor);
  }
  if (result.changed) {
    ctx.log.info({ caseId, schoolId: school.id }, 'case claimed');
    await markOthersTaken(services, result.case, staff, ctx);
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale);
}

async function markOthersTaken(
  services: Services,
  c: HwcCase,
  owner: StaffMember,
  ctx: RequestContext,
): Promise<void> {
  const others = c.shells.filter((s) => s.staffId !== owner.id);
  const results = await Promise.allSettled(
    others.map((shell) =>
      services.messenger.updateCard(
        shell,
        shellCard(c.id, shell, stringsFor(shell.locale).shell.claimedBy(owner.name)),
      ),
    ),
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
  const { school, staff } = await loadForCoordinator(services, caseId, actor);
  let result: Transition;
  try {
    result = await mutateCase(services.store, caseId, (current) =>
      closeAsNotOurPupil(school, current, staff, services.clock()),
    );
  } catch (error) {
    if (!isHwcError(error, 'case.already-claimed')) throw error;
    return viewCase(services, caseId, actor);
  }
  if (result.changed) await finishCase(services, result.case, ctx);
  return noticeCard('closed', actor.locale);
}
