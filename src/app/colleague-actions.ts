import type { AdaptiveCardJson } from '../cards/card-data';
import {
  acknowledge as acknowledgeOnCase,
  canReportAbsence,
  colleagueOf,
  completeIfDone,
  pupilAbsentByColleague,
  type HwcCase,
} from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import type { School } from '../domain/school';
import { mutateCase } from '../store/case-store';
import { colleagueViewCard, confirmCard, noticeCard } from './case-cards';
import type { Actor } from './case-access';
import { finishCase } from './end-case';
import type { RequestContext, Services } from './ports';
import { updateColleagueShellsAfterMove, updateCoordinatorShells } from './shells';

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

/**
 * 'Leerling is er vandaag niet' on the group teacher's card (teacher first), asked first like the
 * coordinator's: confirmed, the case moves to the next school day, or closes after too many. The
 * coordinator's card says so, and every colleague's posted card names the new day.
 */
export async function reportAbsenceAsColleague(
  services: Services,
  caseId: string,
  forDay: string,
  confirmed: boolean,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForColleague(services, caseId, actor);
  const now = services.clock();
  if (!confirmed && c.supportDay.date === forDay && canReportAbsence(school, c, now)) {
    return confirmCard('pupilAbsent', school, c, actor.locale, 'colleague');
  }
  let before: HwcCase | undefined;
  let result;
  try {
    result = await mutateCase(services.store, caseId, (current) => {
      before = current;
      return pupilAbsentByColleague(school, current, actor.staffId, forDay, services.clock());
    });
  } catch (error) {
    // A stale card (the parents step was chosen meanwhile, or it is not the day yet): the card
    // shows what is possible now.
    if (!isHwcError(error, 'case.wrong-step') && !isHwcError(error, 'case.not-support-day')) throw error;
    return colleagueView(services, caseId, actor);
  }
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('pupilAbsent', actor.locale);
  }
  const seen = before;
  if (result.changed && seen) {
    const moved = result.case;
    ctx.log.info(
      { caseId, absences: moved.absences, supportDay: moved.supportDay.date },
      'pupil absent, said by a colleague: case moved',
    );
    services.background.start(
      undefined,
      async () => {
        await updateCoordinatorShells(services, school, seen, ctx);
        await updateColleagueShellsAfterMove(services, school, moved, ctx);
      },
      ctx,
    );
  }
  return viewFor(services, school, result.case, actor);
}
