import assert from 'node:assert/strict';
import {
  RateLimiter,
  TEAMS_RATE_LIMITS,
  createTeamsRateLimiter,
  type RateSlot,
  type TeamsBucket,
} from '../../src/teams/rate-limiter';

/** A clock and timer the test moves by hand. */
class ManualClock {
  private t = 0;
  private timers: Array<{ at: number; callback: () => void }> = [];

  readonly now = () => this.t;
  readonly setTimer = (callback: () => void, ms: number) => {
    this.timers.push({ at: this.t + ms, callback });
  };

  /** Moves time forward, firing due timers in order, and lets the promises they resolve run. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.t = next.at;
      next.callback();
      await flush();
    }
    this.t = target;
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

const tenant: RateSlot<TeamsBucket> = { bucket: 'tenant', key: 't1' };
const chat = (id: string): RateSlot<TeamsBucket> => ({ bucket: 'conversation', key: id });

function teamsLimiter(clock: ManualClock, marginMs = 0) {
  return createTeamsRateLimiter({ now: clock.now, setTimer: clock.setTimer, marginMs });
}

/**
 * Starts `count` acquisitions and records, per call, when it was let through (into `grantedAt`);
 * each call is answered at once.
 */
async function startCalls(
  limiter: RateLimiter<TeamsBucket>,
  clock: ManualClock,
  slots: RateSlot<TeamsBucket>[],
  count: number,
  grantedAt: Array<number | undefined> = [],
): Promise<Array<number | undefined>> {
  const first = grantedAt.length;
  for (let i = 0; i < count; i++) {
    grantedAt.push(undefined);
    void limiter.acquire(slots).then((release) => {
      grantedAt[first + i] = clock.now();
      release();
    });
  }
  await flush();
  return grantedAt;
}

describe('rate limiter', function () {
  it('lets seven calls into one conversation through at once and holds the eighth for the 1-second window', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);

    const grantedAt = await startCalls(limiter, clock, [tenant, chat('a')], 8);

    assert.deepEqual(grantedAt.slice(0, 7), [0, 0, 0, 0, 0, 0, 0]);
    assert.equal(grantedAt[7], undefined);
    assert.equal(limiter.waiting, 1);
    await clock.advance(999);
    assert.equal(grantedAt[7], undefined);
    await clock.advance(1);
    assert.equal(grantedAt[7], 1000);
  });

  it('keeps to the 2-second window too: eight in any two seconds', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);

    const grantedAt = await startCalls(limiter, clock, [tenant, chat('a')], 10);
    await clock.advance(5000);

