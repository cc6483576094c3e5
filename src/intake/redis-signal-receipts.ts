import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SignalReceipts, SignalSender } from '../app/ports';
import { HwcError } from '../domain/errors';
import { storeCall, type RedisClient } from '../redis/redis-client';

export interface RedisSignalReceiptsOptions {
  /** The process's shared, connected client; never closed here. */
  client: RedisClient;
  /** Before every key name; default '{hwc}:'. */
  prefix?: string;
  /** The app's clock, which `until` is on (a test's may stand elsewhere); default Date.now. */
  now?: () => number;
}

const record = z.object({
  caseId: z.string().min(1).max(64),
  senderKind: z.enum(['api-key', 'entra']),
  senderId: z.string().min(1).max(256),
});

/**
 * The receipts shared by every instance: `${prefix}receipt:${sha256 hex of the signal id}` holding
 * JSON `{caseId, senderKind, senderId}`, expiring with the case's tombstone. The key name never
 * holds the signal id itself, and nothing is kept of the pupil.
 */
export class RedisSignalReceipts implements SignalReceipts {
  private readonly keyPrefix: string;

  constructor(private readonly options: RedisSignalReceiptsOptions) {
    this.keyPrefix = `${options.prefix ?? '{hwc}:'}receipt:`;
  }

  private key(signalId: string): string {
    return this.keyPrefix + createHash('sha256').update(signalId, 'utf8').digest('hex');
  }

  async remember(signalId: string, caseId: string, sender: SignalSender, until: Date): Promise<void> {
    const value = JSON.stringify({ caseId, senderKind: sender.kind, senderId: sender.id });
    // Relative, so Redis expires it as long after its own now as `until` is after the app's.
    const ms = Math.ceil(until.getTime() - (this.options.now ?? Date.now)());
    if (ms < 1) return;
    await storeCall('remember a signal receipt', () =>
      this.options.client.set(this.key(signalId), value, { expiration: { type: 'PX', value: ms } }),
    );
  }

  async lookUp(signalId: string): Promise<{ caseId: string; sender: SignalSender } | undefined> {
    const value = await storeCall('look up a signal receipt', () =>
      this.options.client.get(this.key(signalId)),
    );
    if (value === null) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const checked = record.safeParse(parsed);
    if (!checked.success)
      throw new HwcError('store.unavailable', 'a signal receipt in Redis is not readable');
    return {
      caseId: checked.data.caseId,
      sender: { kind: checked.data.senderKind, id: checked.data.senderId },
    };
  }
}
