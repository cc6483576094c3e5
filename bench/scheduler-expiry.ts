/**
 * What the scheduler costs with many waiting tasks: the heap-and-one-timer TimerScheduler against
 * the timer-per-task scheduler it replaced (copied below as OldTimerScheduler, for comparison only).
 *
 *   npm run bench:scheduler
 *
 * n tasks wait, two per case (`case-i:escalate`, `case-i:remind`), at distinct times spread over a
 * day. The wall clock is injected, so a wake-up is "move the clock past k tasks, then run what is
 * due": once timing the callbacks alone (the new runDue(), the old timer callback per task), once end
 * to end through Node's timers, where the old scheduler's n timers cost Node work of their own.
 * Numbers only, no assertions.
 */
import { performance } from 'node:perf_hooks';
import { TimerScheduler } from '../src/scheduling/timer-scheduler';

const T0 = Date.parse('2026-11-23T00:00:00Z');
const DAY = 24 * 60 * 60_000;
const SIZES = [1_000, 10_000, 100_000];
const WAKE_UPS = [10, 100];
const REPEATS = 25;
const TIMER_REPEATS = 9;
const CANCELS = 300;
const HOUR = 60 * 60_000;

// ---------------------------------------------------------------------------------------------
// OLD IMPLEMENTATION, for comparison only: src/scheduling/timer-scheduler.ts before the heap (one
// Node timer per task, cancel scans every key). Copied as it was, bar names and doc comments.
// ---------------------------------------------------------------------------------------------

/** The timer layer both implementations provide: closures by key (InProcessScheduler sits on top). */
interface ClosureScheduler {
  schedule(key: string, when: Date, task: () => Promise<void>): void;
  cancel(prefix: string): void;
  close(): void;
  readonly size: number;
}

// setTimeout fires at once for delays above 2^31-1 ms; longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface OldEntry {
  when: number;
  task: () => Promise<void>;
  timer: NodeJS.Timeout;
}

class OldTimerScheduler implements ClosureScheduler {
  private readonly entries = new Map<string, OldEntry>();

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

// ---------------------------------------------------------------------------------------------
// The bench.
// ---------------------------------------------------------------------------------------------

interface Subject {
  scheduler: ClosureScheduler;
  /** Runs what is due now that the wall clock passed `due`. */
  wakeUp(due: readonly Task[]): void;
}

interface Task {
  key: string;
  when: number;
}

interface Row {
  n: number;
  implementation: string;
  timersSet: number;
  scheduleUs: number;
  cancelGroupUs: number;
  cancelKeyUs: number;
  wakeUpUs: Map<number, number>;
  throughTimersUs: Map<number, number>;
}

const nothing = async (): Promise<void> => undefined;

function makeSubject(kind: 'old' | 'new', now: () => number): Subject {
  if (kind === 'new') {
    const scheduler = new TimerScheduler(now);
    return { scheduler, wakeUp: () => scheduler.runDue() };
  }
  const scheduler = new OldTimerScheduler(now);
  // Stands in for Node calling the k due timers' callbacks; Node's own timer lists are not timed.
  const fire = (scheduler as unknown as { fire(key: string): void }).fire.bind(scheduler);
  return {
    scheduler,
    wakeUp: (due) => {
      for (const task of due) fire(task.key);
    },
  };
}

/** A small seeded generator, so that every run measures the same workload. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48_271) % 2_147_483_647) / 2_147_483_647;
}

function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** µs per operation: the median of batches, so that one garbage collection does not make the figure. */
function perOperation<T>(items: readonly T[], operation: (item: T) => void): number {
  const batch = Math.max(1, Math.floor(items.length / 10));
  const samples: number[] = [];
  for (let from = 0; from < items.length; from += batch) {
    const slice = items.slice(from, from + batch);
    const started = performance.now();
    for (const item of slice) operation(item);
    samples.push(((performance.now() - started) * 1000) / slice.length);
  }
  return median(samples);
}

/** Counts the Node timers a scheduler sets, by wrapping setTimeout for the duration of `run`. */
function countingTimers<T>(run: () => T): { result: T; timers: number } {
  const original = globalThis.setTimeout;
  let timers = 0;
  const counting = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return original(...args);
  }) as typeof setTimeout;
  globalThis.setTimeout = counting;
  try {
    return { result: run(), timers };
  } finally {
    globalThis.setTimeout = original;
  }
}

