/**
 * A sliding-window scheduler for outbound calls to Teams. Pure of Bot Framework, so it can be
 * tested with an injected clock and timer.
 *
 * Each call names the buckets it counts against (say, the tenant and the conversation). A bucket
 * kind has one or more windows ("at most 7 in any 1 s, and 8 in any 2 s"); a call is let through
 * only when every bucket it names has room in every window.
 *
 * Teams counts a call when it arrives; we cannot know when that is, only that it is after we let
 * the call go and before its answer came back. So a call counts in a window from the moment it is
 * let through until a window's length after it finished (`release`): however long the network or
 * our own event loop holds a request up, two calls never arrive closer together than we allowed.
 * A call still under way counts in every window.
 *
 * Waiting calls are served in the order they asked, but a call held up by its own conversation
 * does not hold up calls for other conversations of the same tenant. Two calls on the same buckets
 * are always let through in the order they asked.
 */

export interface RateWindow {
  readonly windowMs: number;
  /** Most calls allowed in any window of `windowMs`. */
  readonly max: number;
}

export interface RateSlot<B extends string = string> {
  bucket: B;
  key: string;
}

/** Tells the limiter the call is finished (answered or failed); calling it again does nothing. */
export type Release = () => void;

/** What the messenger needs of a limiter: this process's RateLimiter, or one shared through Redis. */
export interface CallLimiter<B extends string> {
  acquire(slots: readonly RateSlot<B>[]): Promise<Release>;
  /** Lets nothing through on this bucket for `ms` (a 429's Retry-After). */
  pause(slot: RateSlot<B>, ms: number): void;
}

export interface RateLimiterOptions<B extends string> {
  /** The windows each kind of bucket keeps to. */
  limits: Record<B, readonly RateWindow[]>;
  /** Added to every window, for clock granularity on either side. Default 50 ms. */
  marginMs?: number;
  /** A monotonic clock in ms; default performance.now. */
  now?: () => number;
  /** Calls back after about `ms`; default an unref'd setTimeout. */
  setTimer?: (callback: () => void, ms: number) => void;
}

interface Bucket {
  /** Calls let through and not finished yet. */
  underWay: number;
  /** When finished calls finished, ascending. */
  finished: number[];
  /** No call is let through before this time (a 429's Retry-After). */
  pausedUntil: number;
  /** The longest window, margin included: how long a finished call is remembered. */
  horizonMs: number;
}

interface Waiter<B extends string> {
  slots: readonly RateSlot<B>[];
  resolve: (release: Release) => void;
}

const SWEEP_EVERY_MS = 60_000;

function defaultSetTimer(callback: () => void, ms: number): void {
  setTimeout(callback, ms).unref();
}

