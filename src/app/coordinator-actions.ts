import type { AdaptiveCardJson } from '../cards/card-data';
import {
  claimCase,
  closeAsNotOurPupil,
  closeEarly,
  handOver as handOverCase,
  progressOf,
  type HwcCase,
} from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import { coordinatingStaff, type School } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { confirmCard, coordinatorViewCard, noticeCard, shellCard, shellContext } from './case-cards';
import { asCoordinator, loadForCoordinator, type Actor, type CommandOutcome } from './case-access';
import { finishCase } from './end-case';
import type { RequestContext, Services } from './ports';
import { postShell, updateCoordinatorShells } from './shells';
import { formatDateTime, stringsFor } from '../i18n/strings';

export type { Actor } from './case-access';

/** The coordinator opens the card: the signal's content, served only to them. */
export async function viewCase(services: Services, caseId: string, actor: Actor): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForCoordinator(services, caseId, actor);
  return coordinatorViewCard(school, c, actor.staffId, actor.locale, services.clock());
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
  const { school, before, result } = outcome;
  if (result.changed) {
    ctx.log.info({ caseId, schoolId: school.id }, 'case claimed');
    services.metrics?.caseClaimed(result.case.claimedBeforeLessons === true);
    await services.scheduler.cancel(`${caseId}:escalate`);
    // The other coordinators' cards say who took it on, after the answer: Teams is not waited for.
    services.background.start(undefined, () => updateCoordinatorShells(services, school, before, ctx), ctx);
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}

/** Ends the case when a command closed it; answers with `closedCard` then, else with the view. */
async function settle(
  services: Services,
  outcome: Exclude<CommandOutcome, { view: AdaptiveCardJson }>,
  actor: Actor,
  ctx: RequestContext,
  closedCard: (c: HwcCase) => AdaptiveCardJson,
): Promise<AdaptiveCardJson> {
  const { school, before, result } = outcome;
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return closedCard(result.case);
  }
  if (result.changed) await updateCoordinatorShells(services, school, before, ctx);
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}

/**
 * 'Niet onze leerling': asked first, because it deletes the case at once. Confirmed, the case is
 * closed and deleted, and every card for it says so.
 */
export async function notOurPupil(
  services: Services,
  caseId: string,
  confirmed: boolean,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  if (!confirmed) {
    const { school, c } = await loadForCoordinator(services, caseId, actor);
    // Someone else's case, or past the talk: the view says why there is nothing to confirm.
    const askable = !c.talk && (!c.claim || c.claim.by.id === actor.staffId);
    return askable
      ? confirmCard('notOurPupil', school, c, actor.locale)
      : coordinatorViewCard(school, c, actor.staffId, actor.locale, services.clock());
  }
  const outcome = await asCoordinator(services, caseId, actor, closeAsNotOurPupil);
  if ('view' in outcome) return outcome.view;
  const { school, result } = outcome;
  const sender = result.case.mailSender;
  if (result.changed && sender) {
    const receivedAt = result.case.receivedAt;
    services.background.start(
      undefined,
      () => tellSenderNotOurPupil(services, school, receivedAt, sender, ctx),
      ctx,
    );
  }
  return settle(services, outcome, actor, ctx, () => noticeCard('notOurPupil', actor.locale));
}

/** 'Afsluiten': the owner closes the case before everything is done. */
export async function closeCase(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const outcome = await asCoordinator(services, caseId, actor, closeEarly);
  if ('view' in outcome) return outcome.view;
  return settle(services, outcome, actor, ctx, (c) =>
    noticeCard('closedEarly', actor.locale, { unreachable: progressOf(c).unreachable }),
  );
}

/**
 * 'Overdragen': the owner hands the case to another coordinator or deputy, who gets a new card
 * (a new message notifies them; a deputy may have had none yet).
 */
export async function handOver(
  services: Services,
  caseId: string,
  toStaffId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const outcome = await asCoordinator(services, caseId, actor, (school, current, staff, now) => {
    const to = coordinatingStaff(school, toStaffId);
    if (!to) throw new HwcError('action.invalid', 'a case is handed over only to a coordinator or deputy');
    return handOverCase(school, current, staff, to, now);
  });
  if ('view' in outcome) return outcome.view;
  const { school, staff, before, result } = outcome;
  if (result.changed) {
    const shell = shellContext(school, result.case);
    ctx.log.info({ caseId, schoolId: school.id }, 'case handed over');
    await updateCoordinatorShells(services, school, before, ctx);
    await postShell(
      services,
      caseId,
      {
        staffId: toStaffId,
        role: school.coordinators.some((p) => p.id === toStaffId) ? 'coordinator' : 'deputy',
      },
      (r) => shellCard(shell, r, stringsFor(r.locale).shell.handedOverToYou(staff.name)),
      ctx,
    ).catch((error: unknown) => {
      // The hand-over stands: the new owner sees it in their earlier card or when they open the bot.
      ctx.log.warn(
        { caseId, code: isHwcError(error) ? error.code : undefined },
        'could not notify the new owner',
      );
    });
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}

/**
 * The sender of a mailed signal hears that it must go to another school: a new mail naming when
 * it was sent, never whom. The case is gone by then; this holds only the address and the time.
 */
async function tellSenderNotOurPupil(
  services: Services,
  school: School,
  receivedAt: Date,
  sender: { mailbox: string; address: string },
  ctx: RequestContext,
): Promise<void> {
  const mailbox = services.mail?.mailbox;
  if (!mailbox) return;
  // Senders are Dutch organisations: the answer is in Dutch.
  const t = stringsFor('nl').mail;
  try {
    await mailbox.send(
      sender.mailbox,
      sender.address,
      t.notOurPupilSubject,
      t.notOurPupilBody(school.name, formatDateTime(receivedAt, school.timeZone, 'nl')),
    );
  } catch (error) {
    ctx.log.warn(
      { schoolId: school.id, ...errorSummary(error) },
      'could not tell the sender it is not our pupil',
    );
  }
}
