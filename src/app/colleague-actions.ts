import type { AdaptiveCardJson } from '../cards/card-data';
import { acknowledge as acknowledgeOnCase, colleagueOf, completeIfDone, type HwcCase } from '../domain/case';
import { HwcError } from '../domain/errors';
import type { School } from '../domain/school';
import { mutateCase } from '../store/case-store';
import { colleagueViewCard, noticeCard } from './case-cards';
import type { Actor } from './case-access';
import { finishCase } from './end-case';
import type { RequestContext, Services } from './ports';
import { updateCoordinatorShells } from './shells';

/** Only the colleague the card was sent to sees it: a forwarded or guessed case id shows nothing. */
export async function loadForColleague(
  services: Services,
  caseId: string,
  actor: Actor,
): Promise<{ school: School; c: HwcCase }> {
  const c = await services.store.get(caseId);
  const school = c && services.schools.get(c.schoolId);
  if (!c || !school) throw new HwcError('case.not-found', `case ${caseId} is not in the store`);
  colleagueOf(c, actor.staffId);
  return { school, c };
}

function viewFor(services: Services, school: School, c: HwcCase, actor: Actor): AdaptiveCardJson {
  return colleagueViewCard(school, c, colleagueOf(c, actor.staffId), actor.locale, services.clock());
}

/** 'Bekijk' and the refresh of a colleague's card. */
export async function colleagueView(
  services: Services,
  caseId: string,
  actor: Actor,
): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForColleague(services, caseId, actor);
  return viewFor(services, school, c, actor);
}

/**
 * 'Gelezen': the coordinator's card counts it. The last acknowledgement, with the parents step
 * recorded, closes the case.
 */
export async function acknowledge(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const { school } = await loadForColleague(services, caseId, actor);
  let before: HwcCase | undefined;
  const result = await mutateCase(services.store, caseId, (current) => {
    before = current;
    const now = services.clock();
    const acknowledged = acknowledgeOnCase(current, actor.staffId, now);
    return completeIfDone(acknowledged.case, now, acknowledged.changed);
  });
  if (result.changed) ctx.log.info({ caseId }, 'colleague acknowledged');
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('acknowledgedAndClosed', actor.locale);
  }
  if (result.changed && before) await updateCoordinatorShells(services, school, before, ctx);
  return viewFor(services, school, result.case, actor);
}