    // 7 at once, the 8th when the 1-s window allows, the 9th and 10th only when the 2-s window does.
    assert.deepEqual(grantedAt, [0, 0, 0, 0, 0, 0, 0, 1000, 2000, 2000]);
  });

  it('does not let one busy conversation hold up the others of the tenant', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);

    const busy = await startCalls(limiter, clock, [tenant, chat('a')], 9);
    const other = await startCalls(limiter, clock, [tenant, chat('b')], 1);

    assert.equal(busy.filter((t) => t === 0).length, 7);
    assert.deepEqual(other, [0]);
  });

  it('holds the tenant to 50 calls per second across conversations', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);

    const grantedAt: Array<number | undefined> = [];
    for (let i = 0; i < 60; i++) await startCalls(limiter, clock, [tenant, chat(`c${i}`)], 1, grantedAt);
    assert.equal(grantedAt.filter((t) => t === 0).length, 50);
    await clock.advance(1000);

    assert.equal(grantedAt.filter((t) => t === 1000).length, 10);
  });

  it('lets calls on the same buckets through in the order they asked', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);
    const order: number[] = [];

    for (let i = 0; i < 20; i++) {
      void limiter.acquire([tenant, chat('a')]).then((release) => {
        order.push(i);
        release();
      });
    }
    await flush();
    await clock.advance(10_000);

    assert.deepEqual(
      order,
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  it('holds every call of the tenant while it is paused by a 429, then lets them through', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);

    limiter.pause(tenant, 3000);
    const grantedAt = await startCalls(limiter, clock, [tenant, chat('a')], 1);
    const elsewhere = await startCalls(limiter, clock, [{ bucket: 'tenant', key: 't2' }], 1);
    await clock.advance(2999);
    assert.deepEqual(grantedAt, [undefined]);
    assert.deepEqual(elsewhere, [0], 'another tenant is not paused');
    await clock.advance(1);

    assert.deepEqual(grantedAt, [3000]);
  });

  it('counts a call under way in every window, and a finished one from when it finished', async function () {
    const clock = new ManualClock();
    const limiter = new RateLimiter({
      limits: { c: [{ windowMs: 1000, max: 1 }] },
      now: clock.now,
      setTimer: clock.setTimer,
      marginMs: 0,
    });
    const slot = { bucket: 'c', key: 'x' } as const;

    const release = await limiter.acquire([slot]);
    let secondAt: number | undefined;
    void limiter.acquire([slot]).then((done) => {
      secondAt = clock.now();
      done();
    });
    await clock.advance(5000);
    assert.equal(limiter.waitMs([slot]), Infinity, 'a slow call still counts');
    assert.equal(secondAt, undefined);

    release();
    release();
    await clock.advance(999);
    assert.equal(secondAt, undefined);
    await clock.advance(1);

    assert.equal(secondAt, 6000, 'one window after the first call finished');
  });

  it('keeps the longer pause when paused twice', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock);

    limiter.pause(tenant, 5000);
    limiter.pause(tenant, 1000);

    assert.equal(limiter.waitMs([tenant]), 5000);
  });

  it('widens every window by the margin, for the time between sending and arriving', async function () {
    const clock = new ManualClock();
    const limiter = teamsLimiter(clock, 100);

    const grantedAt = await startCalls(limiter, clock, [tenant, chat('a')], 8);
    await clock.advance(2000);

    assert.equal(grantedAt[7], 1100);
  });

  it('says how long a call would wait without counting it', async function () {
    const clock = new ManualClock();
    const limiter = new RateLimiter({
      limits: { only: [{ windowMs: 1000, max: 1 }] },
      now: clock.now,
      setTimer: clock.setTimer,
      marginMs: 0,
    });

    assert.equal(limiter.waitMs([{ bucket: 'only', key: 'x' }]), 0);
    (await limiter.acquire([{ bucket: 'only', key: 'x' }]))();
    await clock.advance(250);

    assert.equal(limiter.waitMs([{ bucket: 'only', key: 'x' }]), 750);
    assert.equal(limiter.waitMs([{ bucket: 'only', key: 'x' }]), 750);
    assert.equal(limiter.waitMs([{ bucket: 'only', key: 'y' }]), 0);
  });

  it('forgets quiet conversations and still counts busy ones correctly afterwards', async function () {
    const clock = new ManualClock();
    const limiter = new RateLimiter({
      limits: { c: [{ windowMs: 1000, max: 1 }] },
      now: clock.now,
      setTimer: clock.setTimer,
      marginMs: 0,
    });

    (await limiter.acquire([{ bucket: 'c', key: 'old' }]))();
    assert.equal(limiter.tracked, 1);
    await clock.advance(61_000);
    (await limiter.acquire([{ bucket: 'c', key: 'new' }]))();

    assert.equal(limiter.tracked, 1, 'the old conversation is forgotten');
    assert.equal(limiter.waitMs([{ bucket: 'c', key: 'old' }]), 0);
    assert.equal(limiter.waitMs([{ bucket: 'c', key: 'new' }]), 1000);
  });

  it('refuses limits that cannot be kept', function () {
    assert.throws(() => new RateLimiter({ limits: { x: [{ windowMs: 0, max: 1 }] } }), RangeError);
    assert.throws(() => new RateLimiter({ limits: { x: [{ windowMs: 1000, max: 0 }] } }), RangeError);
  });

  it('carries Teams’ published limits', function () {
    assert.deepEqual(TEAMS_RATE_LIMITS.tenant, [{ windowMs: 1000, max: 50 }]);
    assert.deepEqual(TEAMS_RATE_LIMITS.conversation.slice(0, 2), [
      { windowMs: 1000, max: 7 },
      { windowMs: 2000, max: 8 },
    ]);
  });
});
