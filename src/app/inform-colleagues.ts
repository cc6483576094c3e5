import type { AdaptiveCardJson } from '../cards/card-data';
import {
  completeIfDone,
  recordDelivery,
  remindAutomatically,
  remindColleagues,
  waitingColleagues,
  type HwcCase,
  type InformedColleague,
} from '../domain/case';
import type { School } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { mutateCase } from '../store/case-store';
import { stringsFor } from '../i18n/strings';
import { coordinatorViewCard, shellCard, shellContext, type ShellContext } from './case-cards';
import { asCoordinator, unlessGone, type Actor } from './case-access';
import type { RequestContext, Services } from './ports';
import { finishCase } from './end-case';
import { postShell, settleAll, updateCoordinatorShells } from './shells';

/**
 * Sends every chosen colleague a private shell (also one added later, to inform the parents). A colleague Teams cannot reach (the app is not
 * installed and cannot be) is marked so, and the coordinator's view tells them to go in person.
 * The automatic reminder is scheduled once the cards are out, and the coordinator's card shows
 * the progress since `beforeTalk`.
 */
export async function informColleagues(
  services: Services,
  school: School,
  c: HwcCase,
  beforeTalk: HwcCase,
  ctx: RequestContext,
): Promise<void> {
  const pending = c.colleagues.filter((p) => p.delivery === 'sending');
  const shell = shellContext(school, c);
  const results = await Promise.allSettled(pending.map((p) => informOne(services, shell, p, ctx)));
  const unreachable = results.filter((r) => r.status === 'fulfilled' && r.value === 'unreachable').length;
  ctx.log.info({ caseId: c.id, colleagues: pending.length, unreachable }, 'colleagues informed');
  const after = await services.store.get(c.id);
  if (!after || after.state === 'closed') return;
  // One asked only to inform the parents gets the parents reminder, not the one to read.
  if (pending.some((p) => !p.parentsOnly)) {
    const remindAt = new Date(services.clock().getTime() + school.reminderAfterMinutes * 60_000);
    await services.scheduler.schedule(`${c.id}:remind`, remindAt, { kind: 'remind', caseId: c.id });
  }
  await updateCoordinatorShells(services, school, beforeTalk, ctx);
}

async function informOne(
  services: Services,
  shell: ShellContext,
  colleague: InformedColleague,
  ctx: RequestContext,
): Promise<'sent' | 'unreachable' | 'gone'> {
  const { caseId } = shell;
  const staffId = colleague.staff.id;
  try {
    const posted = await postShell(
      services,
      caseId,
      { staffId, role: 'colleague' },
      (r) =>
        shellCard(
          shell,
          r,
          colleague.parentsOnly ? stringsFor(r.locale).shell.parentsAsked : '',
          'colleague',
        ),
      ctx,
      (current, recipient) =>
        recordDelivery(current, staffId, {
          sentAt: services.clock(),
          ...(recipient.name ? { name: recipient.name } : {}),
        }),
    );
    return posted.case ? 'sent' : 'gone';
  } catch (error) {
    ctx.log.warn({ caseId, ...errorSummary(error) }, 'could not reach a colleague');
    // The last colleague the case was waiting for may be this one: then it is done.
    const result = await unlessGone(
      mutateCase(services.store, caseId, (current) => {
        const marked = recordDelivery(current, staffId, 'unreachable');
        return completeIfDone(marked.case, services.clock(), marked.changed);
      }),
    );
    if (!result) return 'gone';
    if (result.changed && result.case.state === 'closed') await finishCase(services, result.case, ctx);
    return 'unreachable';
  }
}

/** Posts a new shell to each colleague who has not read theirs: a new message notifies, an update does not. */
async function sendReminders(
  services: Services,
  shell: ShellContext,
  colleagues: readonly InformedColleague[],
  ctx: RequestContext,
): Promise<number> {
  return settleAll(
    colleagues.map((p) =>
      postShell(
        services,
        shell.caseId,
        { staffId: p.staff.id, role: 'colleague' },
        (r) => shellCard(shell, r, stringsFor(r.locale).shell.colleagueReminder, 'colleague'),
        ctx,
      ),
    ),
    ctx,
    'could not remind every colleague',
    { caseId: shell.caseId },
  );
}

/** 'Herinner': notifies again everyone who has not read their card. */
export async function remind(
  services: Services,
  caseId: string,
  round: number,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const outcome = await asCoordinator(services, caseId, actor, (school, current, staff) =>
    remindColleagues(school, current, staff, round),
  );
  if ('view' in outcome) return outcome.view;
  const { school, result } = outcome;
  if (!result.changed) {
    return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
  }
  const shell = shellContext(school, result.case);
  const reminded = await sendReminders(services, shell, waitingColleagues(result.case), ctx);
  ctx.log.info({ caseId, reminded }, 'colleagues reminded');
  const current = (await services.store.get(caseId)) ?? result.case;
  return coordinatorViewCard(school, current, actor.staffId, actor.locale, services.clock(), {
    notes: [stringsFor(actor.locale).view.reminded(reminded)],
  });
}

/** The one automatic reminder, a set time after the cards went out. */
export async function remindAutomaticallyNow(
  services: Services,
  caseId: string,
  ctx: RequestContext,
): Promise<void> {
  const result = await unlessGone(
    mutateCase(services.store, caseId, (c) => remindAutomatically(c, services.clock())),
  );
  const school = result && services.schools.get(result.case.schoolId);
  if (!result?.changed || !school) return;
  const shell = shellContext(school, result.case);
  const reminded = await sendReminders(services, shell, waitingColleagues(result.case), ctx);
  ctx.log.info({ caseId, reminded }, 'colleagues reminded automatically');
}
