import { TurnContext, type Activity, type ChannelAccount, type ConversationReference } from 'botbuilder';
import type { Logger } from '../logging/logger';
import {
  DEFAULT_CHAT_TTL_MS,
  RedisConversationReferences,
  type ChatMeta,
  type KnownChat,
} from './redis-conversation-references';
import { within } from '../redis/redis-client';
import { OutageNotice, type SharedRedis } from './shared-redis';

export type { KnownChat } from './redis-conversation-references';

export interface ConversationReferencesOptions {
  /**
   * Shares the chats between the bot's instances: each one written to Redis as it is learnt,
   * read from there when this instance does not know it. Without it they stay in this process.
   */
  shared?: SharedRedis;
  /** Where a failing Redis is reported (once per outage, without ids). */
  logger?: Logger;
  /** How long Redis keeps a chat after it was last written; default 180 days. */
  ttlMs?: number;
  /**
   * How long what this instance holds is trusted before Redis is asked again, for a locale or
   * service URL another instance learnt since. Default 5 minutes.
   */
  cacheMs?: number;
  /** Redis reads that take longer give up and use what this instance holds; default 1 s. */
  readTimeoutMs?: number;
  /** Wall clock in ms; default Date.now. */
  now?: () => number;
}

interface CachedChat extends KnownChat {
  /** When this entry was last known to match Redis; 0 when it must be read again. */
  checkedAt: number;
}

/** What this instance last wrote to Redis for a chat (or the meta), and when. */
interface Written {
  text: string;
  at: number;
}

/**
 * Every click and message brings the chat again. Writing it to Redis each time cost two commands
 * per click; the same chat is written again only this long after, to renew its TTL.
 */
const REWRITE_SAME_AFTER_MS = 24 * 3600_000;

const DEFAULT_CACHE_MS = 5 * 60_000;
const DEFAULT_READ_TIMEOUT_MS = 1000;

/**
 * The personal chats the bot knows, by Entra object id: learnt from installation events and
 * every message or click, so a proactive card reuses the existing chat. Holds routing data
 * only (ids, service URL, locale), never a case.
 *
 * Alone, it is lost on restart and relearnt. With `shared`, what one instance learns is written
 * to Redis behind its back (remember stays synchronous for the bot) and the others read it there
 * on a miss, keeping it in their own map as a cache. Redis failing only costs a chat opened anew:
 * reads fall back to this instance's map and failed writes are logged.
 */
export class ConversationReferences {
  private readonly chats = new Map<string, CachedChat>();
  private lastServiceUrl: string | undefined;
  private botAccount: ChannelAccount | undefined;
  private tenant: string | undefined;
  private readonly store: RedisConversationReferences | undefined;
  private readonly notice: OutageNotice;
  private readonly cacheMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;
  private metaCheckedAt = 0;
  private metaRead: Promise<void> | undefined;
  private readonly writes = new Set<Promise<void>>();
  private readonly written = new Map<string, Written>();
  private metaWritten: Written | undefined;

