import type { IncomingMessage } from 'node:http';
import type * as restify from 'restify';
import { HwcError, isHwcError } from '../domain/errors';
import {
  answerRequest,
  problemReply,
  refuseOutsideTheHandler,
  refuseUnauthenticated,
  sendReply,
  type ApiReply,
} from '../http/api-replies';
import { clientAddress } from '../http/client-address';
import {
  createIntakeAuthenticator,
  DEFAULT_REQUIRED_ROLE,
  type IntakeAuthOptions,
  type SenderIdentity,
} from '../intake/intake-auth';
import { MemoryRateLimiter, type AsyncRateLimiter } from '../intake/rate-limiter';
import { errorSummary } from '../logging/error-summary';
import { newCorrelationId, type Logger } from '../logging/logger';
import type { MonthlyStatsStore } from './monthly-stats';

export const STATS_PATH = '/api/stats';
export const STATS_REALM = 'handle-with-care-stats';
export const DEFAULT_STATS_ROLE = 'Stats.Read';

/**
 * Who may read the statistics: API keys from STATS_API_KEYS (a scoped key sees only its schools)
 * and Entra app tokens with the stats role (every school). Never the intake's credentials.
 */
export interface StatsAuthOptions {
  apiKeys: IntakeAuthOptions['apiKeys'];
  /** `requiredRole` defaults to 'Stats.Read' here, not to the intake's 'Signals.Send'. */
  entra?: IntakeAuthOptions['entra'];
}

export interface StatsRouteOptions {
  logger: Logger;
  /** MonthlyStats (one instance) or RedisMonthlyStats (shared). */
  stats: Pick<MonthlyStatsStore, 'schoolIds' | 'report'>;
  auth: StatsAuthOptions;
  /**
   * The configured school ids: such a school is reported (with no months) before its first case.
   * Without it, the schools that have figures.
   */
  knownSchools?: readonly string[] | (() => readonly string[]);
  now?: () => Date;
  /** Failed authentications per client IP per minute before 429 instead of 401. Default 20. */
  failedAuthPerMinute?: number;
  /**
   * The failed-authentication budget, shared by the instances (a RedisRateLimiter with
   * `failedAuthPerMinute`, whose own limit then applies). Default: in memory.
   */
  failedAuthLimiter?: AsyncRateLimiter;
  /** Retry-After when the signing keys or the statistics cannot be read. Default 60 seconds. */
  retryAfterSeconds?: number;
}

type Reply = ApiReply;

const NOT_FOUND_DETAIL = 'There are no statistics for this school that these credentials may read.';

const STORE_UNAVAILABLE_DETAIL =
  'The statistics cannot be read right now. Try again after the Retry-After interval.';

/**
 * Registers GET /api/stats: the anonymous counts per school and month (DESIGN.md §4.5), as JSON,
 * for an API key of STATS_API_KEYS or an Entra app token with the stats role. `?school=<id>`
 * narrows the report to one school; a school outside the caller's scope and an unknown one both
 * answer 404, alike. Errors are application/problem+json, as on the intake.
 */
