import {
  ActivityTypes,
  CallerIdConstants,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  StatusCodes,
  type Activity,
  type AdaptiveCardInvokeResponse,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from 'botbuilder';
// botframework-connector is botbuilder's own auth package (same pinned version); CloudAdapter maps
// only its AuthenticationError to 401, so the hardening below must throw exactly that class.
import {
  AuthenticationConstants,
  AuthenticationError,
  ConnectorFactory,
  type AuthenticateRequestResult,
  type ClaimsIdentity,
  type ConnectorClient,
} from 'botframework-connector';
import { noticeCard } from '../app/case-cards';
import type { AdaptiveCardJson } from '../cards/card-data';
import { HwcError, isHwcError } from '../domain/errors';
import { stringsFor } from '../i18n/strings';
import { errorSummary } from '../logging/error-summary';
import { newCorrelationId, type Logger } from '../logging/logger';

export interface BotAuthSettings {
  appId?: string;
  appPassword?: string;
  appType?: 'MultiTenant' | 'SingleTenant' | 'UserAssignedMSI';
  tenantId?: string;
  /** test/ops overrides for the channel's OpenID metadata and token issuer */
  openIdMetadataUrl?: string;
  tokenIssuer?: string;
}

/** turnState key of the turn's correlation id, set when a turn starts. */
export const CORRELATION_ID_KEY = 'correlationId';

/**
 * The bot's CloudAdapter: JWT-validated Bot Framework requests (unless running locally without an
 * app id) and a turn error handler that tells the user something neutral and logs no user text.
 * Proactive calls (continueConversationAsync, createConversationAsync: what TeamsMessenger uses) go
 * out without botbuilder's own HTTP retries, because TeamsMessenger retries them itself; replies in
 * an incoming turn keep botbuilder's retries. See withoutSdkRetries and docs/teams-limits.md.
 */
export function createBotAdapter(settings: BotAuthSettings, logger: Logger): CloudAdapter {
  const appId = settings.appId?.trim() || undefined;
  if (!appId) {
    if (process.env.NODE_ENV === 'production') {
      throw new HwcError(
        'config.invalid',
        'Bot Framework authentication cannot be off in production: set the app id',
      );
    }
    logger.warn(
      { event: 'bot.auth.off' },
      '!!! Bot Framework authentication is OFF (local mode: no app id). /api/messages accepts unauthenticated requests. Never run like this in production. !!!',
    );
  }

  let warned = false;
  const authentication = new HardenedBotFrameworkAuthentication(botAuthConfig(settings, appId), () => {
    if (warned) return;
    warned = true;
    logger.warn(
      { event: 'bot.connector.retries-not-off' },
      "could not switch botbuilder's HTTP retries off for proactive calls: failed calls may be retried twice",
    );
  });
  const adapter = new CloudAdapter(authentication);
  if (appId && (settings.openIdMetadataUrl || settings.tokenIssuer)) {
    logger.warn(
      {
        event: 'bot.auth.overridden',
        openIdMetadataUrl: settings.openIdMetadataUrl,
        tokenIssuer: settings.tokenIssuer,
      },
      'Bot Framework channel token validation uses overridden OpenID metadata / issuer',
    );
  }
  adapter.onTurnError = (context, error) => handleTurnError(context, error, logger);
  return adapter;
}

/**
 * The plain config object for ConfigurationBotFrameworkAuthentication. With no override it holds
 * only the app credentials, and botbuilder uses its public-cloud defaults. As soon as one of the
 * "parameterised" keys (ToChannelFromBotLoginUrl, ToChannelFromBotOAuthScope,
 * ToBotFromChannelTokenIssuer, OAuthUrl, ToBotFromChannelOpenIdMetadataUrl,
 * ToBotFromEmulatorOpenIdMetadataUrl, CallerId) is set, botbuilder 4.23 takes *all* of them from the
 * config (BotFrameworkAuthenticationFactory.create), leaving unset ones undefined. So an override sets
 * all seven (public-cloud values for the ones not overridden) plus ValidateAuthority. The emulator
 * metadata URL follows the channel override, so no token path reaches login.botframework.com.
 */
export function botAuthConfig(
  settings: BotAuthSettings,
  appId = settings.appId?.trim() || undefined,
): ConfigurationBotFrameworkAuthenticationOptions {
  const config: ConfigurationBotFrameworkAuthenticationOptions = {};
  if (appId) {
    config.MicrosoftAppId = appId;
    config.MicrosoftAppType = settings.appType ?? 'MultiTenant';
    if (settings.appPassword) config.MicrosoftAppPassword = settings.appPassword;
    if (settings.tenantId) config.MicrosoftAppTenantId = settings.tenantId;
  }
  if (settings.openIdMetadataUrl || settings.tokenIssuer) {
    Object.assign(config, {
      ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
      ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
      ToBotFromChannelTokenIssuer:
        settings.tokenIssuer || AuthenticationConstants.ToBotFromChannelTokenIssuer,
      OAuthUrl: AuthenticationConstants.OAuthUrl,
      ToBotFromChannelOpenIdMetadataUrl:
        settings.openIdMetadataUrl || AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
      ToBotFromEmulatorOpenIdMetadataUrl:
        settings.openIdMetadataUrl || AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
      CallerId: CallerIdConstants.PublicAzureChannel,
      ValidateAuthority: true,
    } satisfies ConfigurationBotFrameworkAuthenticationOptions);
  }
  return config;
}

const JWT_LIBRARY_ERRORS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

/**
 * botbuilder 4.23 rethrows jsonwebtoken's errors (bad signature, token not yet valid, malformed)
 * as they are, which CloudAdapter answers with 500 and the library's message. A token that does not
 * verify is the caller's problem: answer 401.
 */
class HardenedBotFrameworkAuthentication extends ConfigurationBotFrameworkAuthentication {
  constructor(
    config: ConfigurationBotFrameworkAuthenticationOptions,
    private readonly onRetriesNotOff: () => void,
  ) {
    super(config);
  }

  /**
   * CloudAdapter asks this (the outer object) for a connector factory only for proactive calls; an
   * incoming turn gets its factory from authenticateRequest, inside botbuilder. So only the
   * messenger's clients lose the SDK retries.
   */
  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const inner = super.createConnectorFactory(claimsIdentity);
    const onRetriesNotOff = this.onRetriesNotOff;
    return new (class extends ConnectorFactory {
      override async create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
        const client = await inner.create(serviceUrl, audience);
        if (!withoutSdkRetries(client)) onRetriesNotOff();
        return client;
      }
    })();
  }

  override authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return super.authenticateRequest(activity, authHeader).catch(rethrowAsAuthenticationError);
  }

  override authenticateStreamingRequest(
    authHeader: string,
    channelIdHeader: string,
  ): Promise<AuthenticateRequestResult> {
    return super
      .authenticateStreamingRequest(authHeader, channelIdHeader)
      .catch(rethrowAsAuthenticationError);
  }

  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    return super.authenticateChannelRequest(authHeader).catch(rethrowAsAuthenticationError);
  }
}

