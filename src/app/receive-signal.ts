import { supportDayFor } from '../domain/calendar';
import { openCase, recordShells, type HwcCase, type PostedShell } from '../domain/case';
import { HwcError } from '../domain/errors';
import type { SignalInput } from '../domain/signal';
import { errorSummary } from '../logging/error-summary';
import { mutateCase } from '../store/case-store';
import { noticeCard, shellCard } from './case-cards';
import type { RecipientContext, RequestContext, Services } from './ports';

export interface SignalOrigin {
  kind: 'api-key' | 'entra' | 'teams';
  id: string;
}

export interface SignalReceipt {
  signalId: string;
  deliveredTo: number;
}

/**
 * A signal comes in: it becomes a case for the school's support day, and every coordinator
 * gets a neutral card in their personal chat. If not one card could be posted, nothing is
 * kept and the sender is told to try again: the sender still holds the signal, we do not.
 */
export async function receiveSignal(
  services: Services,
  signal: SignalInput,
  origin: SignalOrigin,
  ctx: RequestContext,
): Promise<SignalReceipt> {
  const school = services.schools.get(signal.schoolId);
  if (!school) throw new HwcError('signal.unknown-school', 'the signal names no configured school');

  const receivedAt = services.clock();
  const supportDay = supportDayFor(school, receivedAt);
  const created = openCase({
    id: services.newId(),
    schoolId: school.id,
    pupil: { ...signal.pupil },
    source: signal.source,
    receivedAt,
    supportDay,
  });
  await services.store.create(created, supportDay.dayEnd);
  const log = ctx.log.child({ caseId: created.id, schoolId: school.id });

  const attempts = await Promise.allSettled(
    school.coordinators.map(async (coordinator): Promise<PostedShell> => {
      let addressee: RecipientContext = {};
      const posted = await services.messenger.sendCard({ staffId: coordinator.id }, (recipient) => {
        addressee = recipient;
        return shellCard(created.id, recipient);
      });
      return { staffId: coordinator.id, role: 'coordinator', ...posted, ...addressee };
    }),
  );
  const shells = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
  attempts.forEach((a, index) => {
    if (a.status === 'rejected') {
      log.warn({ coordinator: index, ...errorSummary(a.reason) }, 'could not reach a coordinator');
    }
  });

  if (shells.length === 0) {
    await services.store.delete(created.id);
    log.error(
      { origin: origin.kind, coordinators: school.coordinators.length },
      'no coordinator reachable; signal not kept',
    );
    throw new HwcError(
      'delivery.no-coordinator-reachable',
      `no coordinator of school ${school.id} could be reached`,
    );
  }

  try {
    await mutateCase(services.store, created.id, (current) => recordShells(current, shells));
  } catch (error) {
    // Closed (or expired) while the cards were still going out: blank them right away.
    await neutralizeShells(services, shells, ctx);
    if (!(error instanceof HwcError && error.code === 'case.not-found')) throw error;
  }

  log.info(
    {
      origin: origin.kind,
      deliveredTo: shells.length,
      coordinators: school.coordinators.length,
      supportDay: supportDay.date,
    },
    'signal delivered',
  );
  return { signalId: services.newId(), deliveredTo: shells.length };
}

/** Turns every card posted for a case into a neutral 'completed' card. */
export async function neutralizeShells(
  services: Services,
  shells: readonly PostedShell[],
  ctx: RequestContext,
): Promise<void> {
  const results = await Promise.allSettled(
    shells.map((shell) => services.messenger.updateCard(shell, noticeCard('closed', shell.locale))),
  );
  const failed = results.filter((r) => r.status === 'rejected').length;
  if (failed > 0) ctx.log.warn({ failed, total: shells.length }, 'could not neutralize every card');
}

/** Deletes a closed case and blanks its cards. Nothing of it stays behind. */
export async function finishCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  await services.store.delete(c.id);
  await neutralizeShells(services, c.shells, ctx);
  ctx.log.info({ caseId: c.id, schoolId: c.schoolId, reason: c.closed?.reason }, 'case closed and deleted');
}