export function registerStatsRoutes(server: restify.Server, options: StatsRouteOptions): void {
  const log = options.logger.child({ component: 'stats' });
  const now = options.now ?? (() => new Date());
  const failedAuthPerMinute = options.failedAuthPerMinute ?? 20;
  const retryAfterSeconds = options.retryAfterSeconds ?? 60;
  for (const [name, value] of Object.entries({ failedAuthPerMinute, retryAfterSeconds })) {
    if (!Number.isInteger(value) || value < 1)
      throw new HwcError('config.invalid', `stats limit ${name} must be a positive whole number`);
  }
  const { apiKeys, entra } = options.auth;
  if (entra?.requiredRole === DEFAULT_REQUIRED_ROLE)
    throw new HwcError(
      'config.invalid',
      `the stats app role must not be the senders' role ${DEFAULT_REQUIRED_ROLE}`,
    );
  const authenticator = createIntakeAuthenticator(
    {
      apiKeys,
      realm: STATS_REALM,
      ...(entra ? { entra: { ...entra, requiredRole: entra.requiredRole ?? DEFAULT_STATS_ROLE } } : {}),
    },
    now,
  );
  const failedAuthLimiter =
    options.failedAuthLimiter ?? new MemoryRateLimiter(failedAuthPerMinute, () => now().getTime());
  if (apiKeys.length === 0 && !entra) {
    log.warn(
      'no stats credential configured (STATS_API_KEYS, or INTAKE_ENTRA_AUDIENCE with STATS_ENTRA_ROLE): /api/stats refuses every request',
    );
  }

  /** The schools a caller may see and that exist: configured, or with figures. */
  async function visibleSchools(scope: readonly string[] | 'all'): Promise<string[]> {
    const known = typeof options.knownSchools === 'function' ? options.knownSchools() : options.knownSchools;
    const existing = new Set([...(known ?? []), ...(await options.stats.schoolIds())]);
    return [...existing].filter((id) => scope === 'all' || scope.includes(id));
  }

  /** A failing shared store (the statistics, the limiter) means 503: try again later. */
  async function handle(req: IncomingMessage, correlationId: string): Promise<Reply> {
    const known: { sender?: SenderIdentity } = {};
    try {
      return await answer(req, correlationId, known);
    } catch (error) {
      if (!isHwcError(error, 'store.unavailable')) throw error;
      log.warn({ correlationId, ...errorSummary(error) }, 'stats: the shared store failed');
      return problemReply('service-unavailable', STORE_UNAVAILABLE_DETAIL, correlationId, {
        headers: { 'Retry-After': String(retryAfterSeconds) },
        reason: 'store.unavailable',
        ...(known.sender ? { sender: known.sender } : {}),
      });
    }
  }

  async function answer(
    req: IncomingMessage,
    correlationId: string,
    known: { sender?: SenderIdentity },
  ): Promise<Reply> {
    const auth = await authenticator.authenticate(req.headers);
    if (!auth.ok) {
      return refuseUnauthenticated(auth, clientAddress(req), correlationId, {
        failedAuth: failedAuthLimiter,
        retryAfterSeconds,
        log,
        logPrefix: 'stats',
      });
    }
    const sender = auth.sender;
    known.sender = sender;

    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const names = [...new Set(query.keys())];
    const schoolParams = query.getAll('school');
    if (names.some((name) => name !== 'school') || schoolParams.length > 1) {
      return problemReply('bad-request', 'The only query parameter is school, at most once.', correlationId, {
        sender,
        reason: 'query',
      });
    }

    const visible = await visibleSchools(auth.schools);
    const school = schoolParams[0];
    if (school !== undefined && !visible.includes(school)) {
      return problemReply('not-found', NOT_FOUND_DETAIL, correlationId, { sender, reason: 'school' });
    }
    const report = await options.stats.report(school !== undefined ? [school] : visible);
    return {
      status: 200,
      body: JSON.stringify(report),
      headers: { 'Content-Type': 'application/json' },
      sender,
    };
  }

  function record(correlationId: string, reply: Reply): void {
    const line = {
      correlationId,
      senderKind: reply.sender?.kind,
      senderId: reply.sender?.id,
      status: reply.status,
      problem: reply.problem,
      reason: reply.reason,
    };
    if (reply.status >= 500) log.error(line, 'stats: request failed');
    else if (reply.status === 200) log.info(line, 'stats: report read');
    else log.warn(line, 'stats: request refused');
  }

  server.get(STATS_PATH, (req: restify.Request, res: restify.Response, next: restify.Next) => {
    const correlationId = newCorrelationId();
    answerRequest(res, next, correlationId, handle(req, correlationId), {
      log,
      logPrefix: 'stats',
      done: (reply) => record(correlationId, reply),
    });
  });

  refuseOutsideTheHandler(
    server,
    {
      path: STATS_PATH,
      method: 'GET',
      refusedDetail: 'The request was refused before it reached the statistics.',
    },
    (res, correlationId, reply) => {
      sendReply(res, correlationId, reply);
      record(correlationId, reply);
    },
  );
}