async function measure(kind: 'old' | 'new', n: number): Promise<Row> {
  const next = random(n);
  let wall = T0;
  const { scheduler, wakeUp } = makeSubject(kind, () => wall);

  // Distinct times, evenly over the day, in random order of cases.
  const cases = n / 2;
  const times = shuffle(
    Array.from({ length: n }, (_, i) => T0 + 1 + Math.floor((i * DAY) / n)),
    next,
  );
  const tasks: Task[] = [];
  for (let i = 0; i < cases; i++) {
    tasks.push({ key: `case-${i}:escalate`, when: times[2 * i]! });
    tasks.push({ key: `case-${i}:remind`, when: times[2 * i + 1]! });
  }

  const { result: scheduleMs, timers: timersSet } = countingTimers(() => {
    const started = performance.now();
    for (const task of tasks) scheduler.schedule(task.key, new Date(task.when), nothing);
    return performance.now() - started;
  });

  // Cancels: a whole case, then one task of another case; afterwards the tasks are put back.
  const count = Math.min(CANCELS, cases / 2);
  const order = shuffle(
    Array.from({ length: cases }, (_, i) => i),
    next,
  );
  const groups = order.slice(0, count);
  const keys = order.slice(count, 2 * count);
  const cancelGroupUs = perOperation(groups, (i) => scheduler.cancel(`case-${i}:`));
  const cancelKeyUs = perOperation(keys, (i) => scheduler.cancel(`case-${i}:escalate`));
  const expected = n - 2 * groups.length - keys.length;
  if (scheduler.size !== expected)
    throw new Error(`${kind}: ${scheduler.size} tasks wait, expected ${expected}`);
  for (const i of [...groups, ...keys]) {
    for (const task of [tasks[2 * i]!, tasks[2 * i + 1]!])
      scheduler.schedule(task.key, new Date(task.when), nothing);
  }

  // Wake-ups: the clock moves past the next k tasks; k new ones after the last keep n steady.
  const queue = [...tasks].sort((a, b) => a.when - b.when);
  let last = queue[queue.length - 1]!.when;
  let position = 0;
  const wakeUpUs = new Map<number, number>();
  for (const k of WAKE_UPS) {
    const samples: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const due = queue.slice(position, position + k);
      position += k;
      wall = due[due.length - 1]!.when;
      const started = performance.now();
      wakeUp(due);
      samples.push((performance.now() - started) * 1000);
      for (let i = 0; i < k; i++) {
        const task = { key: `refill-${++last}:x`, when: last };
        queue.push(task);
        scheduler.schedule(task.key, new Date(task.when), nothing);
      }
    }
    wakeUpUs.set(k, median(samples));
  }
  if (scheduler.size !== n) throw new Error(`${kind}: ${scheduler.size} tasks wait, expected ${n}`);

  scheduler.close();
  return {
    n,
    throughTimersUs: await throughTimers(kind, n),
    implementation: kind === 'new' ? 'new (heap, 1 timer)' : 'old (timer per task)',
    timersSet,
    scheduleUs: (scheduleMs * 1000) / n,
    cancelGroupUs,
    cancelKeyUs,
    wakeUpUs,
  };
}

/**
 * A wake-up end to end, Node's timers included: n tasks wait an hour or more ahead; k more fall due
 * 1..k ms from now, each in its own Node timer list as tasks spread over a day are. The event loop
 * is kept busy until all k are due, so they run in one pass; the time from the first task to the
 * last, scaled to k tasks, is the wake-up.
 */
async function throughTimers(kind: 'old' | 'new', n: number): Promise<Map<number, number>> {
  let wall = T0;
  const { scheduler } = makeSubject(kind, () => wall);
  for (let i = 0; i < n; i++) {
    scheduler.schedule(
      `case-${i >> 1}:${i % 2 ? 'remind' : 'escalate'}`,
      new Date(T0 + HOUR + (i * DAY) / n),
      nothing,
    );
  }
  const result = new Map<number, number>();
  let round = 0;
  for (const k of WAKE_UPS) {
    const samples: number[] = [];
    for (let r = 0; r < TIMER_REPEATS; r++) {
      const stamps: number[] = [];
      let done = (): void => undefined;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const base = wall;
      round++;
      for (let i = 0; i < k; i++) {
        scheduler.schedule(`due-${round}-${i}:x`, new Date(base + 1 + i), async () => {
          stamps.push(performance.now());
          if (stamps.length === k) done();
        });
      }
      wall = base + k + 1;
      const busyUntil = performance.now() + k + 5;
      while (performance.now() < busyUntil);
      await finished;
      samples.push(((stamps[k - 1]! - stamps[0]!) * 1000 * k) / (k - 1));
    }
    result.set(k, median(samples));
  }
  scheduler.close();
  return result;
}

function format(us: number): string {
  return us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
}

async function main(): Promise<void> {
  // The schedulers' timers do not hold the process open; while they are measured, this does.
  const keepAlive = setInterval(() => undefined, 1_000);
  try {
    await report();
  } finally {
    clearInterval(keepAlive);
  }
}

async function report(): Promise<void> {
  // Warm-up, so the first rows do not pay for the JIT.
  for (const kind of ['old', 'new'] as const) await measure(kind, 10_000);

  const started = performance.now();
  const rows: Row[] = [];
  for (const n of SIZES) for (const kind of ['old', 'new'] as const) rows.push(await measure(kind, n));

  console.log(`\nScheduler expiry cost (Node ${process.version}; times in µs, wake-ups the median)\n`);
  const wakeHeads = [
    ...WAKE_UPS.map((k) => `wake-up k=${k}, callbacks only`),
    ...WAKE_UPS.map((k) => `wake-up k=${k}, via Node timers`),
  ];
  console.log(
    `| n waiting | implementation | Node timers set by n schedules | schedule / op | cancel case group / op | cancel one key / op | ${wakeHeads.join(' | ')} |`,
  );
  console.log(`|${' --- |'.repeat(6 + 2 * WAKE_UPS.length)}`);
  for (const row of rows) {
    const wakes = [
      ...WAKE_UPS.map((k) => format(row.wakeUpUs.get(k) ?? Number.NaN)),
      ...WAKE_UPS.map((k) => format(row.throughTimersUs.get(k) ?? Number.NaN)),
    ];
    console.log(
      `| ${row.n.toLocaleString('en')} | ${row.implementation} | ${row.timersSet.toLocaleString('en')} | ${format(row.scheduleUs)} | ${format(row.cancelGroupUs)} | ${format(row.cancelKeyUs)} | ${wakes.join(' | ')} |`,
    );
  }
  console.log(
    `\nCallbacks only: the new runDue(), against the old timer callback called once per due task (Node's` +
      ` own timer work not counted). Via Node timers: end to end, see throughTimers().` +
      `\nTotal ${((performance.now() - started) / 1000).toFixed(1)} s.`,
  );
}

void main();
