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
import type {
  DeleteOutcome,
  Messenger,
  PostedMessage,
  RecipientContext,
  SendOptions,
  StaffRecipient,
  TeamsAppInstaller,
} from '../app/ports';
import { HwcError } from '../domain/errors';
import type { Logger } from '../logging/logger';
import type { ConversationReferences } from './conversation-references';
import { InMemoryFinalMessages, RedisFinalMessages, type FinalMessages } from './final-messages';
import {
  createTeamsRateLimiter,
  type CallLimiter,
  type RateSlot,
  type Release,
  type TeamsBucket,
  type TeamsRateLimiter,
} from './rate-limiter';
import {
  DEFAULT_RETRY_POLICY,
  certainlyNotTaken,
  errorCodeOf,
  httpStatusOf,
  isRetryable,
  isRetryableOnce,
  realRetryEnvironment,
  saysTenant,
  withRetries,
  type RetryEnvironment,
  type RetryPolicy,
} from './retry';
import { MemberCache } from './member-cache';
import { SharedRateBudget, SharedRateLimiter } from './shared-rate-budget';
import type { SharedRedis } from './shared-redis';

export interface TeamsMessengerOptions {
  /** The bot's Microsoft App Id; empty in local mode. */
  appId: string;
  /** Where to open a chat with someone the bot never talked to (Teams' global service URL). */
  serviceUrl: string;
  /** The school's tenant; falls back to the tenant seen in incoming activities. */
  tenantId?: string;
  /** A fixed language for everyone (BOT_LANGUAGE), instead of each user's Teams locale. */
  language?: 'nl' | 'en';
  /**
   * Installs the app for someone Teams does not let the bot write to (403). Without one, such a
   * person is 'delivery.unreachable' at once.
   */
  installer?: TeamsAppInstaller;
  /**
   * After installing the app, the waits before each new try to open the chat: Teams can take a few
   * seconds before the bot may write. Default DEFAULT_AFTER_INSTALL_DELAYS_MS.
   */
  afterInstallDelaysMs?: readonly number[];
  /** Retries of each call to Teams; default DEFAULT_RETRY_POLICY (5 attempts, waits capped at 20 s). */
  retry?: Partial<RetryPolicy>;
  /**
   * This instance's limiter for Teams' rate limits; default one with Teams' published limits. With
   * `shared`, every call also takes a slot in the budget all instances share.
   */
  limiter?: TeamsRateLimiter;
  /**
   * Redis shared by the bot's instances: Teams' rate limits are then counted across all of them
   * (a 429 pausing the tenant everywhere), and a card made neutral by one instance is safe from a
   * late progress update by another. Without it, both hold for this process only.
   */
  shared?: SharedRedis;
  /** How the retries wait (tests pass a fast or recording one); default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** The retries' jitter, in [0, 1); default Math.random. */
  random?: () => number;
  /** Where retries and installs are logged (no names, no ids of people). */
  logger?: Logger;
}

/** Three more tries over 14 s after installing the app. */
export const DEFAULT_AFTER_INSTALL_DELAYS_MS: readonly number[] = [2000, 4000, 8000];

/** A getMember only adds the Teams id and name: not worth holding a card up for long. */
const MEMBER_LOOKUP_ATTEMPTS = 2;

type Operation = 'createConversation' | 'sendActivity' | 'updateActivity' | 'deleteActivity' | 'getMember';

/**
 * Calls that must not be carried out twice: each sendActivity that reaches Teams is one more card
 * in the chat. The others may be repeated: an update or delete does the same again, a member
 * lookup reads, and createConversation of a 1:1 chat answers with the chat that already exists (it
 * carries no activity here; if it ever did, it would post a card and belong in this set).
 */
const ONCE_ONLY: ReadonlySet<Operation> = new Set(['sendActivity']);

/** A call to Teams that failed for good: which, how often it was tried, and the last error (`cause`). */
class ConnectorCallFailed extends Error {
  readonly statusCode: number | undefined;
  /** A card may be in the chat although the post failed: Teams may have stored it before the answer was lost. */
  readonly mayHavePosted: boolean;

