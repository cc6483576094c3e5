import type { Scheduler, ScheduledTask, TaskRunner } from '../app/ports';
import { TimerScheduler, type TimerSchedulerOptions } from './timer-scheduler';

/**
 * The scheduler of a single instance, without Redis: task records wait in this process's timer
 * heap and are gone with it, like the in-memory cases they belong to.
 */
export class InProcessScheduler implements Scheduler {
  private readonly timers: TimerScheduler;
  private runner: TaskRunner | undefined;

  /** `onError` gets the failed task's key: ids and fixed words only. */
  constructor(
    now: () => number = () => Date.now(),
    onError: (key: string, error: unknown) => void = () => undefined,
    options: TimerSchedulerOptions = {},
  ) {
    this.timers = new TimerScheduler(now, onError, options);
  }

  /** Sets what runs a task that fell due. Wired before the app takes requests, so no task is due earlier. */
  start(runner: TaskRunner): void {
    this.runner = runner;
  }

  async schedule(key: string, when: Date, task: ScheduledTask): Promise<void> {
    this.timers.schedule(key, when, () => {
      if (!this.runner) return Promise.reject(new Error('a task fell due before the scheduler was started'));
      return this.runner(task);
    });
  }

  async cancel(prefix: string): Promise<void> {
    this.timers.cancel(prefix);
  }

  /** Starts what is due now (tests that move the clock). */
  runDue(): number {
    return this.timers.runDue();
  }

  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.timers.close();
  }
}