interface PipelineLike {
  removePolicy(options: { name?: string; phase?: string }): unknown[];
  getOrderedPolicies(): Array<{ name: string }>;
}

/**
 * Takes botbuilder's HTTP retries out of a ConnectorClient; true when none is left.
 *
 * What botbuilder 4.23.3 retries, and why it has to be taken out rather than configured:
 * ConnectorClient → ConnectorClientContext → botbuilder-stdlib's azureCoreHttpCompat
 * ServiceClientContext, which builds an @azure/core-client ServiceClient from the options' endpoint,
 * proxy, httpClient and credential scopes only (so `retryOptions` in ConnectorClientOptions is
 * ignored), and ConnectorFactoryImpl.create overwrites `requestPolicyFactories`. That ServiceClient's
 * pipeline (@azure/core-rest-pipeline createPipelineFromOptions) holds `defaultRetryPolicy`, in the
 * 'Retry' phase: @typespec/ts-http-runtime's retryPolicy with 3 retries of
 *  - throttlingRetryStrategy: a 429 or 503 that carries Retry-After (or retry-after-ms,
 *    x-ms-retry-after-ms), waiting exactly that long, with no cap;
 *  - exponentialRetryStrategy: 408 and every 5xx but 501 and 505 (so 500, 502, 503, 504), and the
 *    connection errors ETIMEDOUT, ESOCKETTIMEDOUT, ECONNREFUSED, ECONNRESET, ENOENT, ENOTFOUND,
 *    waiting 1 s · 2^n, half of it jittered, at most 64 s.
 * Never a 429 without Retry-After, never 412, 400, 401, 403, 404, 501. The ServiceClient is the
 * context's `client` field (private in the typings, public at run time); removing the 'Retry' phase
 * from its pipeline leaves the serialization, signing and redirect policies as they were.
 * test/teams/teams-messenger-limits.test.ts counts the requests to prove it.
 */
