import { BackgroundWork } from '../../src/app/background-work';
import { CardCleanup } from '../../src/app/card-cleanup';
import { caseFigures } from '../../src/domain/case-figures';
import { MonthlyStats } from '../../src/stats/monthly-stats';
import { emptyDirectory, schoolRegistry, type Services } from '../../src/app/ports';
import { runScheduledTask } from '../../src/app/scheduled-tasks';
import type { School } from '../../src/domain/school';
import { createLogger } from '../../src/logging/logger';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { InMemoryCaseStore } from '../../src/store/in-memory-case-store';

/**
 * Services for use-case tests without HTTP: an in-memory store, no directory, a silent log. Unless
 * the test brings a scheduler of its own, follow-ups run from an in-process scheduler on the
 * test's clock, as in the app.
 */
export function testServices(
  schools: School[],
  overrides: Partial<Services> & Pick<Services, 'messenger'>,
): Services {
  let n = 0;
  let cards = 0;
  const stats = new MonthlyStats();
  const clock = overrides.clock ?? (() => new Date('2026-11-23T06:00:00Z'));
  const ownScheduler = overrides.scheduler ? undefined : new InProcessScheduler(() => clock().getTime());
  const scheduler = overrides.scheduler ?? ownScheduler!;
  const newContext =
    overrides.newContext ?? (() => ({ correlationId: 'background', log: createLogger({ level: 'silent' }) }));
  const newId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const services: Services = {
    schools: schoolRegistry(schools),
    store: new InMemoryCaseStore({ scheduler, now: () => clock().getTime() }),
    directory: emptyDirectory,
    scheduler,
    clock,
    newId,
    newContext,
    cleanup: new CardCleanup({
      messenger: overrides.messenger,
      scheduler,
      clock,
      newId: () => `card-${++cards}`,
    }),
    background: new BackgroundWork(),
    stats: { caseEnded: (c, school) => stats.add(caseFigures(c, school.timeZone)) },
    ...overrides,
  };
  ownScheduler?.start((task) => runScheduledTask(services, task));
  return services;
}