  constructor(
    readonly operation: Operation,
    readonly attempts: number,
    cause: unknown,
  ) {
    const status = httpStatusOf(cause);
    super(
      `${operation} failed${status !== undefined ? ` with HTTP ${status}` : ''} after ${attempts} attempt(s)`,
      { cause },
    );
    this.name = 'ConnectorCallFailed';
    this.statusCode = status;
    this.mayHavePosted = ONCE_ONLY.has(operation) && !certainlyNotTaken(cause);
  }
}

/**
 * The card's fallbackText is also the message's summary: what the chat list and the notification
 * show instead of 'Sent a card'. Posted cards are neutral, so it names no pupil either.
 */
function cardActivity(card: AdaptiveCardJson): Partial<Activity> {
  const summary =
    typeof card.fallbackText === 'string' && card.fallbackText !== '' ? card.fallbackText : undefined;
  return {
    type: ActivityTypes.Message,
    ...(summary ? { summary } : {}),
    attachments: [CardFactory.adaptiveCard(card)],
  };
}

function conversationSlot(conversationId: string | undefined): RateSlot<TeamsBucket> | undefined {
  return conversationId ? { bucket: 'conversation', key: conversationId } : undefined;
}

/**
 * Posts, updates and deletes cards in personal chats through Bot Framework.
 *
 * Every call to Teams (createConversation, send, update, delete, getMember) waits for the rate limiter
 * (per tenant always, per conversation where known) and is retried here on 412, 429, 502, 503, 504
 * and connection errors, honouring Retry-After up to a cap; botbuilder's own HTTP retries are off
 * for these calls (createBotAdapter), so nothing is retried twice. A 429 also pauses the chat it
 * was for (the tenant only when Teams says the tenant), and a send given `until` waits out
 * throttling until then however often it comes: throttling is never a reason to give up on someone. A 403 on opening a chat installs the app (when an installer is given) and tries again.
 * Failures end as HwcError 'delivery.unreachable' or 'delivery.failed'.
 *
 * Posting a card is the exception: it is sent again only when Teams certainly did not take it (a
 * 4xx such as 429, a 503 with Retry-After, a connection refused or a name not resolved). After
 * any other failure the card may be in the chat with an id the bot never learns, so one send
 * leaves at most one card; the send then fails with a message saying the card may have arrived.
 *
 * With `shared` (several instances on one Redis) the rate limits, a 429's pause and the memory of
 * neutralised cards hold for all instances together; when Redis fails, each instance falls back
 * to its own, so cards still go out.
 *
 * Errors inside an adapter callback would go to onTurnError instead of the caller, so each callback
 * catches and the error is rethrown here, where the use case can count it.
 */
export class TeamsMessenger implements Messenger {
  private readonly limiter: CallLimiter<TeamsBucket>;
  private readonly retryPolicy: RetryPolicy;
  private readonly env: RetryEnvironment;
  private readonly afterInstallDelaysMs: readonly number[];
  /** Messages that got their final card, as this process saw: synchronous, so it keeps one card's updates in order. */
  private readonly finals = new InMemoryFinalMessages();
  /** The same, as every instance saw (with `shared`). */
  private readonly sharedFinals: FinalMessages | undefined;
  /** Member lookups per person, shared through Redis with `shared`. */
  private readonly members: MemberCache;

