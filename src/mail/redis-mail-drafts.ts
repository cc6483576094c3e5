import { RESP_TYPES } from 'redis';
import { z } from 'zod';
import type { MailDraftStore } from '../app/ports';
import type { MailDraft } from '../domain/mail-draft';
import { uncertainReasons } from '../domain/signal-mail';
import { signalSources } from '../domain/signal';
import type { Logger } from '../logging/logger';
import { storeCall, type RedisClient } from '../redis/redis-client';
import { RedisScript } from '../redis/redis-script';
import { openSealed, type CaseKeyring } from '../store/case-cipher';
import { storedShell } from '../store/redis-case-store';
import { MAIL_DRAFT_MARGIN_MS } from './memory-mail-drafts';

export interface RedisMailDraftsOptions {
  /** The process's shared, connected client; never closed here. */
  client: RedisClient;
  /** The cases' keyring: a draft is encrypted like a case. */
  keyring: CaseKeyring;
  prefix: string;
  /** The app's clock; Redis expires by its own, so the difference is added to the expiry. */
  now?: () => number;
  log?: Logger;
}

const date = z.iso.datetime().transform((value) => new Date(value));

/** A decrypted draft, with its Dates revived. */
const storedDraft = z.object({
  id: z.string(),
  schoolId: z.string(),
  mailbox: z.string(),
  messageId: z.string(),
  source: z.enum(signalSources),
  receivedAt: date,
  expiresAt: date,
  reading: z.object({
    name: z.string().optional(),
    birthDate: z.string().optional(),
    reasons: z.array(z.enum(uncertainReasons)),
  }),
  mailSender: z.object({ mailbox: z.string(), address: z.string() }).optional(),
  state: z.enum(['open', 'sending']),
  shells: z.array(storedShell),
  version: z.number().int(),
});

/** ARGV: ver, kid, blob, expire-at (ms). 1, or 0 when the id exists. */
const CREATE = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[1], 'kid', ARGV[2], 'blob', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1`);

/** ARGV: expected ver, next ver, kid, blob. 1 when stored; 0 when gone or changed meanwhile. */
const REPLACE = new RedisScript(`
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'kid', ARGV[3], 'blob', ARGV[4])
return 1`);

/**
 * The drafts in Redis, shared by every instance. One key per draft, `${prefix}mail-draft:${id}`
 * (the id is a hash, see mailDraftId): a hash of `ver`, `kid` and `blob` (the draft as JSON,
 * AES-256-GCM with the id as AAD, like a case). It expires by itself a margin after the draft's time.
 */
export class RedisMailDrafts implements MailDraftStore {
  private readonly raw: ReturnType<RedisClient['withTypeMapping']>;

  constructor(private readonly options: RedisMailDraftsOptions) {
    this.raw = options.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  }

  async create(draft: MailDraft): Promise<boolean> {
    const { kid, blob } = this.seal(draft);
    const created = await storeCall('store a mail draft', () =>
      CREATE.run(
        this.raw,
        [this.key(draft.id)],
        [
          String(draft.version),
          kid,
          blob,
          String(this.redisTime(draft.expiresAt.getTime() + MAIL_DRAFT_MARGIN_MS)),
        ],
      ),
    );
    return created === 1;
  }

  async get(id: string): Promise<MailDraft | undefined> {
    const fields = (await storeCall('read a mail draft', () =>
      this.raw.hmGet(this.key(id), ['ver', 'kid', 'blob']),
    )) as unknown[];
    const [ver, kid, blob] = fields;
    if (!Buffer.isBuffer(ver) || !Buffer.isBuffer(kid) || !Buffer.isBuffer(blob)) return undefined;
    return this.open(id, ver, kid, blob);
  }

  async replace(expectedVersion: number, next: MailDraft): Promise<boolean> {
    const { kid, blob } = this.seal(next);
    const stored = await storeCall('change a mail draft', () =>
      REPLACE.run(this.raw, [this.key(next.id)], [String(expectedVersion), String(next.version), kid, blob]),
    );
    return stored === 1;
  }

  async delete(id: string): Promise<void> {
    await storeCall('delete a mail draft', () => this.options.client.del(this.key(id)));
  }

  private seal(draft: MailDraft): { kid: string; blob: Buffer } {
    return this.options.keyring.encrypt(JSON.stringify(draft), draft.id);
  }

  /** The draft, or undefined (and a warning with the id and why) when it cannot be what was written. */
  private open(id: string, ver: Buffer, kid: Buffer, blob: Buffer): MailDraft | undefined {
    const gone = (reason: string) => {
      this.options.log?.warn({ draftId: id, reason }, 'a mail draft could not be read back; treated as gone');
      return undefined;
    };
    const opened = openSealed(this.options.keyring, kid.toString(), blob, id, storedDraft);
    if (!opened.ok) return gone(opened.reason);
    const draft: MailDraft = opened.value;
    if (draft.id !== id || String(draft.version) !== ver.toString()) return gone('mismatch');
    return draft;
  }

  /** A moment of the app's clock as Redis's clock will see it (they differ under a test's clock). */
  private redisTime(appTime: number): number {
    return appTime + Date.now() - (this.options.now ?? Date.now)();
  }

  private key(id: string): string {
    return `${this.options.prefix}mail-draft:${id}`;
  }
}
