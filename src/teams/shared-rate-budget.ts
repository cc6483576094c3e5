/**
 * Teams' rate limits hold per app and tenant (and per chat), however many instances of the bot
 * send. Each instance keeps its own RateLimiter for order and local fairness; this budget in
 * front of the call makes the instances count together, in Redis.
 *
 * One sorted set per bucket (`${prefix}rate:tenant:${tenantId}`, `${prefix}rate:chat:${sha256}`,
 * `${prefix}rate:members:${sha256}`), one member per call. As in RateLimiter, a call counts from
 * when it is let through until a window's length after it finished: while under way its score is
 * "now + lease" (above every window's start), and when it finishes the score becomes its finishing
 * time. The lease only matters when an instance dies mid-call: its calls stop counting after it.
 * All times are Redis' clock (TIME in the scripts), so instances with skewed clocks still agree.
 *
 * A full window is never a failure: the script says how long until there is room, and the call
 * waits and asks again. Redis failing is: the call goes out on the local limiter alone (logged
 * once per outage), as delivering the card matters more than strict sharing.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/logger';
import {
  TEAMS_RATE_LIMITS,
  type CallLimiter,
  type RateSlot,
  type RateWindow,
  type Release,
  type TeamsBucket,
} from './rate-limiter';
import { RedisScript } from '../redis/redis-script';
import { within } from '../redis/redis-client';
import { OutageNotice, sha256Hex, type SharedRedis } from './shared-redis';

/**
 * KEYS: the buckets' sorted sets, then (optionally) the tenant's pause key.
 * ARGV: member, leaseMs, pollMs, bucket count, then per bucket: horizonMs (its longest window with
 * the margin), window count, and per window: spanMs (window with margin) and max.
 * Returns 0 when the call was counted in every bucket, otherwise the ms to wait before asking again.
 */
const ACQUIRE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[1]
local lease = tonumber(ARGV[2])
local poll = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
if #KEYS > n then
  local paused = redis.call('PTTL', KEYS[n + 1])
  if paused > 0 then return paused end
end
local wait = 0
local horizons = {}
local i = 5
for b = 1, n do
  local key = KEYS[b]
  local horizon = tonumber(ARGV[i])
  local windows = tonumber(ARGV[i + 1])
  i = i + 2
  horizons[b] = horizon
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - horizon)
  for w = 1, windows do
    local span = tonumber(ARGV[i])
    local max = tonumber(ARGV[i + 1])
    i = i + 2
    local from = now - span
    local count = redis.call('ZCOUNT', key, '(' .. from, '+inf')
    if count >= max then
      local leaving = redis.call('ZRANGEBYSCORE', key, '(' .. from, '+inf', 'WITHSCORES', 'LIMIT', count - max, 1)
      local score = tonumber(leaving[2])
      local until_room = poll
      if score <= now then until_room = score + span - now end
      if until_room > wait then wait = until_room end
    end
  end
end
if wait > 0 then return math.ceil(wait) end
for b = 1, n do
  redis.call('ZADD', KEYS[b], now + lease, member)
  local ttl = horizons[b] + lease
  if redis.call('PTTL', KEYS[b]) < ttl then redis.call('PEXPIRE', KEYS[b], ttl) end
end
return 0
`);

/**
 * KEYS: the buckets of a call that finished. ARGV: member, then per bucket its horizonMs. A member
 * already gone (its lease and every window long past) is not counted again.
 */
const RELEASE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for b = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[b], ARGV[1]) then
    redis.call('ZADD', KEYS[b], now, ARGV[1])
    local ttl = tonumber(ARGV[b + 1])
    if redis.call('PTTL', KEYS[b]) < ttl then redis.call('PEXPIRE', KEYS[b], ttl) end
  end
end
return 0
`);

/** KEYS: the tenant's pause key. ARGV: ms. A longer pause already set stays. */
const PAUSE = new RedisScript(`
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0
`);

export interface SharedRateBudgetOptions {
  shared: SharedRedis;
  /** Default TEAMS_RATE_LIMITS. */
  limits?: Readonly<Record<TeamsBucket, readonly RateWindow[]>>;
  /** Added to every window, for the time between letting a call go and Teams counting it. Default 50 ms. */
  marginMs?: number;
  /** How long a call under way counts at most, should its instance never say it finished. Default 10 s. */
  leaseMs?: number;
  /** How often to ask again when room depends on calls still under way (possibly on other instances). Default 25 ms. */
  pollMs?: number;
  /** A Redis that answers slower is taken as failing; default 1 s. */
  timeoutMs?: number;
  logger?: Logger;
  /** How a full window is waited out; default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

const NEVER_WAIT_LONGER_MS = 60_000;

export class SharedRateBudget {
  private readonly shared: SharedRedis;
  private readonly limits: Readonly<Record<TeamsBucket, readonly RateWindow[]>>;
  private readonly marginMs: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly notice: OutageNotice;
  private readonly instance = randomUUID();
  private calls = 0;
  /** Per set of buckets, the acquisition before: calls on the same buckets are let through in order. */
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(options: SharedRateBudgetOptions) {
    this.shared = options.shared;
    this.limits = options.limits ?? TEAMS_RATE_LIMITS;
    this.marginMs = Math.max(0, options.marginMs ?? 50);
    this.leaseMs = options.leaseMs ?? 10_000;
    this.pollMs = Math.max(1, options.pollMs ?? 25);
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.notice = new OutageNotice(
      options.logger,
      'teams.rate-budget.redis-failed',
      'calls to Teams keep to this instance’s rate limiter only',
    );
  }

