import type { AdaptiveCardJson } from '../cards/card-data';
import {
  recordShells,
  type HwcCase,
  type PostedShell,
  type ShellRole,
  type Transition,
} from '../domain/case';
import { isHwcError } from '../domain/errors';
import type { School } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { mutateCase } from '../store/case-store';
import { coordinatorShellCard, shellCard, shellContext } from './case-cards';
import { formatDay, stringsFor } from '../i18n/strings';
import type { RecipientContext, RequestContext, SendOptions, Services } from './ports';

export interface PostedFor {
  shell: PostedShell;
  recipient: RecipientContext;
  /** The case after the shell was recorded; undefined when the case ended meanwhile. */
  case: HwcCase | undefined;
}

/**
 * Posts a shell to one person and records it on the case at once, so closing the case finds it.
 * `alsoRecord` changes the case in the same step (a colleague's delivery, say); `send` is passed to
 * the messenger (how long throttling is waited out). If the case ended
 * while the card was on its way, the card is taken out again straight away.
 */
export async function postShell(
  services: Services,
  caseId: string,
  to: { staffId: string; role: ShellRole },
  card: (recipient: RecipientContext) => AdaptiveCardJson,
  ctx: RequestContext,
  alsoRecord?: (current: HwcCase, recipient: RecipientContext) => Transition,
  send?: SendOptions,
): Promise<PostedFor> {
  let recipient: RecipientContext = {};
  const posted = await services.messenger.sendCard(
    { staffId: to.staffId },
    (r) => {
      recipient = r;
      return card(r);
    },
    send,
  );
  const shell: PostedShell = {
    staffId: to.staffId,
    role: to.role,
    ...posted,
    ...(recipient.teamsUserId ? { teamsUserId: recipient.teamsUserId } : {}),
    ...(recipient.locale ? { locale: recipient.locale } : {}),
  };
  let current: HwcCase;
  try {
    current = (
      await mutateCase(services.store, caseId, (c) =>
        recordShells(alsoRecord ? alsoRecord(c, recipient).case : c, [shell]),
      )
    ).case;
  } catch (error) {
    const ending = await services.store.ending(caseId).catch(() => undefined);
    services.cleanup.forget([shell], ending, ctx);
    if (isHwcError(error, 'case.not-found')) return { shell, recipient, case: undefined };
    throw error;
  }
  if (current.state === 'closed') {
    services.cleanup.forget([shell], current.closed?.reason, ctx);
    return { shell, recipient, case: undefined };
  }
  return { shell, recipient, case: current };
}

/**
 * Waits for every one of a batch of Teams calls and logs how many failed, with the first error's
 * code: one person Teams cannot reach must not stop the others. Returns how many succeeded.
 */
export async function settleAll(
  work: readonly Promise<unknown>[],
  ctx: RequestContext,
  failureMessage: string,
  fields: Record<string, unknown> = {},
): Promise<number> {
  const results = await Promise.allSettled(work);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    ctx.log.warn(
      { ...fields, failed: failures.length, total: results.length, ...errorSummary(failures[0]) },
      failureMessage,
    );
  }
  return results.length - failures.length;
}

/**
 * A coordinator's or deputy's card that went out as 'not yet claimed' while someone claimed the
 * case: it is brought up to date at once, so it says who took it on.
 */
export async function markIfTakenMeanwhile(
  services: Services,
  school: School,
  posted: PostedFor,
  ctx: RequestContext,
): Promise<void> {
  const c = posted.case;
  if (!c?.claim || c.claim.by.id === posted.shell.staffId) return;
  await services.messenger
    .updateCard(posted.shell, coordinatorShellCard(school, c, posted.shell))
    .catch((error: unknown) =>
      ctx.log.warn({ caseId: c.id, ...errorSummary(error) }, 'could not mark a card as taken'),
    );
}

/**
 * Brings the coordinators' and deputies' shells up to date with neutral progress ('Opgepakt door
 * …', '2 van 3 gelezen'), touching only those whose text changed. Progress is a courtesy: a
 * failed update is logged, never fatal.
 */
export async function updateCoordinatorShells(
  services: Services,
  school: School,
  before: HwcCase,
  ctx: RequestContext,
): Promise<void> {
  // The case as it is now, not as the caller saw it: progress never overtakes a later state, and
  // an ended case's cards stay neutral.
  const after = await services.store.get(before.id);
  if (!after || after.state === 'closed') return;
  const changed = after.shells.filter((shell) => {
    if (shell.role === 'colleague') return false;
    const text = (c: HwcCase) => JSON.stringify(coordinatorShellCard(school, c, shell));
    return text(before) !== text(after);
  });
  await settleAll(
    changed.map((shell) => services.messenger.updateCard(shell, coordinatorShellCard(school, after, shell))),
    ctx,
    'could not update every coordinator card',
    { caseId: after.id },
  );
}

/**
 * In teacher first the pupil may be absent after the teacher was told: the colleagues' posted
 * cards name the day, so they are brought to the new one ('Verplaatst naar …'), neutrally.
 */
export async function updateColleagueShellsAfterMove(
  services: Services,
  school: School,
  c: HwcCase,
  ctx: RequestContext,
): Promise<void> {
  const shells = c.shells.filter((shell) => shell.role === 'colleague');
  if (shells.length === 0) return;
  const context = shellContext(school, c);
  await settleAll(
    shells.map((shell) =>
      services.messenger.updateCard(
        shell,
        shellCard(
          context,
          shell,
          stringsFor(shell.locale).shell.movedTo(
            formatDay(c.supportDay.lessonStart, school.timeZone, shell.locale),
          ),
          'colleague',
        ),
      ),
    ),
    ctx,
    'could not update every colleague card',
    { caseId: c.id },
  );
}
