// setTimeout fires at once for delays above 2^31-1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TimerSchedulerOptions {
  /**
   * The longest the scheduler sleeps before it looks at the wall clock again (default 60 s). Node
   * timers follow a monotonic clock that stands still while the machine is suspended and ignores a
   * wall clock that is set forward; this bounds how late a task runs after either.
   */
  maxSleepMs?: number;
}

interface Entry {
  readonly key: string;
  /** 'abc:' for 'abc:escalate'; undefined for a key without ':', which belongs to no group. */
  readonly group: string | undefined;
  /** Replaced by a no-op once cancelled: a cancelled task may linger in the heap, its closure must not. */
  task: () => Promise<void>;
  /** False once the task ran, was cancelled or was replaced: its place in the heap is then garbage. */
  waiting: boolean;
}

const noTask = async (): Promise<void> => undefined;

// A heap this small is not worth compacting: its garbage leaves as it comes to the top.
const MIN_COMPACT = 64;

/**
 * Timers for the follow-ups of a case, and for anything else that must happen at a wall-clock time.
 *
 * All tasks wait in one binary min-heap on (when, seq), with a map by key and a set per group (the key
 * up to and including its first ':', so a case's tasks form one group). A cancelled or replaced task
 * is only marked and dropped when it reaches the top, or when garbage outgrows the waiting tasks and
 * the heap is rebuilt. The heap keeps times and sequence numbers in arrays of their own, so sifting
 * reads contiguous numbers instead of chasing an object per comparison.
 *
 * A single Node timer is armed for the earliest task, but never for longer than `maxSleepMs`: a timer
 * cannot know that the machine slept or the clock was set, so the scheduler wakes up at least that
 * often, reads the wall clock and runs what is due by it. A clock set back simply finds nothing due
 * yet. Cost: a wake-up with k due tasks of n is O(k log n); schedule O(log n); cancel O(1) per task
 * cancelled, amortized. Timers do not hold the process open.
 */
