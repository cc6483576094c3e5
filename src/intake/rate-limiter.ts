/** The outcome of taking one request from a budget. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * A per-key request budget, as the routes use it: in this process (MemoryRateLimiter) or shared
 * by every instance (RedisRateLimiter). A shared one rejects with HwcError('store.unavailable')
 * when its store does not answer; the routes then answer 503 rather than guess.
 */
export interface AsyncRateLimiter {
  /** Takes one request from the key's budget, or says how many seconds until there is one. */
  take(key: string): Promise<RateDecision>;
}

/**
 * A token bucket per key: `perMinute` requests in a burst, refilled evenly over a minute.
 * The map is bounded: full buckets are forgotten first, then the least recently used.
 * Synchronous, for one process: MemoryRateLimiter serves it behind the async interface.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {
    if (!(perMinute >= 1)) throw new RangeError('a rate limit needs at least 1 request per minute');
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request from the key's budget, or says how many seconds until there is one. */
  take(key: string): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = this.perMinute;
    if (bucket) tokens = Math.min(this.perMinute, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    this.buckets.delete(key);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      this.prune(now);
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perMs / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number): void {
    if (this.buckets.size <= this.maxKeys) return;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= this.maxKeys) break;
      this.buckets.delete(key);
    }
  }
}

/** The in-process token bucket behind the asynchronous interface: one instance, nothing shared. */
export class MemoryRateLimiter implements AsyncRateLimiter {
  private readonly bucket: RateLimiter;

  constructor(perMinute: number, now: () => number, maxKeys = 10_000) {
    this.bucket = new RateLimiter(perMinute, now, maxKeys);
  }

  async take(key: string): Promise<RateDecision> {
    return this.bucket.take(key);
  }

  get size(): number {
    return this.bucket.size;
  }
}
