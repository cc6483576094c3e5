import type { ChannelAccount, ConversationReference } from 'botbuilder';
import { storeCall } from '../redis/redis-client';
import type { SharedRedis } from './shared-redis';

/** A personal chat with the bot: where to post, and in which language the person reads. */
export interface KnownChat {
  reference: Partial<ConversationReference>;
  locale?: string;
}

/** What every proactive chat needs besides the person: learnt from any incoming activity. */
export interface ChatMeta {
  serviceUrl?: string;
  bot?: ChannelAccount;
  tenantId?: string;
}

/** Long enough for a colleague who hears from the bot a few times a year. */
export const DEFAULT_CHAT_TTL_MS = 180 * 24 * 3600_000;

/**
 * The personal chats in Redis, for every instance: `${prefix}chat:${aadObjectId}` is a hash with
 * `reference` (the conversation reference as JSON) and `locale`, so writing a reference without a
 * locale keeps the one an earlier activity brought; `${prefix}chat-meta` holds the service URL, the
 * bot account and the tenant. Keys name staff by their Entra object id, nothing of a case; each
 * write renews the TTL, so a chat nobody used for `ttlMs` is forgotten and opened anew.
 */
export class RedisConversationReferences {
  constructor(
    private readonly shared: SharedRedis,
    private readonly ttlMs: number = DEFAULT_CHAT_TTL_MS,
  ) {}

  chatKey(aadObjectId: string): string {
    return `${this.shared.prefix}chat:${aadObjectId}`;
  }

  get metaKey(): string {
    return `${this.shared.prefix}chat-meta`;
  }

  async writeChat(
    aadObjectId: string,
    reference: Partial<ConversationReference>,
    locale: string | undefined,
  ): Promise<void> {
    const key = this.chatKey(aadObjectId);
    const fields: Record<string, string> = { reference: JSON.stringify(reference) };
    if (locale) fields.locale = locale;
    await storeCall('remembering a chat', () =>
      this.shared.client.multi().hSet(key, fields).pExpire(key, this.ttlMs).exec(),
    );
  }

  async readChat(aadObjectId: string): Promise<KnownChat | undefined> {
    const stored = await storeCall('reading a chat', () =>
      this.shared.client.hGetAll(this.chatKey(aadObjectId)),
    );
    const reference = parseReference(stored.reference);
    if (!reference) return undefined;
    return { reference, ...(stored.locale ? { locale: stored.locale } : {}) };
  }

  async writeMeta(meta: ChatMeta): Promise<void> {
    const fields: Record<string, string> = {};
    if (meta.serviceUrl) fields.serviceUrl = meta.serviceUrl;
    if (meta.bot?.id) {
      fields.botId = meta.bot.id;
      fields.botName = meta.bot.name ?? '';
    }
    if (meta.tenantId) fields.tenantId = meta.tenantId;
    if (Object.keys(fields).length === 0) return;
    const key = this.metaKey;
    await storeCall('remembering the bot’s chat settings', () =>
      this.shared.client.multi().hSet(key, fields).pExpire(key, this.ttlMs).exec(),
    );
  }

  async readMeta(): Promise<ChatMeta> {
    const stored = await storeCall('reading the bot’s chat settings', () =>
      this.shared.client.hGetAll(this.metaKey),
    );
    return {
      ...(stored.serviceUrl ? { serviceUrl: stored.serviceUrl } : {}),
      ...(stored.botId ? { bot: { id: stored.botId, name: stored.botName ?? '' } } : {}),
      ...(stored.tenantId ? { tenantId: stored.tenantId } : {}),
    };
  }
}

/** A stored reference that can still be posted to; anything else counts as not known. */
function parseReference(json: string | undefined): Partial<ConversationReference> | undefined {
  if (!json) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { conversation, serviceUrl } = value as { conversation?: { id?: unknown }; serviceUrl?: unknown };
  if (typeof conversation?.id !== 'string' || typeof serviceUrl !== 'string') return undefined;
  return value as Partial<ConversationReference>;
}