/** Index of the first entry greater than `value` in an ascending array. */
function firstAfter(times: readonly number[], value: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class RateLimiter<B extends string> implements CallLimiter<B> {
  private readonly limits: Record<B, readonly RateWindow[]>;
  private readonly marginMs: number;
  private readonly now: () => number;
  private readonly setTimer: (callback: () => void, ms: number) => void;
  private readonly buckets = new Map<string, Bucket>();
  private readonly queue: Waiter<B>[] = [];
  private wakeAt: number | undefined;
  private lastSweep: number;

  constructor(options: RateLimiterOptions<B>) {
    for (const [bucket, windows] of Object.entries(options.limits) as Array<[string, RateWindow[]]>) {
      for (const w of windows) {
        if (!(w.windowMs > 0) || !(w.max >= 1) || !Number.isInteger(w.max)) {
          throw new RangeError(`rate limit of '${bucket}' needs windowMs > 0 and an integer max >= 1`);
        }
      }
    }
    this.limits = options.limits;
    this.marginMs = Math.max(0, options.marginMs ?? 50);
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? defaultSetTimer;
    this.lastSweep = this.now();
  }

  /**
   * Resolves when the call may go out; it then counts in every bucket it names. Call the release
   * it resolves with as soon as the call is answered or has failed.
   */
  acquire(slots: readonly RateSlot<B>[]): Promise<Release> {
    return new Promise<Release>((resolve) => {
      // Nothing was let through or finished since the last pass, so the calls already waiting
      // still wait: only the new one needs a look. (A later call on the buckets of an earlier,
      // waiting one sees the same full bucket, so it cannot overtake it.) Draining the whole queue
      // here would make a burst of calls cost the square of the queue's length.
      // Time may have made room for calls waiting longer, before their timer ran: they go first.
      let now = this.now();
      if (this.wakeAt !== undefined && this.wakeAt <= now) {
        this.wakeAt = undefined;
        this.drain();
        now = this.now();
      }
      const wait = this.waitMs(slots, now);
      if (wait <= 0) {
        resolve(this.start(slots));
        return;
      }
      this.queue.push({ slots, resolve });
      if (wait !== Infinity) this.wakeIn(wait, now);
    });
  }

  /**
   * How long, from now, until a call on these buckets would fit: 0 when it fits now, Infinity
   * when it waits for calls under way to finish. Counts nothing.
   */
  waitMs(slots: readonly RateSlot<B>[], now = this.now()): number {
    let wait = 0;
    for (const slot of slots) wait = Math.max(wait, this.bucketWait(slot, now));
    return wait;
  }

  /** Lets nothing through on this bucket for `ms` (longer pauses already set stay). */
  pause(slot: RateSlot<B>, ms: number): void {
    if (!(ms > 0)) return;
    const bucket = this.bucket(slot);
    bucket.pausedUntil = Math.max(bucket.pausedUntil, this.now() + ms);
    this.drain();
  }

  /** Calls waiting to be let through. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Buckets the limiter still keeps (quiet ones are forgotten about once a minute). */
  get tracked(): number {
    return this.buckets.size;
  }

  private drain(): void {
    const now = this.now();
    let next = Infinity;
    // A bucket's wait changes within one pass only when a call on it is let through. Thousands of
    // waiting calls (a mass expiry's cleanups) mostly share the tenant's bucket: each bucket is
    // worked out once per pass instead of once per waiting call, or every finished call would cost
    // a scan of the whole queue's windows and block the event loop.
    const waits = new Map<string, number>();
    const waitOf = (slot: RateSlot<B>) => {
      const key = id(slot);
      let wait = waits.get(key);
      if (wait === undefined) {
        wait = this.bucketWait(slot, now);
        waits.set(key, wait);
      }
      return wait;
    };
    const kept: Waiter<B>[] = [];
    for (const waiter of this.queue) {
      // In queue order: a later call on the same buckets sees the same or a fuller state, so it
      // cannot overtake an earlier one; a call on other buckets can.
      let wait = 0;
      for (const slot of waiter.slots) wait = Math.max(wait, waitOf(slot));
      if (wait <= 0) {
        for (const slot of waiter.slots) waits.delete(id(slot));
        waiter.resolve(this.start(waiter.slots));
      } else {
        next = Math.min(next, wait);
        kept.push(waiter);
      }
    }
    // Splicing each started call out of the middle would be quadratic too.
    this.queue.length = 0;
    for (const waiter of kept) this.queue.push(waiter);
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    // Infinity: only a call finishing can make room, and release drains.
    if (next !== Infinity) this.wakeIn(next, now);
  }

  private wakeIn(ms: number, now: number): void {
    const at = now + ms;
    if (this.wakeAt !== undefined && this.wakeAt <= at && this.wakeAt > now) return;
    this.wakeAt = at;
    this.setTimer(
      () => {
        if (this.wakeAt === at) this.wakeAt = undefined;
        this.drain();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  private bucketWait(slot: RateSlot<B>, now: number): number {
    const bucket = this.buckets.get(id(slot));
    if (!bucket) return 0;
    let wait = Math.max(0, bucket.pausedUntil - now);
    const finished = bucket.finished;
    for (const window of this.limits[slot.bucket] ?? []) {
      const span = window.windowMs + this.marginMs;
      const firstInWindow = firstAfter(finished, now - span);
      const inWindow = bucket.underWay + finished.length - firstInWindow;
      if (inWindow < window.max) continue;
      // Room again once enough finished calls have left the window, in the order they finished.
      const mustLeave = inWindow - window.max + 1;
      const leaving = finished[firstInWindow + mustLeave - 1];
      wait = Math.max(wait, leaving === undefined ? Infinity : leaving + span - now);
    }
    return wait;
  }

  private start(slots: readonly RateSlot<B>[]): Release {
    const buckets = slots.map((slot) => this.bucket(slot));
    for (const bucket of buckets) bucket.underWay += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = this.now();
      for (const bucket of buckets) {
        bucket.underWay -= 1;
        const finished = bucket.finished;
        finished.splice(firstAfter(finished, now), 0, now);
        // Keep only what the longest window still sees.
        const drop = firstAfter(finished, now - bucket.horizonMs);
        if (drop > 0) finished.splice(0, drop);
      }
      this.drain();
    };
  }

  private bucket(slot: RateSlot<B>): Bucket {
    const key = id(slot);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const windows = this.limits[slot.bucket] ?? [];
      const horizonMs = Math.max(0, ...windows.map((w) => w.windowMs)) + this.marginMs;
      bucket = { underWay: 0, finished: [], pausedUntil: 0, horizonMs };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Forgets buckets nothing counts in any more, so one per conversation does not pile up. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      const last = bucket.finished[bucket.finished.length - 1];
      if (
        bucket.underWay === 0 &&
        bucket.pausedUntil <= now &&
        (last === undefined || last <= now - bucket.horizonMs)
      ) {
        this.buckets.delete(key);
      }
    }
  }
}

function id(slot: RateSlot): string {
  return `${slot.bucket}\u0000${slot.key}`;
}

/** What a call to the Bot Connector counts against. */
export type TeamsBucket = 'tenant' | 'conversation' | 'members';

/**
 * Teams' published limits (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit):
 * 50 requests per second per app per tenant, and "per bot per thread": sending to or creating a
 * conversation 7 in 1 s, 8 in 2 s, 60 in 30 s, 1800 in 3600 s; getting conversation members 14 in
 * 1 s, 16 in 2 s, 120 in 30 s, 3600 in 3600 s. Teams says the values may change: a 429 is still
 * possible and is retried.
 */
export const TEAMS_RATE_LIMITS: Readonly<Record<TeamsBucket, readonly RateWindow[]>> = {
  tenant: [{ windowMs: 1000, max: 50 }],
  conversation: [
    { windowMs: 1000, max: 7 },
    { windowMs: 2000, max: 8 },
    { windowMs: 30_000, max: 60 },
    { windowMs: 3_600_000, max: 1800 },
  ],
  members: [
    { windowMs: 1000, max: 14 },
    { windowMs: 2000, max: 16 },
    { windowMs: 30_000, max: 120 },
    { windowMs: 3_600_000, max: 3600 },
  ],
};

export type TeamsRateLimiter = RateLimiter<TeamsBucket>;

export function createTeamsRateLimiter(
  options: Partial<RateLimiterOptions<TeamsBucket>> = {},
): TeamsRateLimiter {
  return new RateLimiter<TeamsBucket>({ ...options, limits: options.limits ?? TEAMS_RATE_LIMITS });
}
