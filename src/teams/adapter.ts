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
  JwtTokenValidation,
  type UserTokenClient,
  type AuthenticateRequestResult,
  type ClaimsIdentity,
  type ConnectorClient,
} from 'botframework-connector';
import { z } from 'zod';
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
  /**
   * BOT_SOVEREIGN_CLOUD: the overrides above are a national cloud's Bot Framework, not a stray test
   * value. Without it, production refuses them: they decide whose tokens the bot believes.
   */
  sovereignCloud?: boolean;
}

/** The one channel this bot serves; the manifest installs it in Teams only. */
export const TEAMS_CHANNEL_ID = 'msteams';

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
  refuseOverridesInProduction(settings);

  let warned = false;
  const config = botAuthConfig(settings, appId);
  const authentication = new HardenedBotFrameworkAuthentication(config, {
    // Local mode has no tokens to check; with an app id only the channel's issuer is believed.
    channelTokenIssuer: appId
      ? (config.ToBotFromChannelTokenIssuer ?? AuthenticationConstants.ToBotFromChannelTokenIssuer)
      : undefined,
    logger,
    onRetriesNotOff: () => {
      if (warned) return;
      warned = true;
      logger.warn(
        { event: 'bot.connector.retries-not-off' },
        "could not switch botbuilder's HTTP retries off for proactive calls: failed calls may be retried twice",
      );
    },
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

/**
 * The overrides decide whose signing keys and issuer the bot believes, so in production they are
 * only for a national cloud that says so (BOT_SOVEREIGN_CLOUD); a test value left behind would
 * otherwise let a local key sign Teams activities. readEnvOptions refuses the same, with the
 * other settings; this guards a caller that builds the adapter without it.
 */
function refuseOverridesInProduction(settings: BotAuthSettings): void {
  if (process.env.NODE_ENV !== 'production' || settings.sovereignCloud) return;
  const setting = settings.openIdMetadataUrl
    ? 'ToBotFromChannelOpenIdMetadataUrl'
    : settings.tokenIssuer
      ? 'ToBotFromChannelTokenIssuer'
      : undefined;
  if (setting) {
    throw new HwcError(
      'config.invalid',
      `${setting}: is for a sovereign (national) cloud only when NODE_ENV=production; leave it empty for the public cloud, or set BOT_SOVEREIGN_CLOUD=true`,
    );
  }
}

const JWT_LIBRARY_ERRORS = new Set(['JsonWebTokenError', 'NotBeforeError', 'TokenExpiredError']);

/** Why a request to /api/messages was refused; logged, never told to the caller. */
type TokenRefusal =
  'token' | 'issuer' | 'expiry' | 'channel' | 'service-url' | 'not-verified' | 'streaming' | 'skill';

const REFUSAL_TEXT: Record<TokenRefusal, string> = {
  token: 'no bearer token that can be read',
  issuer: 'token not issued by the Bot Framework channel (an Emulator, skill or other issuer)',
  expiry: 'token without an expiry',
  channel: 'activity not from the Teams channel',
  'service-url': 'activity serviceUrl is not the one the token was issued for',
  'not-verified': 'token could not be verified (signature, key, audience or lifetime)',
  streaming: 'streaming connection (named pipe or web socket); this bot takes HTTP only',
  skill: 'skill (bot-to-bot) call; this bot hosts no skills',
};

/** The same answer for every refusal: the caller learns nothing about which check failed. */
const UNAUTHORIZED = 'Unauthorized.';

/** The claims the channel check reads; anything else in the token is botbuilder's to verify. */
const channelClaimsSchema = z.looseObject({
  iss: z.string().optional(),
  exp: z.number().optional(),
  serviceurl: z.string().optional(),
});
type ChannelClaims = z.infer<typeof channelClaimsSchema>;

/** The payload of `Bearer <jwt>`, unverified: only to refuse early, before botbuilder picks a path. */
function unverifiedClaims(authHeader: string): ChannelClaims | undefined {
  const match = /^Bearer [A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/.exec(authHeader);
  if (!match?.[1]) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(match[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = channelClaimsSchema.safeParse(payload);
  return parsed.success ? parsed.data : undefined;
}

function verifiedClaims(identity: ClaimsIdentity | undefined): ChannelClaims | undefined {
  if (!identity?.isAuthenticated) return undefined;
  const parsed = channelClaimsSchema.safeParse(
    Object.fromEntries(identity.claims.map((claim) => [claim.type, claim.value])),
  );
  return parsed.success ? parsed.data : undefined;
}

/**
 * What a Teams-only bot accepts, beyond what botbuilder checks: a token of the Bot Framework
 * channel (botbuilder also takes the Emulator's issuers, with appid = the bot, and then checks
 * neither serviceUrl nor channel), that expires (jsonwebtoken checks `exp` only when present), for
 * a Teams activity, bound to the activity's serviceUrl (botbuilder skips that check when the
 * activity has none, yet an invoke is answered in the HTTP response all the same).
 */
function channelRefusal(
  claims: ChannelClaims | undefined,
  activity: Partial<Activity>,
  channelTokenIssuer: string,
): TokenRefusal | undefined {
  if (!claims) return 'token';
  if (claims.iss !== channelTokenIssuer) return 'issuer';
  if (claims.exp === undefined || !Number.isFinite(claims.exp)) return 'expiry';
  if (activity.channelId !== TEAMS_CHANNEL_ID) return 'channel';
  if (!activity.serviceUrl || claims.serviceurl !== activity.serviceUrl) return 'service-url';
  return undefined;
}

interface HardeningOptions {
  /** The only issuer believed; undefined in local mode, where there is no token to check. */
  channelTokenIssuer: string | undefined;
  logger: Logger;
  onRetriesNotOff: () => void;
}

function appIdOf(claimsIdentity: ClaimsIdentity): string {
  return JwtTokenValidation.getAppIdFromClaims(claimsIdentity.claims) ?? '';
}

/**
 * Clients by key, made once. A failed making is forgotten, so the next call tries again; a handful
 * of keys at most (one app, one service URL per region), capped all the same.
 */
export class ClientCache<T> {
  private readonly made = new Map<string, Promise<T>>();

  constructor(private readonly max = 32) {}

  get(key: string, make: () => Promise<T>): Promise<T> {
    const known = this.made.get(key);
    if (known) return known;
    if (this.made.size >= this.max) this.made.delete(this.made.keys().next().value as string);
    const making = make();
    this.made.set(key, making);
    making.catch(() => {
      if (this.made.get(key) === making) this.made.delete(key);
    });
    return making;
  }

  get size(): number {
    return this.made.size;
  }
}

/**
 * botbuilder's authentication, narrowed to what a Teams bot needs (channelRefusal), and with every
 * refusal answered 401: botbuilder 4.23 rethrows jsonwebtoken's errors (bad signature, token not yet
 * valid, malformed) as they are, which CloudAdapter answers with 500 and the library's message. A
 * token that does not verify is the caller's problem. CloudAdapter maps only botframework-connector's
 * AuthenticationError to 401, so every refusal throws exactly that.
 */
class HardenedBotFrameworkAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly channelTokenIssuer: string | undefined;
  private readonly logger: Logger;
  private readonly onRetriesNotOff: () => void;
  /**
   * botbuilder builds a new ConnectorClient (and UserTokenClient), HTTP pipeline and all, for every
   * proactive call; a thousand cards at the end of a day spent more time on that than on sending.
   * They hold no per-call state (the credentials cache and renew their own token), so one per app
   * and service URL serves every call, as botbuilder's older BotFrameworkAdapter did.
   */
  private readonly connectorClients = new ClientCache<ConnectorClient>();
  private readonly userTokenClients = new ClientCache<UserTokenClient>();

  constructor(config: ConfigurationBotFrameworkAuthenticationOptions, options: HardeningOptions) {
    super(config);
    this.channelTokenIssuer = options.channelTokenIssuer;
    this.logger = options.logger;
    this.onRetriesNotOff = options.onRetriesNotOff;
  }

  /**
   * CloudAdapter asks this (the outer object) for a connector factory only for proactive calls; an
   * incoming turn gets its factory from authenticateRequest, inside botbuilder. So only the
   * messenger's clients lose the SDK retries.
   */
  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    const inner = super.createConnectorFactory(claimsIdentity);
    const onRetriesNotOff = this.onRetriesNotOff;
    const clients = this.connectorClients;
    const appId = appIdOf(claimsIdentity);
    return new (class extends ConnectorFactory {
      override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
        return clients.get(`proactive|${appId}|${serviceUrl}|${audience ?? ''}`, async () => {
          const client = await inner.create(serviceUrl, audience);
          if (!withoutSdkRetries(client)) onRetriesNotOff();
          return client;
        });
      }
    })();
  }

  /** Only proactive calls ask for one (botbuilder makes one per call); the bot signs nobody in. */
  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.userTokenClients.get(appIdOf(claimsIdentity), () =>
      super.createUserTokenClient(claimsIdentity),
    );
  }

  override async authenticateRequest(
    activity: Activity,
    authHeader: string,
  ): Promise<AuthenticateRequestResult> {
    const issuer = this.channelTokenIssuer;
    if (issuer === undefined) {
      return this.withTurnClientsCached(
        await super.authenticateRequest(activity, authHeader).catch(rethrowAsAuthenticationError),
      );
    }
    // Refused before botbuilder sees it, so an Emulator or skill token never reaches the paths (and
    // the key downloads) botbuilder keeps for them.
    const early = channelRefusal(unverifiedClaims(authHeader), activity, issuer);
    if (early) throw this.refused(early);
    let result: AuthenticateRequestResult;
    try {
      result = await super.authenticateRequest(activity, authHeader);
    } catch (error) {
      if (isRefusal(error)) throw this.refused('not-verified');
      throw error;
    }
    // The same checks on what botbuilder verified, which is what counts.
    const late = channelRefusal(verifiedClaims(result.claimsIdentity), activity, issuer);
    if (late) throw this.refused(late);
    return this.withTurnClientsCached(result);
  }

  /**
   * Every incoming turn, too, got a ConnectorClient of its own for its replies: more CPU than the
   * bot's own work on a card view. These keep botbuilder's retries, so they are cached apart from
   * the proactive ones.
   */
  private withTurnClientsCached(result: AuthenticateRequestResult): AuthenticateRequestResult {
    const inner = result.connectorFactory;
    if (!inner) return result;
    const clients = this.connectorClients;
    const appId = appIdOf(result.claimsIdentity);
    const connectorFactory = new (class extends ConnectorFactory {
      override create(serviceUrl: string, audience?: string): Promise<ConnectorClient> {
        return clients.get(`turn|${appId}|${serviceUrl}|${audience ?? ''}`, () =>
          inner.create(serviceUrl, audience),
        );
      }
    })();
    return { ...result, connectorFactory };
  }

  /** Streaming (named pipes, web sockets) is for Azure App Service extensions; a Teams bot gets HTTP only. */
  override authenticateStreamingRequest(
    authHeader: string,
    channelIdHeader: string,
  ): Promise<AuthenticateRequestResult> {
    if (this.channelTokenIssuer !== undefined) return Promise.reject(this.refused('streaming'));
    return super
      .authenticateStreamingRequest(authHeader, channelIdHeader)
      .catch(rethrowAsAuthenticationError);
  }

  /** For skills calling back into their host bot; this bot is neither. */
  override authenticateChannelRequest(authHeader: string): Promise<ClaimsIdentity> {
    if (this.channelTokenIssuer !== undefined) return Promise.reject(this.refused('skill'));
    return super.authenticateChannelRequest(authHeader).catch(rethrowAsAuthenticationError);
  }

  private refused(reason: TokenRefusal): AuthenticationError {
    // The reason only: the token and the activity are the caller's input.
    this.logger.warn(
      { event: 'bot.auth.refused', reason },
      `Bot Framework request refused: ${REFUSAL_TEXT[reason]}`,
    );
    return new AuthenticationError(UNAUTHORIZED, StatusCodes.UNAUTHORIZED);
  }
}

/** An error botbuilder raises for a token that does not verify (not a network or other fault). */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof AuthenticationError || (error instanceof Error && JWT_LIBRARY_ERRORS.has(error.name))
  );
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
    throw new AuthenticationError(UNAUTHORIZED, StatusCodes.UNAUTHORIZED);
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
