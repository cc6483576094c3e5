import {
  ActivityTypes,
  CardFactory,
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
} from 'botbuilder';
import { noticeCard } from '../app/case-cards';
import type { RequestContext, Services } from '../app/ports';
import { intakeFormCard, intakeSchoolsOf } from '../app/teams-intake';
import type { AdaptiveCardJson } from '../cards/card-data';
import { stringsFor } from '../i18n/strings';
import { newCorrelationId, type Logger } from '../logging/logger';
import { errorSummary } from '../logging/error-summary';
import { cardResponse, CORRELATION_ID_KEY } from './adapter';
import type { ConversationReferences } from './conversation-references';
import type { VerbRouter } from './verb-router';

export interface BotDependencies {
  services: Services;
  router: VerbRouter;
  references: ConversationReferences;
  logger: Logger;
  /** When set, activities from any other tenant are refused. */
  tenantId?: string;
  /** A fixed language for everyone, instead of each user's Teams locale. */
  language?: 'nl' | 'en';
}

const newSignalCommands = new Set(['nieuw signaal', 'nieuw', 'new signal', 'new']);

function tenantOf(context: TurnContext): string | undefined {
  const channelData = context.activity.channelData as { tenant?: { id?: string } } | undefined;
  return context.activity.conversation?.tenantId ?? channelData?.tenant?.id;
}

/**
 * The bot in a coordinator's or colleague's personal chat: a few typed commands, and card
 * actions routed by verb. Content about a pupil only ever leaves as an invoke response.
 */
export class HandleWithCareBot extends TeamsActivityHandler {
  constructor(private readonly deps: BotDependencies) {
    super();

    this.onTurn(async (context, next) => {
      const correlationId = newCorrelationId();
      context.turnState.set(CORRELATION_ID_KEY, correlationId);
      if (this.isForeignTenant(context)) {
        this.turnContextOf(context).log.warn(
          { code: 'case.not-authorized' },
          'activity from another tenant refused',
        );
        // Nothing is remembered or handled; a card action still gets the neutral answer.
        if (context.activity.name === 'adaptiveCard/action') {
          await context.sendActivity({
            type: ActivityTypes.InvokeResponse,
            value: { status: 200, body: cardResponse(noticeCard('notAvailable', context.activity.locale)) },
          });
        }
        return;
      }
      if (deps.language) context.activity.locale = deps.language;
      deps.references.remember(context.activity);
      await next();
    });

    this.onMessage(async (context, next) => {
      await this.answerMessage(context);
      await next();
    });

    this.onInstallationUpdateAdd(async (context, next) => {
      await context.sendActivity(stringsFor(context.activity.locale).welcome);
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const ctx = this.turnContextOf(context);
    const locale = context.activity.locale;
    const staffId = context.activity.from?.aadObjectId;
    if (!staffId) {
      ctx.log.warn({ code: 'case.not-authorized' }, 'card action without an Entra user');
      return cardResponse(noticeCard('notAvailable', locale));
    }
    const outcome = await this.deps.router.dispatch(invokeValue.action?.verb, invokeValue.action?.data, {
      staffId,
      locale,
      ctx,
    });
    if (outcome.replaceMessageWith) await this.replaceMessage(context, outcome.replaceMessageWith, ctx);
    return cardResponse(outcome.card);
  }

  private async answerMessage(context: TurnContext): Promise<void> {
    const t = stringsFor(context.activity.locale);
    // An Action.Submit fallback arrives as a message with a value: a client too old for our cards.
    if (context.activity.value !== undefined && !context.activity.text) {
      await context.sendActivity(t.unsupportedClient);
      return;
    }
    const text = TurnContext.removeRecipientMention(context.activity) ?? context.activity.text ?? '';
    const command = text
      .trim()
      .toLowerCase()
      .replace(/[.!?]+$/, '');
    if (!newSignalCommands.has(command)) {
      await context.sendActivity(t.help);
      return;
    }
    const staffId = context.activity.from?.aadObjectId;
    const schools = staffId ? intakeSchoolsOf(this.deps.services, staffId) : [];
    if (schools.length === 0) {
      this.turnContextOf(context).log.warn('new signal asked by someone without an intake role');
      await context.sendActivity(t.intake.notAllowed);
      return;
    }
    const form = intakeFormCard(
      this.deps.services,
      schools,
      context.activity.locale,
      this.deps.services.newId(),
    );
    await context.sendActivity({ attachments: [CardFactory.adaptiveCard(form)] });
  }

  private async replaceMessage(
    context: TurnContext,
    card: AdaptiveCardJson,
    ctx: RequestContext,
  ): Promise<void> {
    const messageId = context.activity.replyToId;
    if (!messageId) return;
    try {
      await context.updateActivity({
        id: messageId,
        type: 'message',
        attachments: [CardFactory.adaptiveCard(card)],
      });
    } catch (error) {
      ctx.log.warn(errorSummary(error), 'could not replace the card message');
    }
  }

  private isForeignTenant(context: TurnContext): boolean {
    const expected = this.deps.tenantId;
    return expected !== undefined && tenantOf(context) !== expected;
  }

  private turnContextOf(context: TurnContext): RequestContext {
    const correlationId =
      (context.turnState.get(CORRELATION_ID_KEY) as string | undefined) ?? newCorrelationId();
    return {
      correlationId,
      log: this.deps.logger.child({ correlationId, activity: context.activity.type }),
    };
  }
}
