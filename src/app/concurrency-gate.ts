/**
 * At most `limit` pieces of work at a time; the rest wait their turn, in order. A mass expiry
 * starts a neutral card and a notice for a thousand cases at once: without a gate every one of
 * them is a call queued in the Teams rate limiter at the same moment, and keeping that queue
 * costs the event loop more than the calls themselves. Teams takes 50 calls a second anyway.
 */
export class ConcurrencyGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`a gate lets at least 1 through, not ${limit}`);
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await work();
    } finally {
      // The turn passes straight to the next in line, so `running` never dips and lets two in.
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /** Work waiting for its turn. */
  get queued(): number {
    return this.waiting.length;
  }
}
