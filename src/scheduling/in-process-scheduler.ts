import type { Scheduler, ScheduledTask, TaskRunner } from '../app/ports';
import { TimerScheduler, type TimerSchedulerOptions } from './timer-scheduler';

export interface InProcessSchedulerOptions extends TimerSchedulerOptions {
  /**
   * The most tasks started in one turn of the event loop (default 25). More that fall due at once
   * (a day's cases expiring at its end) wait for the next turns, with setImmediate between, so
   * requests and I/O are served in between instead of after all of them.
   */
  sliceSize?: number;
}

interface Queued {
  run: () => Promise<void>;
  settle: (done: Promise<void>) => void;
}

/**
 * The scheduler of a single instance, without Redis: task records wait in this process's timer
 * heap and are gone with it, like the in-memory cases they belong to.
 *
 * Tasks run in slices: at most `sliceSize` start in one turn of the event loop. With the memory
 * store a task's work is all promise callbacks, which would otherwise run back to back: a thousand
 * cases expiring at once would hold the event loop until the last one was done.
 */
export class InProcessScheduler implements Scheduler {
  private readonly timers: TimerScheduler;
  private readonly sliceSize: number;
  private runner: TaskRunner | undefined;
  /** Tasks started in this turn of the event loop; reset by the next setImmediate. */
  private startedThisTurn = 0;
  private readonly waiting: Queued[] = [];
  private nextTurn: NodeJS.Immediate | undefined;

  /** `onError` gets the failed task's key: ids and fixed words only. */
  constructor(
    now: () => number = () => Date.now(),
    onError: (key: string, error: unknown) => void = () => undefined,
    options: InProcessSchedulerOptions = {},
  ) {
    this.timers = new TimerScheduler(now, onError, options);
    const sliceSize = options.sliceSize ?? 25;
    if (!(sliceSize >= 1)) throw new RangeError(`sliceSize must be at least 1, not ${sliceSize}`);
    this.sliceSize = Math.floor(sliceSize);
  }

  /** Sets what runs a task that fell due. Wired before the app takes requests, so no task is due earlier. */
  start(runner: TaskRunner): void {
    this.runner = runner;
  }

  async schedule(key: string, when: Date, task: ScheduledTask): Promise<void> {
    this.timers.schedule(key, when, () => this.inSlice(() => this.run(task)));
  }

  async cancel(prefix: string): Promise<void> {
    this.timers.cancel(prefix);
  }

  /** Starts what is due now (tests that move the clock): the first slice at once, the rest in later turns. */
  runDue(): number {
    return this.timers.runDue();
  }

  /** Tasks waiting for their time; those due but waiting for their slice are not counted. */
  get size(): number {
    return this.timers.size;
  }

  /** Cancels every waiting task, also those due that wait for their slice; started tasks run on. */
  close(): void {
    this.timers.close();
    if (this.nextTurn) clearImmediate(this.nextTurn);
    this.nextTurn = undefined;
    for (const queued of this.waiting.splice(0)) queued.settle(Promise.resolve());
  }

  private run(task: ScheduledTask): Promise<void> {
    if (!this.runner) return Promise.reject(new Error('a task fell due before the scheduler was started'));
    return this.runner(task);
  }

  /** Runs `run` now if this turn's slice has room, else in a later turn; settles as it does. */
  private inSlice(run: () => Promise<void>): Promise<void> {
    if (this.startedThisTurn < this.sliceSize && this.waiting.length === 0) {
      this.startedThisTurn++;
      this.armNextTurn();
      return run();
    }
    return new Promise<void>((resolve) => {
      this.waiting.push({ run, settle: resolve });
      this.armNextTurn();
    });
  }

  private armNextTurn(): void {
    if (this.nextTurn) return;
    this.nextTurn = setImmediate(() => {
      this.nextTurn = undefined;
      this.startedThisTurn = 0;
      const slice = this.waiting.splice(0, this.sliceSize);
      for (const queued of slice) {
        this.startedThisTurn++;
        let done: Promise<void>;
        try {
          done = queued.run();
        } catch (error) {
          done = Promise.reject(error);
        }
        queued.settle(done);
      }
      if (this.waiting.length > 0 || this.startedThisTurn > 0) this.armNextTurn();
    });
    // Like the timers: a slice still to run does not hold the process open.
    this.nextTurn.unref();
  }
}
