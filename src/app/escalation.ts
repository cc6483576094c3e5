import { escalate, type HwcCase } from '../domain/case';
import type { School } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { mutateCase } from '../store/case-store';
import { formatTime, stringsFor } from '../i18n/strings';
import { shellCard } from './case-cards';
import type { RequestContext, Services } from './ports';
import { postShell } from './shells';

/** When the deputies are brought in: a set time before lessons, or at once if that has passed. */
export function escalationTime(school: School, c: HwcCase): Date {
  return new Date(c.supportDay.lessonStart.getTime() - school.escalateMinutesBeforeLessons * 60_000);
}

export function scheduleEscalation(services: Services, school: School, c: HwcCase): void {
  services.scheduler.schedule(`${c.id}:escalate`, escalationTime(school, c), () =>
    escalateIfUnclaimed(services, c.id, services.newContext()),
  );
}

/**
 * Nobody claimed the case shortly before lessons: every deputy gets the signal too, and every
 * coordinator a new card as a reminder (a new message notifies; an updated one does not).
 */
export async function escalateIfUnclaimed(
  services: Services,
  caseId: string,
  ctx: RequestContext,
): Promise<void> {
  const current = await services.store.get(caseId);
  const school = current && services.schools.get(current.schoolId);
  if (!current || !school) return;
  const result = await mutateCase(services.store, caseId, (c) => escalate(c, services.clock()));
  if (!result.changed) return;
  const c = result.case;
  const lessons = formatTime(c.supportDay.lessonStart, school.timeZone);
  const coordinatorIds = new Set(school.coordinators.map((p) => p.id));
  // Coordinators who got the signal only just now (it came in after the escalation point) need
  // no reminder; the deputies are brought in all the same.
  const remindCoordinators = c.receivedAt.getTime() < escalationTime(school, c).getTime();
  const sends = [
    ...school.deputies
      .filter((p) => !coordinatorIds.has(p.id))
      .map((p) =>
        postShell(
          services,
          c.id,
          { staffId: p.id, role: 'deputy' },
          (r) => shellCard(c.id, r, stringsFor(r.locale).shell.deputyEscalation),
          ctx,
        ),
      ),
    ...(remindCoordinators ? school.coordinators : []).map((p) =>
      postShell(
        services,
        c.id,
        { staffId: p.id, role: 'coordinator' },
        (r) => shellCard(c.id, r, stringsFor(r.locale).shell.coordinatorReminder(lessons)),
        ctx,
      ),
    ),
  ];
  const results = await Promise.allSettled(sends);
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length > 0) {
    ctx.log.warn(
      { caseId, failed: failed.length, ...errorSummary((failed[0] as PromiseRejectedResult).reason) },
      'could not reach everyone at escalation',
    );
  }
  ctx.log.info(
    {
      caseId,
      schoolId: school.id,
      deputies: school.deputies.length,
      reached: results.length - failed.length,
    },
    'unclaimed before lessons: escalated to the deputies',
  );
}
