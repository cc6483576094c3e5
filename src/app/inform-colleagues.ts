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

// A fan-out that goes quiet this long (its instance died) is taken over by whichever instance
// runs the resume task; while it runs, it pushes the task ahead every RENEW_EVERY_MS.
const RESUME_AFTER_MS = 3 * 60_000;
const RENEW_EVERY_MS = 60_000;

/** The background work of a case's fan-out: one at a time per case on an instance. */
function fanOutKey(caseId: string): string {
  return `inform:${caseId}`;
}

function resumeKey(caseId: string): string {
  return `${caseId}:inform`;
}

function scheduleResume(services: Services, caseId: string): Promise<void> {
  const when = new Date(services.clock().getTime() + RESUME_AFTER_MS);
  return services.scheduler.schedule(resumeKey(caseId), when, { kind: 'inform', caseId });
}

/**
 * Starts sending the colleagues' cards and returns: the click is answered while Teams is still
 * being talked to, and the coordinator's card shows the progress as it happens. The resume task
 * is written first, so that colleagues still 'sending' when this instance dies are sent to by
 * another (each delivery is recorded on the case with its card, so nobody is sent to twice by a
 * resume after their card was recorded).
 */
export async function startInforming(
  services: Services,
  school: School,
  c: HwcCase,
  before: HwcCase,
  ctx: RequestContext,
): Promise<void> {
  try {
    await scheduleResume(services, c.id);
  } catch (error) {
    // The fan-out still starts: only a crash in the middle of it would now need the coordinator.
    ctx.log.warn({ caseId: c.id, ...errorSummary(error) }, 'could not note the fan-out for a resume');
  }
  // A fan-out still running for this case picks up colleagues added meanwhile (it reads the case
  // again when its batch is done), so 'false' here loses nobody.
  services.background.start(
    fanOutKey(c.id),
    () => informColleagues(services, school, c.id, before, ctx),
    ctx,
  );
}

/** The resume task fell due: finish a fan-out that no instance is running any more. */
export async function resumeInforming(
  services: Services,
  caseId: string,
  ctx: RequestContext,
): Promise<void> {
  const c = await services.store.get(caseId);
  const school = c && services.schools.get(c.schoolId);
  if (!c || !school || c.state === 'closed') return;
  if (!c.colleagues.some((p) => p.delivery === 'sending')) return;
  await scheduleResume(services, caseId);
  if (
    !services.background.start(
      fanOutKey(caseId),
      () => informColleagues(services, school, caseId, c, ctx),
      ctx,
    )
  )
    return;
  ctx.log.info({ caseId }, 'resuming the cards to colleagues');
}

/**
 * Sends every colleague still 'sending' a private shell (also one added later, to inform the
 * parents), and goes on until none is left. A colleague Teams cannot reach (the app is not
 * installed and cannot be) is marked so, and the coordinator's view tells them to go in person;
 * Teams' throttling is waited out until the case ends, never a reason to give up on someone.
 * The automatic reminder is scheduled once the cards are out, and the owner's card follows the
 * deliveries ('12 van 30 verstuurd…', then the read count) against `before`.
 */
async function informColleagues(
  services: Services,
  school: School,
  caseId: string,
  before: HwcCase,
  ctx: RequestContext,
): Promise<void> {
  const tried = new Set<string>();
  const renew = setInterval(() => {
    scheduleResume(services, caseId).catch((error: unknown) =>
      ctx.log.warn({ caseId, ...errorSummary(error) }, 'could not push the resume of a fan-out ahead'),
    );
  }, RENEW_EVERY_MS);
  renew.unref();
  // One update of the owner's card at a time, and at most one more behind it: thirty deliveries in
  // a second need two reads of the case and two cards, not thirty.
  let showing: Promise<void> | undefined;
  let again = false;
  const show = (): Promise<void> =>
    updateCoordinatorShells(services, school, before, ctx)
      .catch((error: unknown) =>
        ctx.log.warn({ caseId, ...errorSummary(error) }, 'could not show the progress of the cards'),
      )
      .then(() => {
        if (!again) return undefined;
        again = false;
        return show();
      });
  const progress = (): Promise<void> => {
    if (showing) {
      again = true;
      return showing;
    }
    showing = show().finally(() => (showing = undefined));
    return showing;
  };
  try {
    const shown: Promise<void>[] = [progress()];
    let c = await services.store.get(caseId);
    for (;;) {
      if (!c || c.state === 'closed') return;
      const pending = c.colleagues.filter((p) => p.delivery === 'sending' && !tried.has(p.staff.id));
      if (pending.length === 0) break;
      for (const p of pending) tried.add(p.staff.id);
      const shell = shellContext(school, c);
      const until = c.supportDay.dayEnd;
      const results = await Promise.allSettled(
        pending.map(async (p) => {
          const outcome = await informOne(services, shell, p, until, ctx);
          // Each delivery updates the owner's card; the messenger sends only the newest of quick ones.
          shown.push(progress());
          return outcome;
        }),
      );
      const unreachable = results.filter((r) => r.status === 'fulfilled' && r.value === 'unreachable').length;
      ctx.log.info({ caseId, colleagues: pending.length, unreachable }, 'colleagues informed');
      c = await services.store.get(caseId);
      if (!c || c.state === 'closed') return;
      // One asked only to inform the parents gets the parents reminder, not the one to read.
      if (pending.some((p) => !p.parentsOnly)) {
        const remindAt = new Date(services.clock().getTime() + school.reminderAfterMinutes * 60_000);
        await services.scheduler.schedule(`${caseId}:remind`, remindAt, { kind: 'remind', caseId });
      }
    }
    await Promise.all(shown);
    await services.scheduler.cancel(resumeKey(caseId));
    await progress();
  } finally {
    clearInterval(renew);
  }
}

async function informOne(
  services: Services,
  shell: ShellContext,
  colleague: InformedColleague,
  until: Date,
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
      { until },
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
  const waiting = waitingColleagues(result.case);
  // The new cards go out after the answer: the click does not wait for Teams.
  services.background.start(
    undefined,
    async () => {
      const reminded = await sendReminders(services, shell, waiting, ctx);
      ctx.log.info({ caseId, reminded, of: waiting.length }, 'colleagues reminded');
    },
    ctx,
  );
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock(), {
    notes: [stringsFor(actor.locale).view.reminded(waiting.length)],
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
