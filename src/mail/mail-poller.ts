import type { RequestContext } from '../app/ports';

/**
 * Reads the mailboxes every `intervalMs`, one pass at a time: a pass that takes longer than the
 * interval delays the next one instead of running beside it. The timer does not hold the process.
 */
export class MailPoller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly pass: (ctx: RequestContext) => Promise<void>,
    private readonly newContext: () => RequestContext,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.closed || this.timer) return;
    this.schedule(0);
  }

  /** One pass now (tests, the Playground's demo mailbox), or the one running. */
  pollNow(): Promise<void> {
    this.running ??= this.pass(this.newContext()).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer; a pass under way is waited for. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      void this.pollNow().finally(() => {
        if (!this.closed) this.schedule(this.intervalMs);
      });
    }, ms);
    this.timer.unref();
  }
}