  constructor(options: ConversationReferencesOptions = {}) {
    this.store = options.shared
      ? new RedisConversationReferences(options.shared, options.ttlMs ?? DEFAULT_CHAT_TTL_MS)
      : undefined;
    this.notice = new OutageNotice(
      options.logger,
      'teams.references.redis-failed',
      'chats are remembered by this instance only',
    );
    this.cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS;
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  remember(activity: Partial<Activity>): void {
    const now = this.now();
    const meta: ChatMeta = {};
    if (activity.serviceUrl) this.lastServiceUrl = meta.serviceUrl = activity.serviceUrl;
    if (activity.recipient?.id)
      this.botAccount = meta.bot = { id: activity.recipient.id, name: activity.recipient.name ?? '' };
    const tenantId = activity.conversation?.tenantId;
    if (tenantId) this.tenant = meta.tenantId = tenantId;
    if (this.store && Object.keys(meta).length > 0) {
      // Only a complete set saves asking Redis: another instance may know what this activity lacks.
      if (this.lastServiceUrl && this.botAccount && this.tenant) this.metaCheckedAt = now;
      const text = JSON.stringify(meta);
      if (isNew(this.metaWritten, text, now)) {
        const mark = (this.metaWritten = { text, at: now });
        this.behind(
          this.store.writeMeta(meta).catch((error: unknown) => {
            // Not in Redis after all: the next activity writes it again.
            if (this.metaWritten === mark) this.metaWritten = undefined;
            throw error;
          }),
        );
      }
    }
    const aadObjectId = activity.from?.aadObjectId;
    if (!aadObjectId || activity.conversation?.conversationType !== 'personal') return;
    const reference = TurnContext.getConversationReference(activity);
    this.keep(aadObjectId, reference, activity.locale ?? this.chats.get(aadObjectId)?.locale, now);
    if (!this.store) return;
    // The reference names the activity it came from: every click's is new, the chat is not.
    const { activityId: _activityId, ...chat } = reference;
    const text = JSON.stringify([chat, activity.locale]);
    if (!isNew(this.written.get(aadObjectId), text, now)) return;
    const mark = { text, at: now };
    this.written.set(aadObjectId, mark);
    this.behind(
      this.store.writeChat(aadObjectId, reference, activity.locale).catch((error: unknown) => {
        if (this.written.get(aadObjectId) === mark) this.written.delete(aadObjectId);
        throw error;
      }),
    );
  }

  /** A chat the messenger just opened. */
  rememberCreated(aadObjectId: string, reference: Partial<ConversationReference>): void {
    this.keep(aadObjectId, reference, this.chats.get(aadObjectId)?.locale, this.now());
    // Always written: the chat was just opened, and what this instance wrote before may be gone.
    this.written.delete(aadObjectId);
    this.behind(this.store?.writeChat(aadObjectId, reference, undefined));
  }

  async get(aadObjectId: string): Promise<KnownChat | undefined> {
    const cached = this.chats.get(aadObjectId);
    const now = this.now();
    if (!this.store || (cached && now - cached.checkedAt < this.cacheMs)) return view(cached);
    try {
      const stored = await within(this.store.readChat(aadObjectId), this.readTimeoutMs, 'reading a chat');
      this.notice.succeeded();
      if (!stored) {
        if (cached) cached.checkedAt = now;
        return view(cached);
      }
      const locale = stored.locale ?? cached?.locale;
      this.chats.set(aadObjectId, { reference: stored.reference, locale, checkedAt: now });
      return { reference: stored.reference, ...(locale ? { locale } : {}) };
    } catch (error) {
      this.notice.failed(error);
      return view(cached);
    }
  }

  /** The service URL Teams last called us from: fresher than the configured default. */
  async serviceUrl(): Promise<string | undefined> {
    await this.refreshMeta();
    return this.lastServiceUrl;
  }

  async bot(): Promise<ChannelAccount | undefined> {
    await this.refreshMeta();
    return this.botAccount;
  }

  async tenantId(): Promise<string | undefined> {
    await this.refreshMeta();
    return this.tenant;
  }

  /** Resolves when every write to Redis started so far has landed or failed (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  private keep(
    aadObjectId: string,
    reference: Partial<ConversationReference>,
    locale: string | undefined,
    now: number,
  ): void {
    // Without a locale another instance may know one: read Redis at the next get.
    const checkedAt = !this.store || locale !== undefined ? now : 0;
    this.chats.set(aadObjectId, { reference, locale, checkedAt });
  }

  private behind(write: Promise<void> | undefined): void {
    if (!write) return;
    const tracked: Promise<void> = write
      .then(
        () => this.notice.succeeded(),
        (error: unknown) => this.notice.failed(error),
      )
      .finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  private async refreshMeta(): Promise<void> {
    const store = this.store;
    if (!store || this.now() - this.metaCheckedAt < this.cacheMs) return;
    // Calls at the same moment share one read.
    this.metaRead ??= (async () => {
      try {
        const meta = await within(store.readMeta(), this.readTimeoutMs, 'reading the chat settings');
        this.notice.succeeded();
        // Redis holds what the latest activity to any instance brought.
        this.lastServiceUrl = meta.serviceUrl ?? this.lastServiceUrl;
        this.botAccount = meta.bot ?? this.botAccount;
        this.tenant = meta.tenantId ?? this.tenant;
        this.metaCheckedAt = this.now();
      } catch (error) {
        this.notice.failed(error);
      } finally {
        this.metaRead = undefined;
      }
    })();
    await this.metaRead;
  }
}

/** Not what this instance wrote last, or written long enough ago to renew. */
function isNew(last: Written | undefined, text: string, now: number): boolean {
  return !last || last.text !== text || now - last.at >= REWRITE_SAME_AFTER_MS;
}

function view(chat: CachedChat | undefined): KnownChat | undefined {
  if (!chat) return undefined;
  return { reference: chat.reference, ...(chat.locale ? { locale: chat.locale } : {}) };
}
