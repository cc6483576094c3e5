import { nextSchoolDayAfter, supportDayFor } from '../domain/calendar';
import { openCase } from '../domain/case';
import { HwcError } from '../domain/errors';
import type { SignalInput } from '../domain/signal';
import { errorSummary } from '../logging/error-summary';
import { shellCard, shellContext } from './case-cards';
import { scheduleEscalation } from './escalation';
import { noMetrics, type RequestContext, type Services } from './ports';
import { markIfTakenMeanwhile, postShell } from './shells';

export interface SignalOrigin {
  kind: 'api-key' | 'entra' | 'teams' | 'mail';
  id: string;
  /** When the signal reached the school, if earlier than now (a mail read after it arrived). */
  receivedAt?: Date;
  /** A mail's sender, to be told when the pupil is not ours (schools with `receipts`). */
  mailSender?: { mailbox: string; address: string };
}

export interface SignalReceipt {
  signalId: string;
  deliveredTo: number;
}

/** The receipt with what the intake API keeps to answer the sender later: no pupil data. */
export interface DeliveredSignal extends SignalReceipt {
  caseId: string;
  /** The end of the case's support day, when it was received. */
  supportDayEnd: Date;
  /**
   * The end of the last day the case can be on: its support day, moved a school day on as often as
   * the pupil may be absent (maxPupilAbsentDays). Nothing of the case outlives it.
   */
  latestDayEnd: Date;
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
  // Only these two: the Teams intake keeps the receipt, and its ledger takes nothing else.
  const { signalId, deliveredTo } = await deliverSignal(services, signal, origin, ctx);
  return { signalId, deliveredTo };
}

/** receiveSignal, also naming the case and its support day's end (for the intake API's receipts). */
export async function deliverSignal(
  services: Services,
  signal: SignalInput,
  origin: SignalOrigin,
  ctx: RequestContext,
): Promise<DeliveredSignal> {
  const school = services.schools.get(signal.schoolId);
  if (!school) throw new HwcError('signal.unknown-school', 'the signal names no configured school');

  const metrics = services.metrics ?? noMetrics;
  metrics.signalReceived(origin.kind);
  const receivedAt = origin.receivedAt ?? services.clock();
  const supportDay = supportDayFor(school, receivedAt);
  const created = openCase({
    id: services.newId(),
    schoolId: school.id,
    pupil: { ...signal.pupil },
    source: signal.source,
    receivedAt,
    supportDay,
    ...(origin.mailSender ? { mailSender: origin.mailSender } : {}),
  });
  await services.store.create(created, supportDay.dayEnd);
  const log = ctx.log.child({ caseId: created.id, schoolId: school.id });

  const attempts = await Promise.allSettled(
    school.coordinators.map((coordinator) =>
      postShell(
        services,
        created.id,
        { staffId: coordinator.id, role: 'coordinator' },
        (recipient) => shellCard(shellContext(school, created), recipient),
        ctx,
      ).then((posted) => markIfTakenMeanwhile(services, school, posted, ctx)),
    ),
  );
  const delivered = attempts.filter((a) => a.status === 'fulfilled').length;
  attempts.forEach((a, index) => {
    if (a.status === 'rejected') {
      log.warn({ coordinator: index, ...errorSummary(a.reason) }, 'could not reach a coordinator');
    }
  });

  if (delivered === 0) {
    metrics.deliveryFailed('no-coordinator-reachable');
    await services.store.delete(created.id);
    await services.scheduler.cancel(`${created.id}:`);
    log.error(
      { origin: origin.kind, coordinators: school.coordinators.length },
      'no coordinator reachable; signal not kept',
    );
    throw new HwcError(
      'delivery.no-coordinator-reachable',
      `no coordinator of school ${school.id} could be reached`,
    );
  }

  metrics.signalDelivered(origin.kind);
  // Unless a coordinator was quick enough to close it already ('niet onze leerling').
  try {
    if (await services.store.get(created.id)) await scheduleEscalation(services, school, created);
  } catch (error) {
    // The case is stored and its cards are out, so the signal is accepted: only the escalation is missing.
    log.error(errorSummary(error), 'could not schedule the escalation of a delivered signal');
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
  let latest = supportDay;
  for (let i = 0; i < school.maxPupilAbsentDays; i++) latest = nextSchoolDayAfter(school, latest.date);
  return {
    signalId: services.newId(),
    deliveredTo: delivered,
    caseId: created.id,
    supportDayEnd: supportDay.dayEnd,
    latestDayEnd: latest.dayEnd,
  };
}
