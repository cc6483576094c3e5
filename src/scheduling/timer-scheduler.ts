import type { Scheduler } from '../app/ports';

// setTimeout fires at once for delays above 2^31-1 ms; longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry {
  when: number;
  task: () => Promise<void>;
  timer: NodeJS.Timeout;
}

/**
 * Timers for the follow-ups of a case. A timer can fire early or late relative to the wall clock
 * (the process slept, the clock jumped): when it fires it checks the clock and re-arms if the
 * time has not come yet, and a late task simply runs late. Timers do not hold the process open.
 */
export class TimerScheduler implements Scheduler {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly onError: (key: string, error: unknown) => void = () => undefined,
  ) {}

  schedule(key: string, when: Date, task: () => Promise<void>): void {
    this.clear(key);
    this.arm(key, when.getTime(), task);
  }

  cancel(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.clear(key);
  }

  /** How many tasks are waiting (for tests and the shutdown log). */
  get size(): number {
    return this.entries.size;
  }

  close(): void {
    this.cancel('');
  }

  private arm(key: string, when: number, task: () => Promise<void>): void {
    const delay = Math.min(Math.max(when - this.now(), 0), MAX_TIMER_MS);
    const timer = setTimeout(() => this.fire(key), delay);
    timer.unref();
    this.entries.set(key, { when, task, timer });
  }

  private fire(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (this.now() < entry.when) {
      this.arm(key, entry.when, entry.task);
      return;
    }
    this.entries.delete(key);
    entry.task().catch((error: unknown) => this.onError(key, error));
  }

  private clear(key: string): void {
    const entry = this.entries.get(key);
    if (entry) clearTimeout(entry.timer);
    this.entries.delete(key);
  }
}
