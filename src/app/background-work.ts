import { errorSummary } from '../logging/error-summary';
import type { BackgroundWorkPort, RequestContext } from './ports';

/**
 * Work a click starts for other people (their cards, the other coordinators' shells, reminders)
 * and does not wait for: the click is answered first, Teams is talked to after. Like the card
 * cleanup, every piece is tracked, so shutdown and tests can wait for it (`idle`), and a failure
 * is logged, never thrown at a request that has long been answered.
 *
 * A key names a piece of work (`inform:${caseId}`); while one runs, the same key is not started
 * again, so a resume task that falls due during a fan-out does not send a second card.
 */
export class BackgroundWork implements BackgroundWorkPort {
  private readonly running = new Map<string, Promise<void>>();
  private readonly unnamed = new Set<Promise<void>>();

  start(key: string | undefined, work: () => Promise<void>, ctx: RequestContext): boolean {
    if (key !== undefined && this.running.has(key)) return false;
    // A microtask later, so nothing of the work runs inside the click that started it.
    const run: Promise<void> = Promise.resolve()
      .then(work)
      .catch((error: unknown) => ctx.log.error(errorSummary(error), 'background work failed'))
      .finally(() => {
        if (key === undefined) this.unnamed.delete(run);
        else if (this.running.get(key) === run) this.running.delete(key);
      });
    if (key === undefined) this.unnamed.add(run);
    else this.running.set(key, run);
    return true;
  }

  /** How many pieces of work run right now. */
  get size(): number {
    return this.running.size + this.unnamed.size;
  }

  /** Resolves when nothing runs, also what the work started while it was waited for. */
  async idle(): Promise<void> {
    while (this.size > 0) await Promise.all([...this.running.values(), ...this.unnamed]);
  }
}
