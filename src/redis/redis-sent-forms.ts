import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SentFormLedger } from '../app/teams-intake';
import type { SignalReceipt } from '../app/receive-signal';
import { HwcError } from '../domain/errors';
import { storeCall, type RedisClient } from './redis-client';

const receiptSchema = z.strictObject({ signalId: z.string().max(64), deliveredTo: z.number().int().min(0) });

const PENDING = 'pending';

export interface RedisSentFormsOptions {
  client: RedisClient;
  prefix: string;
  /** How long a sent form's receipt is kept, so a late double click still posts nothing. Default 24 h. */
  ttlMs?: number;
  /** How long a claim lasts while its signal is being sent. Default 2 min. */
  pendingMs?: number;
  /** How long a second click waits for the first one's answer. Default 30 s. */
  waitMs?: number;
}

/**
 * The typed-in forms that were sent, shared between instances: a double click that lands on two
 * instances posts one signal. The key holds a hash of the form's random id; the value is the
 * neutral receipt (a random id and a count), never the form's content.
 */
export class RedisSentForms implements SentFormLedger {
  private readonly ttlMs: number;
  private readonly pendingMs: number;
  private readonly waitMs: number;

  constructor(private readonly options: RedisSentFormsOptions) {
    this.ttlMs = options.ttlMs ?? 24 * 3600_000;
    this.pendingMs = options.pendingMs ?? 120_000;
    this.waitMs = options.waitMs ?? 30_000;
  }

  async once(formId: string, send: () => Promise<SignalReceipt>): Promise<SignalReceipt> {
    const { client } = this.options;
    const key = `${this.options.prefix}form:${createHash('sha256').update(formId).digest('hex')}`;
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const claimed = await storeCall('claim a form', () =>
        client.set(key, PENDING, { condition: 'NX', expiration: { type: 'PX', value: this.pendingMs } }),
      );
      if (claimed === 'OK') {
        let receipt: SignalReceipt;
        try {
          receipt = await send();
        } catch (error) {
          // A failed send may be tried again with the same form.
          await storeCall('release a form', () => client.del(key)).catch(() => undefined);
          throw error;
        }
        await storeCall('record a sent form', () =>
          client.set(key, JSON.stringify(receipt), { expiration: { type: 'PX', value: this.ttlMs } }),
        );
        return receipt;
      }
      const value = await storeCall('read a sent form', () => client.get(key));
      if (value !== null && value !== PENDING) {
        const parsed = receiptSchema.safeParse(safeJson(value));
        if (parsed.success) return parsed.data;
        throw new HwcError('store.unavailable', 'a sent form holds no valid receipt');
      }
      if (Date.now() > deadline) throw new HwcError('store.unavailable', 'a sent form is still being sent');
      if (value === PENDING) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