export function withoutSdkRetries(client: ConnectorClient): boolean {
  const pipeline = (client as unknown as { client?: { pipeline?: PipelineLike } }).client?.pipeline;
  if (typeof pipeline?.removePolicy !== 'function' || typeof pipeline.getOrderedPolicies !== 'function') {
    return false;
  }
  pipeline.removePolicy({ phase: 'Retry' });
  pipeline.removePolicy({ name: 'defaultRetryPolicy' });
  return !pipeline.getOrderedPolicies().some((p) => /retry/i.test(p.name));
}

function rethrowAsAuthenticationError(err: unknown): never {
  if (err instanceof Error && JWT_LIBRARY_ERRORS.has(err.name)) {
    throw new AuthenticationError('Unauthorized. Token could not be verified.', StatusCodes.UNAUTHORIZED);
  }
  throw err;
}

/** Activity types after which the user gets a chat message; others (reactions, events, typing) only log. */
const REPLY_AFTER: ReadonlySet<string> = new Set([
  ActivityTypes.Message,
  ActivityTypes.ConversationUpdate,
  ActivityTypes.InstallationUpdate,
]);

/** The answer to an Action.Execute: a card shown to this user only. */
export function cardResponse(card: AdaptiveCardJson): AdaptiveCardInvokeResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
}

async function handleTurnError(context: TurnContext, error: unknown, logger: Logger): Promise<void> {
  const correlationId = correlationIdOf(context);
  const activity: Partial<Activity> = context.activity ?? {};
  logger.error(
    {
      event: 'bot.turn.error',
      correlationId,
      activityType: activity.type,
      ...(activity.type === ActivityTypes.Invoke ? { invokeName: activity.name } : {}),
      ...errorSummary(error),
    },
    'Unhandled error in a bot turn',
  );

  const text = stringsFor(activity.locale ?? context.locale).turnError(correlationId);
  try {
    if (activity.type === ActivityTypes.Invoke && isHwcError(error, 'store.unavailable')) {
      // The store is away for a moment: a neutral card that says so, never an error screen.
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: {
          status: StatusCodes.OK,
          body:
            activity.name === 'adaptiveCard/action'
              ? cardResponse(noticeCard('tryAgain', activity.locale ?? context.locale))
              : undefined,
        },
      });
    } else if (activity.type === ActivityTypes.Invoke) {
      // CloudAdapter answers an invoke from the invoke response left in turnState; without one it
      // would answer 501 (or whatever the handler set before it threw). Error out explicitly.
      await context.sendActivity({
        type: ActivityTypes.InvokeResponse,
        value: {
          status: StatusCodes.INTERNAL_SERVER_ERROR,
          body:
            activity.name === 'adaptiveCard/action'
              ? {
                  statusCode: StatusCodes.INTERNAL_SERVER_ERROR,
                  type: 'application/vnd.microsoft.error',
                  value: { code: 'InternalServerError', message: text },
                }
              : undefined,
        },
      });
    } else if (REPLY_AFTER.has(activity.type ?? '') && activity.conversation?.id && activity.serviceUrl) {
      await context.sendActivity(text);
    }
  } catch (noticeError) {
    logger.error(
      { event: 'bot.turn.error-notice-failed', correlationId, ...errorSummary(noticeError) },
      'Could not tell the user about a turn error',
    );
  }
}

function correlationIdOf(context: TurnContext): string {
  const existing: unknown = context.turnState.get(CORRELATION_ID_KEY);
  if (typeof existing === 'string' && existing.trim() !== '') return existing;
  const generated = newCorrelationId();
  context.turnState.set(CORRELATION_ID_KEY, generated);
  return generated;
}
