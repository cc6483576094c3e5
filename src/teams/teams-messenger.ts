import {
  ActivityTypes,
  CardFactory,
  TeamsInfo,
  TurnContext,
  type CloudAdapter,
  type ConversationParameters,
  type ConversationReference,
  type Activity,
} from 'botbuilder';
import type { AdaptiveCardJson } from '../cards/card-data';
import type { Messenger, PostedMessage, RecipientContext, StaffRecipient } from '../app/ports';
import type { ConversationReferences } from './conversation-references';

export interface TeamsMessengerOptions {
  /** The bot's Microsoft App Id; empty in local mode. */
  appId: string;
  /** Where to open a chat with someone the bot never talked to (Teams' global service URL). */
  serviceUrl: string;
  /** The school's tenant; falls back to the tenant seen in incoming activities. */
  tenantId?: string;
  /** A fixed language for everyone (BOT_LANGUAGE), instead of each user's Teams locale. */
  language?: 'nl' | 'en';
}

function cardActivity(card: AdaptiveCardJson): Partial<Activity> {
  return { type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(card)] };
}

/**
 * Posts and updates cards in personal chats through Bot Framework. Errors inside an adapter
 * callback would go to onTurnError instead of the caller, so each callback catches and the
 * error is rethrown here, where the use case can count it.
 */
export class TeamsMessenger implements Messenger {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly references: ConversationReferences,
    private readonly options: TeamsMessengerOptions,
  ) {}

  async sendCard(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
  ): Promise<PostedMessage> {
    const known = this.references.get(to.staffId);
    if (known?.reference.conversation && known.reference.serviceUrl) {
      const recipient: RecipientContext = {
        teamsUserId: known.reference.user?.id,
        locale: this.options.language ?? known.locale,
      };
      return this.post(known.reference, card(recipient));
    }
    return this.openChatAndPost(to, card);
  }

  async updateCard(message: PostedMessage, card: AdaptiveCardJson): Promise<void> {
    const reference = {
      conversation: { id: message.conversationId },
      serviceUrl: message.serviceUrl,
      channelId: 'msteams',
    };
    await this.run(reference as Partial<ConversationReference>, async (context) => {
      await context.updateActivity({ ...cardActivity(card), id: message.activityId });
    });
  }

  private async post(
    reference: Partial<ConversationReference>,
    card: AdaptiveCardJson,
  ): Promise<PostedMessage> {
    let activityId: string | undefined;
    await this.run(reference, async (context) => {
      activityId = (await context.sendActivity(cardActivity(card)))?.id;
    });
    return this.posted(reference.conversation?.id, reference.serviceUrl, activityId);
  }

  private async openChatAndPost(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
  ): Promise<PostedMessage> {
    const tenantId = this.options.tenantId ?? this.references.tenantId();
    const serviceUrl = this.references.serviceUrl() ?? this.options.serviceUrl;
    const parameters = {
      isGroup: false,
      bot: this.references.bot() ?? { id: this.options.appId ? `28:${this.options.appId}` : 'bot', name: '' },
      members: [{ id: to.staffId, aadObjectId: to.staffId, name: '' }],
      ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
    } as ConversationParameters;
    let failure: unknown;
    let result: PostedMessage | undefined;
    await this.adapter.createConversationAsync(
      this.options.appId,
      'msteams',
      serviceUrl,
      undefined as unknown as string,
      parameters,
      async (context) => {
        try {
          const reference = TurnContext.getConversationReference(context.activity);
          // The chat was opened by Entra object id; a card's automatic refresh needs the Teams id.
          const teamsUserId = await this.teamsUserIdOf(context, to.staffId);
          if (teamsUserId) reference.user = { id: teamsUserId, name: '', aadObjectId: to.staffId };
          const response = await context.sendActivity(
            cardActivity(card({ teamsUserId, locale: this.options.language })),
          );
          result = this.posted(reference.conversation?.id, reference.serviceUrl, response?.id);
          this.references.rememberCreated(to.staffId, reference);
        } catch (error) {
          failure = error;
        }
      },
    );
    if (failure !== undefined) throw failure;
    if (!result) throw new Error('createConversation returned no conversation');
    return result;
  }

  private async teamsUserIdOf(context: TurnContext, aadObjectId: string): Promise<string | undefined> {
    try {
      const member = await TeamsInfo.getMember(context, aadObjectId);
      return member.id && member.id !== aadObjectId ? member.id : undefined;
    } catch {
      // Not fatal: without it the card still refreshes in a personal chat, just without userIds.
      return undefined;
    }
  }

  private async run(
    reference: Partial<ConversationReference>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    let failure: unknown;
    await this.adapter.continueConversationAsync(this.options.appId, reference, async (context) => {
      try {
        await logic(context);
      } catch (error) {
        failure = error;
      }
    });
    if (failure !== undefined) throw failure;
  }

  private posted(
    conversationId: string | undefined,
    serviceUrl: string | undefined,
    activityId: string | undefined,
  ) {
    if (!conversationId || !serviceUrl || !activityId)
      throw new Error('the channel did not return a message id');
    return { conversationId, serviceUrl, activityId };
  }
}
