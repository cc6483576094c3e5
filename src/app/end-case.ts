import type { HwcCase, PostedShell } from '../domain/case';
import { errorSummary } from '../logging/error-summary';
import { noticeCard } from './case-cards';
import type { RequestContext, Services } from './ports';

/** Turns cards posted for a case into a neutral 'completed' card, each in its addressee's language. */
export async function neutralizeShells(
  services: Services,
  shells: readonly PostedShell[],
  ctx: RequestContext,
): Promise<void> {
  const results = await Promise.allSettled(
    shells.map((shell) => services.messenger.updateCard(shell, noticeCard('closed', shell.locale))),
  );
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  if (failures.length > 0) {
    ctx.log.warn(
      { failed: failures.length, total: shells.length, ...errorSummary(failures[0]) },
      'could not neutralize every card',
    );
  }
}

/** A closed case: deleted at once, and its cards blanked. Nothing of it stays behind. */
export async function finishCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  await services.store.delete(c.id);
  await neutralizeShells(services, c.shells, ctx);
  ctx.log.info({ caseId: c.id, schoolId: c.schoolId, reason: c.closed?.reason }, 'case closed and deleted');
}

/** The support day ended: the store has already dropped the case; its cards are blanked too. */
export async function expireCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  await neutralizeShells(services, c.shells, ctx);
  ctx.log.info({ caseId: c.id, schoolId: c.schoolId, state: c.state }, 'case expired and deleted');
}