  /** Per message: the update being sent, and the newest one waiting for it. */
  private readonly updates = new Map<
    string,
    { running?: Promise<void>; waiting?: { card: AdaptiveCardJson; final: boolean; done: Promise<void> } }
  >();

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly references: ConversationReferences,
    private readonly options: TeamsMessengerOptions,
  ) {
    const local = options.limiter ?? createTeamsRateLimiter();
    const logger = options.logger;
    this.limiter = options.shared
      ? new SharedRateLimiter(
          local,
          new SharedRateBudget({ shared: options.shared, ...(logger ? { logger } : {}) }),
        )
      : local;
    this.sharedFinals = options.shared
      ? new RedisFinalMessages(options.shared, logger ? { logger } : {})
      : undefined;
    this.members = new MemberCache({
      ...(options.shared ? { shared: options.shared } : {}),
      ...(logger ? { logger } : {}),
    });
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.env = {
      ...realRetryEnvironment,
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.random ? { random: options.random } : {}),
    };
    this.afterInstallDelaysMs = options.afterInstallDelaysMs ?? DEFAULT_AFTER_INSTALL_DELAYS_MS;
  }

  async sendCard(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
    options: SendOptions = {},
  ): Promise<PostedMessage> {
    // Throttling of this send (opening the chat, posting) is waited out until `until`.
    const policy: RetryPolicy = options.until
      ? { ...this.retryPolicy, throttledUntil: options.until.getTime() }
      : this.retryPolicy;
    try {
      return await this.deliver(to, card, policy);
    } catch (error) {
      throw deliveryError(error);
    }
  }

  /**
   * Updates of one card go out one at a time, in order. An update still waiting for the one
   * before it is replaced by a newer one: thirty acknowledgements in a minute cost a few PUTs of
   * the coordinator's card, not thirty, and the last state always lands.
   */
  updateCard(
    message: PostedMessage,
    card: AdaptiveCardJson,
    options: { final?: boolean } = {},
  ): Promise<void> {
    const key = messageKey(message);
    const final = options.final === true;
    // Progress after the final card is dropped; the final card itself may be tried again after a failure.
    if (this.finals.hasNow(message) && !final) return Promise.resolve();
    if (final) this.finals.recordNow(message);
    const slot = this.updates.get(key) ?? {};
    this.updates.set(key, slot);
    if (slot.waiting) {
      slot.waiting.card = card;
      slot.waiting.final = final;
      return slot.waiting.done;
    }
    const waiting = { card, final, done: Promise.resolve() };
    const before = slot.running ?? Promise.resolve();
    waiting.done = before
      .then(async () => {
        if (slot.waiting === waiting) slot.waiting = undefined;
        const run = this.update(message, waiting.card, waiting.final);
        const settled = run.then(
          () => undefined,
          () => undefined,
        );
        slot.running = settled;
        try {
          await run;
        } finally {
          if (!slot.waiting && slot.running === settled) this.updates.delete(key);
        }
      })
      .catch((error: unknown) => {
        // A final card for a message that no longer exists has nothing left to neutralize.
        if (waiting.final && statusOfFailure(error) === 404) return;
        throw deliveryError(error);
      });
    slot.waiting = waiting;
    return waiting.done;
  }

  async deleteCard(message: PostedMessage): Promise<DeleteOutcome> {
    try {
      await this.run(this.referenceTo(message), async (context) => {
        await this.call('deleteActivity', conversationSlot(message.conversationId), () =>
          context.deleteActivity(message.activityId),
        );
      });
      // Only this process's memory: in Redis the mark stays until it expires, so another instance's
      // late progress update is dropped rather than failing on a message that is gone.
      this.finals.forgetNow(message);
      return 'deleted';
    } catch (error) {
      const status = statusOfFailure(error);
      if (status === 404) {
        this.finals.forgetNow(message);
        return 'gone';
      }
      if (status === 501 || status === 405) return 'not-supported';
      throw deliveryError(error);
    }
  }

  private referenceTo(message: PostedMessage): Partial<ConversationReference> {
    return {
      conversation: { id: message.conversationId },
      serviceUrl: message.serviceUrl,
      channelId: 'msteams',
    } as Partial<ConversationReference>;
  }

  private async deliver(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
    policy: RetryPolicy,
  ): Promise<PostedMessage> {
    const known = await this.references.get(to.staffId);
    if (known?.reference.conversation && known.reference.serviceUrl) {
      const user = known.reference.user;
      const recipient: RecipientContext = {
        teamsUserId: user?.id,
        locale: this.options.language ?? known.locale,
        ...(user?.name ? { name: user.name } : {}),
      };
      try {
        return await this.post(known.reference, card(recipient), policy);
      } catch (error) {
        if (httpStatusOf(error) !== 403) throw error;
        // The app was removed or the chat blocked since: open the chat anew, installing if we can.
        this.options.logger?.info({ event: 'teams.known-chat.forbidden' }, 'a known chat answered 403');
      }
    }
    return this.openChatAndPost(to, card, known?.locale, policy);
  }

  private async update(message: PostedMessage, card: AdaptiveCardJson, final: boolean): Promise<void> {
    // Noted before the PUT, so that an instance checking after this cannot overwrite the neutral card.
    if (final) await this.sharedFinals?.record(message);
    await this.run(this.referenceTo(message), async (context) => {
      await this.call('updateActivity', conversationSlot(message.conversationId), async () => {
        // Asked once the limiter lets the call go, just before the PUT: a neutral card from another
        // instance can then slip in only during this one round trip to Redis.
        if (!final && (await this.sharedFinals?.has(message))) {
          this.finals.recordNow(message);
          return;
        }
        await context.updateActivity({ ...cardActivity(card), id: message.activityId });
      });
    });
  }

  private async post(
    reference: Partial<ConversationReference>,
    card: AdaptiveCardJson,
    policy: RetryPolicy,
  ): Promise<PostedMessage> {
    let activityId: string | undefined;
    await this.run(reference, async (context) => {
      const response = await this.call(
        'sendActivity',
        conversationSlot(reference.conversation?.id),
        () => context.sendActivity(cardActivity(card)),
        policy,
      );
      activityId = response?.id;
    });
    return this.posted(reference.conversation?.id, reference.serviceUrl, activityId);
  }

  /**
   * Opens the chat and posts. A 403 (app not installed for the person) installs the app once and
   * tries again after each of afterInstallDelaysMs.
   */
  private async openChatAndPost(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
    knownLocale: string | undefined,
    policy: RetryPolicy,
  ): Promise<PostedMessage> {
    const installer = this.options.installer;
    for (let retry = 0; ; retry++) {
      try {
        return await this.openChatOnce(to, card, knownLocale, policy);
      } catch (error) {
        if (httpStatusOf(error) !== 403) throw error;
        if (!installer) {
          throw new HwcError(
            'delivery.unreachable',
            'Teams refused a chat with the recipient (403): the app is not installed for them and no installer is configured',
            { cause: causeOf(error) },
          );
        }
        if (retry === 0) {
          try {
            await installer.installFor(to.staffId);
          } catch (installError) {
            throw new HwcError(
              'delivery.unreachable',
              'Teams refused a chat with the recipient (403) and installing the app for them failed',
              { cause: installError },
            );
          }
          this.options.logger?.info({ event: 'teams.app.installed' }, 'installed the app for a recipient');
        }
        const wait = this.afterInstallDelaysMs[retry];
        if (wait === undefined) {
          throw new HwcError(
            'delivery.unreachable',
            `Teams still refused a chat with the recipient (403) after installing the app and ${retry} more tries`,
            { cause: causeOf(error) },
          );
        }
        await this.env.sleep(wait);
      }
    }
  }

  private async openChatOnce(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
    knownLocale: string | undefined,
    policy: RetryPolicy,
  ): Promise<PostedMessage> {
    const tenantId = this.options.tenantId ?? (await this.references.tenantId());
    const serviceUrl = (await this.references.serviceUrl()) ?? this.options.serviceUrl;
    const bot = await this.references.bot();
    const parameters = {
      isGroup: false,
      bot: bot ?? { id: this.options.appId ? `28:${this.options.appId}` : 'bot', name: '' },
      members: [{ id: to.staffId, aadObjectId: to.staffId, name: '' }],
      ...(tenantId ? { tenantId, channelData: { tenant: { id: tenantId } } } : {}),
    } as ConversationParameters;
    const locale = this.options.language ?? knownLocale;
    let failure: { error: unknown } | undefined;
    let result: PostedMessage | undefined;
    // The chat does not exist yet, so Teams' per-chat limit is counted per person here.
    await this.call(
      'createConversation',
      { bucket: 'conversation', key: `chat-with:${to.staffId}` },
      (done) =>
        this.adapter.createConversationAsync(
          this.options.appId,
          'msteams',
          serviceUrl,
          undefined as unknown as string,
          parameters,
          async (context) => {
            // createConversation has been answered: what follows are calls of their own.
            done();
            // Only createConversation itself fails createConversationAsync (and is retried above); what
            // fails in here has been retried on its own and must not open the chat a second time.
            try {
              const reference = TurnContext.getConversationReference(context.activity);
              const conversationId = reference.conversation?.id;
              // The chat was opened by Entra object id; a card's automatic refresh needs the Teams id,
              // looked up once per person (a third call to Teams for each new chat otherwise).
              const member = await this.memberOf(context, conversationId, to.staffId);
              if (member?.teamsUserId) {
                reference.user = { id: member.teamsUserId, name: member.name ?? '', aadObjectId: to.staffId };
              }
              const recipient: RecipientContext = {
                teamsUserId: member?.teamsUserId,
                locale,
                ...(member?.name ? { name: member.name } : {}),
              };
              const response = await this.call(
                'sendActivity',
                conversationSlot(conversationId),
                () => context.sendActivity(cardActivity(card(recipient))),
                policy,
              );
              result = this.posted(conversationId, reference.serviceUrl, response?.id);
              this.references.rememberCreated(to.staffId, reference);
            } catch (error) {
              failure = { error };
            }
          },
        ),
      policy,
    );
    if (failure !== undefined) throw failure.error;
    if (!result) throw new Error('createConversation returned no conversation');
    return result;
  }

  private async memberOf(
    context: TurnContext,
    conversationId: string | undefined,
    aadObjectId: string,
  ): Promise<{ teamsUserId?: string; name?: string } | undefined> {
    const cached = await this.members.get(aadObjectId);
    if (cached) return cached;
    try {
      const member = await this.call(
        'getMember',
        conversationId ? { bucket: 'members', key: conversationId } : undefined,
        () => TeamsInfo.getMember(context, aadObjectId),
        { ...this.retryPolicy, maxAttempts: Math.min(this.retryPolicy.maxAttempts, MEMBER_LOOKUP_ATTEMPTS) },
      );
      const found = {
        ...(member.id && member.id !== aadObjectId ? { teamsUserId: member.id } : {}),
        ...(member.name ? { name: member.name } : {}),
      };
      if (found.teamsUserId) this.members.remember(aadObjectId, { ...found, teamsUserId: found.teamsUserId });
      return found;
    } catch {
      // Not fatal: without it the card still refreshes in a personal chat, just without userIds.
      return undefined;
    }
  }

  /**
   * One call to Teams: through the rate limiter (the tenant, and `slot` when given), retried on
   * what is worth retrying. A 429 pauses what it concerns for as long as the retry waits: the
   * chat (or person, or member list) of `slot`, and the whole tenant only when Teams says the
   * tenant (saysTenant) or the call has no narrower bucket; other chats go on meanwhile. The call
   * counts as under way until `run` settles, or until it calls `done` (when its answer is in but
   * `run` goes on with other calls, as createConversationAsync's callback does).
   */
  private async call<T>(
    operation: Operation,
    slot: RateSlot<TeamsBucket> | undefined,
    run: (done: Release) => Promise<T>,
    policy: RetryPolicy = this.retryPolicy,
  ): Promise<T> {
    const tenant: RateSlot<TeamsBucket> = {
      bucket: 'tenant',
      key: this.options.tenantId ?? (await this.references.tenantId()) ?? 'tenant',
    };
    const slots = slot ? [tenant, slot] : [tenant];
    let attempts = 0;
    const onceOnly = ONCE_ONLY.has(operation);
    try {
      return await withRetries(
        async (attempt) => {
          attempts = attempt;
          const release = await this.limiter.acquire(slots);
          try {
            return await run(release);
          } finally {
            release();
          }
        },
        policy,
        this.env,
        (notice) => {
          if (notice.status === 429) {
            this.limiter.pause(slot && !saysTenant(notice.error) ? slot : tenant, notice.delayMs);
          }
          this.options.logger?.warn(
            {
              event: 'teams.call.retry',
              operation,
              attempt: notice.attempt,
              ...(notice.status !== undefined ? { httpStatus: notice.status } : {}),
              ...(notice.retryAfterMs !== undefined ? { retryAfterMs: notice.retryAfterMs } : {}),
              delayMs: notice.delayMs,
            },
            'retrying a call to Teams',
          );
        },
        onceOnly ? isRetryableOnce : isRetryable,
      );
    } catch (error) {
      const failed = new ConnectorCallFailed(operation, attempts, error);
      if (failed.mayHavePosted) {
        // Logged, so that cards nobody can clean up can be counted; no ids, as everywhere.
        const code = errorCodeOf(error);
        this.options.logger?.warn(
          {
            event: 'teams.post.unconfirmed',
            attempt: attempts,
            ...(failed.statusCode !== undefined ? { httpStatus: failed.statusCode } : {}),
            ...(code !== undefined ? { errorCode: code } : {}),
          },
          'Teams may have posted a card without confirming it; it is not posted again',
        );
      }
      throw failed;
    }
  }

  private async run(
    reference: Partial<ConversationReference>,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<void> {
    let failure: { error: unknown } | undefined;
    await this.adapter.continueConversationAsync(this.options.appId, reference, async (context) => {
      try {
        await logic(context);
      } catch (error) {
        failure = { error };
      }
    });
    if (failure !== undefined) throw failure.error;
  }

  private posted(
    conversationId: string | undefined,
    serviceUrl: string | undefined,
    activityId: string | undefined,
  ) {
    if (!conversationId || !serviceUrl) throw new Error('the chat has no id or service URL');
    if (!activityId) {
      // Teams answered the post, so the card is in the chat; without its id it cannot be cleaned up.
      throw new HwcError(
        'delivery.failed',
        'Teams took the sendActivity but returned no message id: the card may have arrived, and cannot be cleaned up',
      );
    }
    return { conversationId, serviceUrl, activityId };
  }
}