export class TimerScheduler {
  private readonly whens: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: Entry[] = [];
  private garbage = 0;
  private readonly entries = new Map<string, Entry>();
  private readonly groups = new Map<string, Set<Entry>>();
  private readonly loose = new Set<Entry>();
  private readonly maxSleepMs: number;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private running = false;

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly onError: (key: string, error: unknown) => void = () => undefined,
    options: TimerSchedulerOptions = {},
  ) {
    const maxSleepMs = options.maxSleepMs ?? 60_000;
    if (!(maxSleepMs >= 1)) throw new RangeError(`maxSleepMs must be at least 1 ms, not ${maxSleepMs}`);
    this.maxSleepMs = Math.min(maxSleepMs, MAX_TIMER_MS);
  }

  /**
   * A time in the past runs at the next wake-up, which then comes at once but never inside this
   * call: the caller finishes what it was doing before the task starts.
   */
  schedule(key: string, when: Date, task: () => Promise<void>): void {
    const at = when.getTime();
    // NaN would break the heap's order; an invalid date runs at the next wake-up, like a past one.
    const time = Number.isNaN(at) ? -Infinity : at;
    const earlier = this.entries.get(key);
    if (earlier) {
      this.discard(earlier);
      this.compactIfWasteful();
    }
    const colon = key.indexOf(':');
    const group = colon < 0 ? undefined : key.slice(0, colon + 1);
    const entry: Entry = { key, group, task, waiting: true };
    this.entries.set(key, entry);
    if (group === undefined) this.loose.add(entry);
    else {
      const members = this.groups.get(group);
      if (members) members.add(entry);
      else this.groups.set(group, new Set([entry]));
    }
    this.push(time, this.seq++, entry);
    // Only a new earliest task needs an earlier wake-up; the armed timer is early enough for the rest.
    // top(), not items[0]: the task this one replaced may still sit above it as garbage.
    if (this.top() === entry && !this.running) this.arm();
  }

  /**
   * '' cancels everything; a group ('abc:') costs O(its tasks); a longer prefix ('abc:escalate')
   * only looks inside its group, a case's two or three tasks. A prefix without ':' can match keys of
   * any group, so it falls back to a scan of the group names and of the keys without a group.
   */
  cancel(prefix: string): void {
    if (prefix === '') {
      this.clear();
      return;
    }
    const colon = prefix.indexOf(':');
    if (colon < 0) {
      for (const [name, members] of this.groups) {
        if (name.startsWith(prefix)) for (const entry of members) this.discard(entry);
      }
      for (const entry of this.loose) if (entry.key.startsWith(prefix)) this.discard(entry);
    } else {
      const members = this.groups.get(prefix.slice(0, colon + 1));
      const wholeGroup = colon === prefix.length - 1;
      // Deleting from a Set while iterating it is well defined: the rest is still visited.
      if (members)
        for (const entry of members) if (wholeGroup || entry.key.startsWith(prefix)) this.discard(entry);
    }
    if (this.entries.size === 0) this.clear();
    else this.compactIfWasteful();
  }

  /**
   * Starts every task that is due by the wall clock now, earliest first, and arms the timer for what
   * is left; returns how many started. For callers that know the clock moved (a resume from sleep,
   * a test) and need not wait for the next wake-up. Tasks scheduled by the tasks it starts wait for
   * the next wake-up, so a task that schedules itself in the past cannot keep this loop going.
   */
  runDue(): number {
    if (this.running) return 0;
    this.running = true;
    const now = this.now();
    const fence = this.seq;
    let started = 0;
    try {
      for (let entry = this.top(); entry; entry = this.top()) {
        if (this.whens[0]! > now || this.seqs[0]! >= fence) break;
        this.pop();
        const task = entry.task;
        this.forget(entry);
        started++;
        this.start(entry.key, task);
      }
    } finally {
      this.running = false;
      this.arm();
    }
    return started;
  }

  /** How many tasks are waiting (for tests and the shutdown log). */
  get size(): number {
    return this.entries.size;
  }

  /** Cancels every waiting task; tasks that already started run on. */
  close(): void {
    this.clear();
  }

  private start(key: string, task: () => Promise<void>): void {
    try {
      void Promise.resolve(task()).then(undefined, (error: unknown) => this.report(key, error));
    } catch (error) {
      this.report(key, error);
    }
  }

  private report(key: string, error: unknown): void {
    try {
      this.onError(key, error);
    } catch {
      // An error sink that fails has nowhere left to report to; it must not stop the other tasks.
    }
  }

  private arm(): void {
    this.disarm();
    if (!this.top()) return;
    const delay = Math.min(Math.max(this.whens[0]! - this.now(), 0), this.maxSleepMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runDue();
    }, delay);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private clear(): void {
    for (const entry of this.entries.values()) entry.waiting = false;
    this.whens.length = 0;
    this.seqs.length = 0;
    this.items.length = 0;
    this.garbage = 0;
    this.entries.clear();
    this.groups.clear();
    this.loose.clear();
    this.disarm();
  }

  /** Cancels a waiting task: its place in the heap becomes garbage. */
  private discard(entry: Entry): void {
    this.forget(entry);
    this.garbage++;
  }

  /** Takes a task out of the map and its group. */
  private forget(entry: Entry): void {
    entry.waiting = false;
    // What the task refers to (a case, say) must not outlive the task's turn.
    entry.task = noTask;
    this.entries.delete(entry.key);
    if (entry.group === undefined) this.loose.delete(entry);
    else {
      const members = this.groups.get(entry.group);
      members?.delete(entry);
      if (members?.size === 0) this.groups.delete(entry.group);
    }
  }

  /** The earliest waiting task, after dropping the garbage above it. */
  private top(): Entry | undefined {
    for (let entry = this.items[0]; entry; entry = this.items[0]) {
      if (entry.waiting) return entry;
      this.pop();
      this.garbage--;
    }
    return undefined;
  }

  /** Rebuilds the heap from its waiting tasks once garbage outnumbers them: O(n), but seldom. */
  private compactIfWasteful(): void {
    const length = this.items.length;
    if (length < MIN_COMPACT || this.garbage <= length / 2) return;
    let kept = 0;
    for (let i = 0; i < length; i++) {
      const entry = this.items[i]!;
      if (!entry.waiting) continue;
      this.whens[kept] = this.whens[i]!;
      this.seqs[kept] = this.seqs[i]!;
      this.items[kept] = entry;
      kept++;
    }
    this.whens.length = kept;
    this.seqs.length = kept;
    this.items.length = kept;
    this.garbage = 0;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private push(when: number, seq: number, entry: Entry): void {
    this.whens.push(when);
    this.seqs.push(seq);
    this.items.push(entry);
    this.siftUp(this.items.length - 1);
  }

  private pop(): void {
    const when = this.whens.pop()!;
    const seq = this.seqs.pop()!;
    const entry = this.items.pop()!;
    if (this.items.length === 0) return;
    this.whens[0] = when;
    this.seqs[0] = seq;
    this.items[0] = entry;
    this.siftDown(0);
  }

  private before(i: number, j: number): boolean {
    const a = this.whens[i]!;
    const b = this.whens[j]!;
    return a < b || (a === b && this.seqs[i]! < this.seqs[j]!);
  }

  private move(from: number, to: number): void {
    this.whens[to] = this.whens[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.items[to] = this.items[from]!;
  }

  private siftUp(index: number): void {
    const { whens, seqs, items } = this;
    const when = whens[index]!;
    const seq = seqs[index]!;
    const entry = items[index]!;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const w = whens[parent]!;
      if (w < when || (w === when && seqs[parent]! < seq)) break;
      this.move(parent, i);
      i = parent;
    }
    whens[i] = when;
    seqs[i] = seq;
    items[i] = entry;
  }

  private siftDown(index: number): void {
    const { whens, seqs, items } = this;
    const when = whens[index]!;
    const seq = seqs[index]!;
    const entry = items[index]!;
    const length = items.length;
    let i = index;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= length) break;
      if (child + 1 < length && this.before(child + 1, child)) child++;
      const w = whens[child]!;
      if (w > when || (w === when && seqs[child]! > seq)) break;
      this.move(child, i);
      i = child;
    }
    whens[i] = when;
    seqs[i] = seq;
    items[i] = entry;
  }
}
