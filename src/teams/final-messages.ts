import type { PostedMessage } from '../app/ports';
import type { Logger } from '../logging/logger';
import { storeCall, within } from '../redis/redis-client';
import { OutageNotice, sha256Hex, type SharedRedis } from './shared-redis';

/**
 * How long a message that got its final card is remembered, so a progress update still on its way
 * cannot overwrite the neutral card. Updates are in flight for seconds, not minutes.
 */
export const FINAL_MEMORY_MS = 10 * 60_000;

/**
 * The messages that got their final (neutral) card: ids only, nothing of a case, and only for
 * FINAL_MEMORY_MS. Updating a card after that would put progress back on a card that says the
 * case is closed.
 */
export interface FinalMessages {
  record(message: PostedMessage): Promise<void>;
  has(message: PostedMessage): Promise<boolean>;
}

function localKey(message: PostedMessage): string {
  return `${message.conversationId}\u0000${message.activityId}`;
}

/** One instance's memory; its synchronous side keeps updates of one card in order within a process. */
export class InMemoryFinalMessages implements FinalMessages {
  /** Insertion order is expiry order, so pruning stops at the first entry that is still fresh. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly memoryMs: number = FINAL_MEMORY_MS,
  ) {}

  recordNow(message: PostedMessage): void {
    const key = localKey(message);
    this.until.delete(key);
    this.until.set(key, this.now() + this.memoryMs);
  }

  hasNow(message: PostedMessage): boolean {
    const now = this.now();
    for (const [oldest, until] of this.until) {
      if (until > now) break;
      this.until.delete(oldest);
    }
    return this.until.has(localKey(message));
  }

  forgetNow(message: PostedMessage): void {
    this.until.delete(localKey(message));
  }

  async record(message: PostedMessage): Promise<void> {
    this.recordNow(message);
  }

  async has(message: PostedMessage): Promise<boolean> {
    return this.hasNow(message);
  }
}

export interface RedisFinalMessagesOptions {
  logger?: Logger;
  /** A Redis that answers slower is taken as failing; default 1 s. */
  timeoutMs?: number;
  memoryMs?: number;
}

/**
 * Every instance's memory: `${prefix}final:${sha256(conversationId + NUL + activityId)}`, with a
 * PX of FINAL_MEMORY_MS. Hashed, so the key shows no chat. When Redis fails, a message counts as
 * not final (a late progress update may land) and that is logged once: cards keep being delivered.
 */
export class RedisFinalMessages implements FinalMessages {
  private readonly notice: OutageNotice;
  private readonly timeoutMs: number;
  private readonly memoryMs: number;

  constructor(
    private readonly shared: SharedRedis,
    options: RedisFinalMessagesOptions = {},
  ) {
    this.notice = new OutageNotice(
      options.logger,
      'teams.finals.redis-failed',
      'a neutral card is protected from late updates on this instance only',
    );
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.memoryMs = options.memoryMs ?? FINAL_MEMORY_MS;
  }

  key(message: PostedMessage): string {
    return `${this.shared.prefix}final:${sha256Hex(localKey(message))}`;
  }

  async record(message: PostedMessage): Promise<void> {
    try {
      await within(
        storeCall('noting a final card', () =>
          this.shared.client.set(this.key(message), '1', {
            expiration: { type: 'PX', value: this.memoryMs },
          }),
        ),
        this.timeoutMs,
        'noting a final card',
      );
      this.notice.succeeded();
    } catch (error) {
      this.notice.failed(error);
    }
  }

  async has(message: PostedMessage): Promise<boolean> {
    try {
      const found = await within(
        storeCall('reading a final card', () => this.shared.client.exists(this.key(message))),
        this.timeoutMs,
        'reading a final card',
      );
      this.notice.succeeded();
      return found > 0;
    } catch (error) {
      this.notice.failed(error);
      return false;
    }
  }
}
