/**
 * Retries of calls to the Bot Connector, owned here rather than by botbuilder's HTTP pipeline (which
 * createBotAdapter switches off for the messenger's calls; see docs/teams-limits.md): waits are
 * capped and a 429 can slow the rate limiter down for every call, not only the one retried.
 * Pure of Bot Framework: it reads the status and Retry-After from the error's shape.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The backoff's first ceiling; it doubles with each retry (full jitter: a random wait below it). */
  baseDelayMs: number;
  /** Cap of every wait: the backoff's ceiling and a Retry-After the service asks for. */
  maxDelayMs: number;
  /**
   * Wall-clock ms until which throttling (429) is waited out: a 429 is then tried again however
   * often, without counting against `maxAttempts`, as long as the wait ends before this. Throttling
   * says "not now", never "not at all".
   */
  throttledUntil?: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
};

export interface RetryEnvironment {
  sleep: (ms: number) => Promise<void>;
  /** In [0, 1), for the jitter. */
  random: () => number;
  /** Wall clock in ms, to read a Retry-After given as an HTTP date. */
  now: () => number;
}

export const realRetryEnvironment: RetryEnvironment = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
};

/**
 * What Teams asks bots to retry (429, 412, 502, 504 in the rate-limit guidance) and 503. Never
 * 400, 401, 403, 404 or 501: trying again gives the same answer (403 has its own path: installing the app).
 * A request that must not be carried out twice is retried on fewer of them: isRetryableOnce.
 */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([412, 429, 502, 503, 504]);

/** Connection failures worth another try (Node's codes, and @azure/core-rest-pipeline's). */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'REQUEST_SEND_ERROR',
]);

/**
 * Connection failures that happen before a single byte of the request is sent: the name did not
 * resolve (ENOTFOUND, EAI_AGAIN come from the DNS lookup that precedes connecting) or the connect
 * was refused (ECONNREFUSED answers the TCP handshake; a connection once open fails with ECONNRESET
 * instead). botbuilder's HTTP client (@typespec/ts-http-runtime's NodeHttpClient, under
 * @azure/core-rest-pipeline) gives Node's `code` on its RestError and nothing else about the
 * socket, so a code is all there is to go by. Every other failure (ECONNRESET, ETIMEDOUT, EPIPE, a
 * timeout, REQUEST_SEND_ERROR) can come after the request was written, and Teams may have taken it.
 */
const NOT_SENT_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

interface HeadersLike {
  get(name: string): string | null | undefined;
}

/** The HTTP status of a failed call: botbuilder throws a RestError with `statusCode`. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, response } = error as { statusCode?: unknown; response?: { status?: unknown } };
  if (typeof statusCode === 'number') return statusCode;
  return typeof response?.status === 'number' ? response.status : undefined;
}

export function errorCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Whether a 429 says the whole tenant is over its limit, not only the chat it was for. Teams
 * documents no way to tell the two apart, so only an answer that names the tenant (its error code
 * or message; the fake Bot Connector's tenant window does) pauses every chat; any other 429
 * delays the chat it concerns. The messenger's own limiter keeps the tenant under 50 per second,
 * so a tenant-wide 429 is rare anyway.
 */
export function saysTenant(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return [code, message].some((text) => typeof text === 'string' && /tenant/i.test(text));
}

/** Worth another try, for a request that may be carried out twice (a PUT, a DELETE, a GET). */
export function isRetryable(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== undefined) return RETRYABLE_STATUSES.has(status);
  const code = errorCodeOf(error);
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * Whether the failure shows that Teams did not take the request, so that sending it again cannot
 * carry it out twice:
 * - any 4xx: Teams looked at the request and refused it (a 429 is throttling, a 412 a failed
 *   precondition; neither stores anything);
 * - a 503 with Retry-After: Teams' way of saying "not now, come back then" (as Azure services and
 *   botbuilder's own retry policy read it);
 * - a connection that failed before anything was sent (NOT_SENT_NETWORK_CODES).
 * Not: 500, 502, 504 or a 503 without Retry-After (Teams, or a gateway in front of it, may have
 * stored the message and failed after), nor a connection that broke or timed out once open.
 */
export function certainlyNotTaken(error: unknown): boolean {
  const status = httpStatusOf(error);
  if (status !== undefined) {
    if (status >= 400 && status < 500) return true;
    return status === 503 && retryAfterMsOf(error, 0) !== undefined;
  }
  const code = errorCodeOf(error);
  return code !== undefined && NOT_SENT_NETWORK_CODES.has(code);
}

/**
 * Worth another try, for a request that must not be carried out twice (posting a card): only when
 * Teams certainly did not take it. A second card would be one the bot never learns the id of, so
 * it could never be made neutral or deleted when the case ends.
 */
export function isRetryableOnce(error: unknown): boolean {
  return isRetryable(error) && certainlyNotTaken(error);
}

/**
 * A Retry-After header value in ms: delta-seconds ("3") or an HTTP date; undefined when absent
 * or unreadable. A date in the past gives 0.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** Retry-After of a failed call, in ms: RestError keeps the response, with `headers.get`. */
export function retryAfterMsOf(error: unknown, nowMs: number): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const headers = (error as { response?: { headers?: unknown } }).response?.headers;
  let value: string | null | undefined;
  if (headers && typeof (headers as HeadersLike).get === 'function') {
    value = (headers as HeadersLike).get('retry-after');
  } else if (headers && typeof headers === 'object') {
    const plain = headers as Record<string, unknown>;
    const raw = plain['retry-after'] ?? plain['Retry-After'];
    value = typeof raw === 'string' ? raw : undefined;
  }
  return parseRetryAfter(value, nowMs);
}

/** Full jitter: a random wait in [0, min(cap, base · 2^retry)). `retry` counts from 0. */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

export interface RetryNotice {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long it waits before the next. */
  delayMs: number;
  status?: number;
  /** What the service asked for, before the cap. */
  retryAfterMs?: number;
  error: unknown;
}

/**
 * Runs `operation` until it succeeds, fails with something not worth retrying, or has used
 * `maxAttempts` (a 429 with `throttledUntil` does not use one up, until that time would be passed
 * waiting); then throws the last error as it was. Honours Retry-After (capped at maxDelayMs),
 * otherwise waits a full-jitter exponential backoff. `onRetry` hears of each wait before it starts.
 * `retryable` decides what is worth retrying: isRetryable, or isRetryableOnce for a request that
 * must not be carried out twice.
 */
export async function withRetries<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  env: RetryEnvironment,
  onRetry?: (notice: RetryNotice) => void,
  retryable: (error: unknown) => boolean = isRetryable,
): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts));
  // Failures that count against maxAttempts: all of them, except throttling with `throttledUntil`.
  let counted = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!retryable(error)) throw error;
      const status = httpStatusOf(error);
      const retryAfterMs = retryAfterMsOf(error, env.now());
      const waitOut = status === 429 && policy.throttledUntil !== undefined;
      if (!waitOut) counted += 1;
      if (counted >= maxAttempts) throw error;
      // The backoff grows with every failure, throttled ones included.
      const delayMs =
        retryAfterMs !== undefined
          ? Math.min(retryAfterMs, policy.maxDelayMs)
          : backoffMs(attempt - 1, policy, env.random);
      if (waitOut && env.now() + delayMs > policy.throttledUntil!) throw error;
      onRetry?.({
        attempt,
        delayMs,
        error,
        ...(status !== undefined ? { status } : {}),
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
      if (delayMs > 0) await env.sleep(delayMs);
    }
  }
}
