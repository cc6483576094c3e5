import { CardCleanup } from '../../src/app/card-cleanup';
import { caseFigures } from '../../src/domain/case-figures';
import { MonthlyStats } from '../../src/stats/monthly-stats';
import { emptyDirectory, schoolRegistry, type Services } from '../../src/app/ports';
import type { School } from '../../src/domain/school';
import { createLogger } from '../../src/logging/logger';
import { TimerScheduler } from '../../src/scheduling/timer-scheduler';
import { InMemoryCaseStore } from '../../src/store/in-memory-case-store';

/** Services for use-case tests without HTTP: an in-memory store, no directory, a silent log. */
export function testServices(
  schools: School[],
  overrides: Partial<Services> & Pick<Services, 'messenger'>,
): Services {
  let n = 0;
  const stats = new MonthlyStats();
  const scheduler = overrides.scheduler ?? new TimerScheduler();
  const clock = overrides.clock ?? (() => new Date('2026-11-23T06:00:00Z'));
  const newContext =
    overrides.newContext ?? (() => ({ correlationId: 'background', log: createLogger({ level: 'silent' }) }));
  return {
    schools: schoolRegistry(schools),
    store: new InMemoryCaseStore({ scheduler, now: () => clock().getTime() }),
    directory: emptyDirectory,
    scheduler,
    clock,
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    newContext,
    cleanup: new CardCleanup({ messenger: overrides.messenger, scheduler, clock, newContext }),
    stats: { caseEnded: (c, school) => stats.add(caseFigures(c, school.timeZone)) },
    ...overrides,
  };
}
