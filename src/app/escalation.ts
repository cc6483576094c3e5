import { escalate, isTeacherFirst, type HwcCase } from '../domain/case';
import type { School } from '../domain/school';
import { mutateCase } from '../store/case-store';
import { formatTime, stringsFor } from '../i18n/strings';
import { shellCard, shellContext } from './case-cards';
import { unlessGone } from './case-access';
import type { RequestContext, Services } from './ports';
import { markIfTakenMeanwhile, postShell, settleAll } from './shells';

/** When the deputies are brought in: a set time before lessons, or at once if that has passed. */
export function escalationTime(school: School, c: HwcCase): Date {
  return new Date(c.supportDay.lessonStart.getTime() - school.escalateMinutesBeforeLessons * 60_000);
}

/** The task holds the id only, never the case: it reads the case when it runs. */
export function scheduleEscalation(services: Services, school: School, c: HwcCase): Promise<void> {
  return services.scheduler.schedule(`${c.id}:escalate`, escalationTime(school, c), {
    kind: 'escalate',
    caseId: c.id,
  });
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
  const result = await unlessGone(mutateCase(services.store, caseId, (c) => escalate(c, services.clock())));
  if (!result?.changed) return;
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
          (r) => {
            const t = stringsFor(r.locale);
            const text = isTeacherFirst(school, c)
              ? t.teacherFirst.deputyEscalation
              : t.shell.deputyEscalation;
            return shellCard(shellContext(school, c), r, text);
          },
          ctx,
        ).then((posted) => markIfTakenMeanwhile(services, school, posted, ctx)),
      ),
    ...(remindCoordinators ? school.coordinators : []).map((p) =>
      postShell(
        services,
        c.id,
        { staffId: p.id, role: 'coordinator' },
        (r) => shellCard(shellContext(school, c), r, stringsFor(r.locale).shell.coordinatorReminder(lessons)),
        ctx,
      ).then((posted) => markIfTakenMeanwhile(services, school, posted, ctx)),
    ),
  ];
  const reached = await settleAll(sends, ctx, 'could not reach everyone at escalation', { caseId });
  ctx.log.info(
    {
      caseId,
      schoolId: school.id,
      deputies: school.deputies.length,
      reached,
    },
    'unclaimed before lessons: escalated to the deputies',
  );
}
