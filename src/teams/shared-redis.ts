import { createHash } from 'node:crypto';
import { errorSummary } from '../logging/error-summary';
import type { Logger } from '../logging/logger';
import type { RedisClient } from '../redis/redis-client';

/**
 * The Redis the instances of the bot share, and the prefix of every key they write there. The
 * messenger's pieces are optional: without them each instance keeps its own memory, as before.
 */
export interface SharedRedis {
  client: RedisClient;
  /** Put before every key, e.g. `hwc:`; ends with its own separator. */
  prefix: string;
}

/** A key part that must not show what it stands for (a conversation id, a person's id). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Logs a shared store going away once at warn and its return once at info, rather than at every
 * call: during an outage each call falls back to the instance's own memory, and says so only once.
 */
export class OutageNotice {
  private down = false;

  constructor(
    private readonly logger: Logger | undefined,
    private readonly event: string,
    private readonly whatHappens: string,
  ) {}

  failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger?.warn({ event: this.event, ...errorSummary(error) }, `Redis failed: ${this.whatHappens}`);
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.logger?.info({ event: `${this.event}.restored` }, 'Redis answers again');
  }
}
