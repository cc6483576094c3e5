import {
  ActivityTypes,
  CardFactory,
  TeamsActivityHandler,
  TurnContext,
  StatusCodes,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type InvokeResponse,
} from 'botbuilder';
import { z } from 'zod';
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

/** A Teams account or conversation, which may name its tenant. */
const carriesTenant = z.looseObject({ tenantId: z.unknown().optional() });

/** Every place a Teams activity names a tenant; all of them are input, none outranks another. */
const tenantFieldsSchema = z.looseObject({
  conversation: carriesTenant.nullish(),
  from: carriesTenant.nullish(),
  recipient: carriesTenant.nullish(),
  channelData: z.looseObject({ tenant: z.looseObject({ id: z.unknown().optional() }).nullish() }).nullish(),
  membersAdded: z.array(carriesTenant).nullish(),
  membersRemoved: z.array(carriesTenant).nullish(),
});

/** Why an activity is not the configured tenant's; logged, never told. */
type TenantRefusal = 'other-tenant' | 'no-tenant' | 'malformed';

/**
 * Whether the activity is the configured tenant's: every tenant it names must be that one, and it
 * must name one. Reading only the first field that is present let an activity with our tenant in
 * conversation.tenantId and another in channelData.tenant.id through. Tenant ids are GUIDs,
 * compared without regard to case (Teams sends lowercase; a setting may not be).
 */
function tenantRefusal(activity: unknown, expected: string): TenantRefusal | undefined {
  const parsed = tenantFieldsSchema.safeParse(activity);
  if (!parsed.success) return 'malformed';
  const { conversation, from, recipient, channelData, membersAdded, membersRemoved } = parsed.data;
  const named = [
    conversation?.tenantId,
    from?.tenantId,
    recipient?.tenantId,
    channelData?.tenant?.id,
    ...(membersAdded ?? []).map((m) => m.tenantId),
    ...(membersRemoved ?? []).map((m) => m.tenantId),
  ].filter((id) => id !== undefined && id !== null);
  if (named.length === 0) return 'no-tenant';
  const ours = expected.toLowerCase();
  return named.every((id) => typeof id === 'string' && id.toLowerCase() === ours)
    ? undefined
    : 'other-tenant';
}

/**
 * What botbuilder's getAdaptiveCardInvokeValue reads of an adaptiveCard/action invoke. It reads
 * `value.action.type` unchecked, so a value of 42, "x", [] or `{action: null}` throws a TypeError
 * (a 500 and an error log line), and answers an action of another type with a message that repeats
 * that type. The verb is a string where there is one; the data is each verb's own to check.
 */
const cardActionValueSchema = z.looseObject({
  action: z.looseObject({
    type: z.literal('Action.Execute'),
    verb: z.string().optional(),
    id: z.string().optional(),
    data: z.unknown().optional(),
  }),
});

/** The answer to an invoke value that does not fit: the same for all, repeating nothing of it. */
function badCardAction(): InvokeResponse<AdaptiveCardInvokeResponse> {
  return {
    status: StatusCodes.BAD_REQUEST,
    body: {
      statusCode: StatusCodes.BAD_REQUEST,
      type: 'application/vnd.microsoft.error',
      value: { code: 'BadRequest', message: 'The card action could not be read.' },
    },
  };
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
      // First, before anything reads the activity: this guards messages, card actions, installs and
      // every other type alike, as each of them passes this handler before its own.
      const refusal =
        deps.tenantId === undefined ? undefined : tenantRefusal(context.activity, deps.tenantId);
      if (refusal) {
        // The reason only: no tenant id, text or value of the caller's.
        this.turnContextOf(context).log.warn(
          { code: 'case.not-authorized', tenantCheck: refusal },
          'activity from another tenant refused',
        );
        // Nothing is remembered or handled; a card action still gets the neutral answer, the same
        // card as for any action that may not be done. Other invokes get what an unknown invoke gets.
        if (
          context.activity.type === ActivityTypes.Invoke &&
          context.activity.name === 'adaptiveCard/action'
        ) {
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

  /** Checks a card action's value before botbuilder reads it (see cardActionValueSchema). */
  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    if (context.activity.name === 'adaptiveCard/action') {
      const parsed = cardActionValueSchema.safeParse(context.activity.value);
      if (!parsed.success) {
        // Where it does not fit, by the schema's own field names; never the value.
        this.turnContextOf(context).log.warn(
          { code: 'action.invalid', fields: parsed.error.issues.map((i) => i.path.join('.') || '(value)') },
          'card action refused: its invoke value does not fit',
        );
        return badCardAction();
      }
    }
    return super.onInvokeActivity(context);
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

  private turnContextOf(context: TurnContext): RequestContext {
    const correlationId =
      (context.turnState.get(CORRELATION_ID_KEY) as string | undefined) ?? newCorrelationId();
    return {
      correlationId,
      log: this.deps.logger.child({ correlationId, activity: context.activity.type }),
    };
  }
}
