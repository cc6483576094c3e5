import { supportDayFor } from '../domain/calendar';
import { openCase, recordShells, type HwcCase, type PostedShell } from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import type { SignalInput } from '../domain/signal';
import { errorSummary } from '../logging/error-summary';
import { mutateCase } from '../store/case-store';
import { shellCard, takenShellCard } from './case-cards';
import { neutralizeShells } from './end-case';
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
      const shell: PostedShell = { staffId: coordinator.id, role: 'coordinator', ...posted, ...addressee };
      await keepTrackOf(services, created.id, shell, ctx);
      return shell;
    }),
  );
  const delivered = attempts.filter((a) => a.status === 'fulfilled').length;
  attempts.forEach((a, index) => {
    if (a.status === 'rejected') {
      log.warn({ coordinator: index, ...errorSummary(a.reason) }, 'could not reach a coordinator');
    }
  });

  if (delivered === 0) {
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

  log.info(
    {
      origin: origin.kind,
      deliveredTo: delivered,
      coordinators: school.coordinators.length,
      supportDay: supportDay.date,
    },
    'signal delivered',
  );
  return { signalId: services.newId(), deliveredTo: delivered };
}

/**
 * Records a card as soon as it is posted, so a claim or a close that comes in while the other
 * cards are still going out finds it. If the case already ended, the card is blanked at once;
 * if someone already took it on, the card says so.
 */
async function keepTrackOf(
  services: Services,
  caseId: string,
  shell: PostedShell,
  ctx: RequestContext,
): Promise<void> {
  let current: HwcCase;
  try {
    current = (await mutateCase(services.store, caseId, (c) => recordShells(c, [shell]))).case;
  } catch (error) {
    await neutralizeShells(services, [shell], ctx);
    if (isHwcError(error, 'case.not-found')) return;
    throw error;
  }
  if (current.claim && current.claim.by.id !== shell.staffId) {
    await services.messenger.updateCard(shell, takenShellCard(current, shell));
  }
}