  /** The Redis key of a bucket: the tenant as it is, a chat or a person only as a hash. */
  keyOf(slot: RateSlot<TeamsBucket>): string {
    const prefix = `${this.shared.prefix}rate:`;
    switch (slot.bucket) {
      case 'tenant':
        return `${prefix}tenant:${slot.key}`;
      case 'conversation':
        return `${prefix}chat:${sha256Hex(slot.key)}`;
      case 'members':
        return `${prefix}members:${sha256Hex(slot.key)}`;
    }
  }

  pauseKey(tenantKey: string): string {
    return `${this.shared.prefix}rate:pause:${tenantKey}`;
  }

  /**
   * Resolves once the call fits every instance's shared windows, and it then counts there; never
   * rejects. Call the release when the call is answered or has failed.
   */
  async acquire(slots: readonly RateSlot<TeamsBucket>[]): Promise<Release> {
    const lane = slots.map((s) => this.keyOf(s)).join(' ');
    const before = this.lanes.get(lane);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.lanes.set(lane, mine);
    try {
      if (before) await before;
      return await this.obtain(slots);
    } finally {
      done();
      if (this.lanes.get(lane) === mine) this.lanes.delete(lane);
    }
  }

  /** Lets no call of the tenant through on any instance for `ms`; a longer pause already set stays. */
  async pause(tenantKey: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    try {
      await within(
        PAUSE.run(this.shared.client, [this.pauseKey(tenantKey)], [String(Math.ceil(ms))]),
        this.timeoutMs,
        'pausing the tenant',
      );
      this.notice.succeeded();
    } catch (error) {
      this.notice.failed(error);
    }
  }

  private async obtain(slots: readonly RateSlot<TeamsBucket>[]): Promise<Release> {
    const member = `${this.instance}:${++this.calls}`;
    const keys = slots.map((s) => this.keyOf(s));
    const horizons = slots.map((s) => this.horizonOf(s.bucket));
    const args = [member, String(this.leaseMs), String(this.pollMs), String(slots.length)];
    slots.forEach((slot, i) => {
      const windows = this.limits[slot.bucket] ?? [];
      args.push(String(horizons[i]), String(windows.length));
      for (const w of windows) args.push(String(w.windowMs + this.marginMs), String(w.max));
    });
    const tenant = slots.find((s) => s.bucket === 'tenant');
    const scriptKeys = tenant ? [...keys, this.pauseKey(tenant.key)] : keys;
    for (;;) {
      let wait: number;
      try {
        const reply = await within(
          ACQUIRE.run(this.shared.client, scriptKeys, args),
          this.timeoutMs,
          'a slot of the shared rate budget',
        );
        wait = Number(reply);
        this.notice.succeeded();
      } catch (error) {
        this.notice.failed(error);
        return () => {};
      }
      if (!(wait > 0)) return this.releaser(member, keys, horizons);
      await this.sleep(Math.min(wait, NEVER_WAIT_LONGER_MS));
    }
  }

  private releaser(member: string, keys: string[], horizons: number[]): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      within(
        RELEASE.run(this.shared.client, keys, [member, ...horizons.map(String)]),
        this.timeoutMs,
        'releasing a slot of the shared rate budget',
      ).then(
        () => this.notice.succeeded(),
        (error: unknown) => this.notice.failed(error),
      );
    };
  }

  private horizonOf(bucket: TeamsBucket): number {
    const windows = this.limits[bucket] ?? [];
    return Math.max(0, ...windows.map((w) => w.windowMs)) + this.marginMs;
  }
}

/**
 * This instance's limiter first (it keeps calls on the same buckets in order and shares the
 * instance's slots fairly), then the budget all instances share. A 429 pauses the tenant in both.
 */
export class SharedRateLimiter implements CallLimiter<TeamsBucket> {
  constructor(
    private readonly local: CallLimiter<TeamsBucket>,
    private readonly budget: SharedRateBudget,
  ) {}

  async acquire(slots: readonly RateSlot<TeamsBucket>[]): Promise<Release> {
    const local = await this.local.acquire(slots);
    let shared: Release;
    try {
      shared = await this.budget.acquire(slots);
    } catch (error) {
      local();
      throw error;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      shared();
      local();
    };
  }

  pause(slot: RateSlot<TeamsBucket>, ms: number): void {
    this.local.pause(slot, ms);
    if (slot.bucket === 'tenant') void this.budget.pause(slot.key, ms);
  }
}
