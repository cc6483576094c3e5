import type { AdaptiveCardJson } from '../cards/card-data';
import { progressOf, recordParents as recordParentsOnCase, type ParentsChoice } from '../domain/case';
import { coordinatorViewCard, noticeCard } from './case-cards';
import { asCoordinator, type Actor } from './case-access';
import { finishCase } from './end-case';
import type { RequestContext, Services } from './ports';
import { updateCoordinatorShells } from './shells';

/**
 * The parents step, recorded as a choice. With every colleague's acknowledgement in, it closes
 * the case: everything is deleted and the cards turn neutral.
 */
export async function recordParents(
  services: Services,
  caseId: string,
  choice: ParentsChoice,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const outcome = await asCoordinator(services, caseId, actor, (school, current, staff, now) =>
    recordParentsOnCase(school, current, staff, choice, now),
  );
  if ('view' in outcome) return outcome.view;
  const { school, before, result } = outcome;
  if (result.changed) ctx.log.info({ caseId, choice }, 'parents step recorded');
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('completed', actor.locale, { unreachable: progressOf(result.case).unreachable });
  }
  if (result.changed) await updateCoordinatorShells(services, school, before, ctx);
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale);
}