/** The error a failed call ends with: the last one Teams (or the network) gave. */
function causeOf(error: unknown): unknown {
  return error instanceof ConnectorCallFailed ? error.cause : error;
}

function messageKey(message: PostedMessage): string {
  return `${message.conversationId}\u0000${message.activityId}`;
}

function statusOfFailure(error: unknown): number | undefined {
  return error instanceof ConnectorCallFailed ? error.statusCode : httpStatusOf(error);
}

/**
 * What the use cases see: 'delivery.unreachable' as it was, anything else as 'delivery.failed'.
 * A post that may have reached Teams is a failed delivery too (nothing confirms the person has
 * the card, and the bot cannot reach it later); its message says so, for the log.
 */
function deliveryError(error: unknown): HwcError {
  if (error instanceof HwcError) return error;
  if (error instanceof ConnectorCallFailed) {
    if (error.statusCode === 403) {
      return new HwcError('delivery.unreachable', `Teams refused the ${error.operation} (HTTP 403)`, {
        cause: error.cause,
      });
    }
    const code = errorCodeOf(error.cause);
    const what =
      error.statusCode !== undefined
        ? `HTTP ${error.statusCode}`
        : code !== undefined
          ? code
          : error.cause instanceof Error
            ? error.cause.name
            : 'an error';
    if (error.mayHavePosted) {
      return new HwcError(
        'delivery.failed',
        `Teams did not confirm the ${error.operation}: ${what} after ${error.attempts} attempt(s); the card may have arrived, and is not posted again`,
        { cause: error.cause },
      );
    }
    return new HwcError(
      'delivery.failed',
      `Teams did not take the ${error.operation}: ${what} after ${error.attempts} attempt(s)`,
      { cause: error.cause },
    );
  }
  const name = error instanceof Error ? error.name : typeof error;
  return new HwcError('delivery.failed', `delivering the card failed: ${name}`, { cause: error });
}
