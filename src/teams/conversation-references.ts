import { TurnContext, type Activity, type ChannelAccount, type ConversationReference } from 'botbuilder';

interface KnownChat {
  reference: Partial<ConversationReference>;
  locale?: string;
}

/**
 * The personal chats the bot knows, by Entra object id: learnt from installation events and
 * every message or click, so a proactive card reuses the existing chat. Holds routing data
 * only (ids, service URL, locale), never a case; it is lost on restart and relearnt.
 */
export class ConversationReferences {
  private readonly chats = new Map<string, KnownChat>();
  private lastServiceUrl: string | undefined;
  private botAccount: ChannelAccount | undefined;
  private tenant: string | undefined;

  remember(activity: Partial<Activity>): void {
    if (activity.serviceUrl) this.lastServiceUrl = activity.serviceUrl;
    if (activity.recipient?.id)
      this.botAccount = { id: activity.recipient.id, name: activity.recipient.name ?? '' };
    const tenantId = activity.conversation?.tenantId;
    if (tenantId) this.tenant = tenantId;
    const aadObjectId = activity.from?.aadObjectId;
    if (!aadObjectId || activity.conversation?.conversationType !== 'personal') return;
    this.chats.set(aadObjectId, {
      reference: TurnContext.getConversationReference(activity),
      locale: activity.locale ?? this.chats.get(aadObjectId)?.locale,
    });
  }

  rememberCreated(aadObjectId: string, reference: Partial<ConversationReference>): void {
    const known = this.chats.get(aadObjectId);
    this.chats.set(aadObjectId, { reference, locale: known?.locale });
  }

  get(aadObjectId: string): KnownChat | undefined {
    return this.chats.get(aadObjectId);
  }

  /** The service URL Teams last called us from: fresher than the configured default. */
  serviceUrl(): string | undefined {
    return this.lastServiceUrl;
  }

  bot(): ChannelAccount | undefined {
    return this.botAccount;
  }

  tenantId(): string | undefined {
    return this.tenant;
  }
}
