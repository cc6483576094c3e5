import type { TokenCredential } from '@azure/identity';

/**
 * A small Microsoft Graph client: JSON over global `fetch`, an app-only token from a
 * `TokenCredential`, `@odata.nextLink` paging, and retries where Graph asks for them.
 *
 * Throttling (429) and a busy or timed-out service (503, 504) are retried up to three times,
 * waiting as long as `Retry-After` says (capped, so a signal is never held up for minutes) or,
 * without it, an exponential backoff with jitter so parallel callers do not retry in step. A
 * network error or a request that takes too long is retried the same way. Every other status is an
 * answer and becomes a GraphError at once.
 *
 * A GraphError carries the status and Graph's error code, never the response body: Graph quotes
 * request values (names, filters) in its messages.
 */

export const GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

const RETRIED_STATUSES = new Set([429, 503, 504]);
const MAX_PAGES = 500;

export type GraphErrorKind = 'http' | 'network' | 'timeout' | 'token' | 'invalid-response';

export class GraphError extends Error {
  constructor(
    readonly kind: GraphErrorKind,
    /** The HTTP status; 0 when there was no answer. */
    readonly status: number,
    message: string,
    /** Graph's `error.code` (e.g. 'Forbidden', 'Request_ResourceNotFound') when the answer had one. */
    readonly graphCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GraphError';
  }

  /** For errorSummary() in src/logging, which logs `statusCode`. */
  get statusCode(): number {
    return this.status;
  }
}

export interface GraphClientOptions {
  credential: TokenCredential;
  /** Default https://graph.microsoft.com/v1.0 (GRAPH_BASE_URL). */
  baseUrl?: string;
  /** Default https://graph.microsoft.com/.default. */
  scope?: string;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** The longest wait honoured from a Retry-After header, in ms (default 30 000). */
  maxRetryAfterMs?: number;
  /** The first backoff without Retry-After, in ms; doubled per retry (default 1000). */
  backoffMs?: number;
  /** How long one request may take, in ms (default 15 000). */
  timeoutMs?: number;
  /** For tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface GraphCollection<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function graphCodeOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

export class GraphClient {
  readonly baseUrl: string;
  private readonly origin: string;
  private readonly scope: string;
  private readonly maxRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: GraphClientOptions) {
    this.baseUrl = (options.baseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, '');
    this.origin = new URL(this.baseUrl).origin;
    this.scope = options.scope ?? GRAPH_SCOPE;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.backoffMs = options.backoffMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
  }

  /** The absolute URL of a path under the base URL ('/education/schools/x/users'). */
  url(path: string, query?: Record<string, string>): string {
    const url = new URL(`${this.baseUrl}/${path.replace(/^\/+/, '')}`);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value);
    return url.toString();
  }

  async get<T>(path: string, query?: Record<string, string>): Promise<T> {
    const response = await this.send('GET', this.url(path, query));
    return this.json<T>(response, 'GET', path);
  }

  /** Every item of a collection, following `@odata.nextLink` (on the same host only). */
  async getAll<T>(path: string, query?: Record<string, string>): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = this.url(path, query);
    for (let page = 0; url !== undefined; page += 1) {
      if (page >= MAX_PAGES) {
        throw new GraphError('invalid-response', 0, `GET ${path}: more than ${MAX_PAGES} pages`);
      }
      const response = await this.send('GET', url);
      const body = await this.json<GraphCollection<T>>(response, 'GET', path);
      if (!Array.isArray(body.value)) {
        throw new GraphError(
          'invalid-response',
          response.status,
          `GET ${path}: the answer has no 'value' list`,
        );
      }
      items.push(...body.value);
      const next: string | undefined = body['@odata.nextLink'];
      if (next !== undefined && new URL(next, this.baseUrl).origin !== this.origin) {
        // Never send the token anywhere but Graph.
        throw new GraphError('invalid-response', response.status, `GET ${path}: a next page on another host`);
      }
      url = next === undefined ? undefined : new URL(next, this.baseUrl).toString();
    }
    return items;
  }

  /** POSTs JSON; resolves with the status of a 2xx answer, rejects with a GraphError otherwise. */
  async post(path: string, body: unknown): Promise<number> {
    const response = await this.send('POST', this.url(path), body);
    await response.body?.cancel();
    return response.status;
  }

  private async json<T>(response: Response, method: string, path: string): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch (cause) {
      throw new GraphError(
        'invalid-response',
        response.status,
        `${method} ${path}: the answer is not JSON`,
        undefined,
        {
          cause,
        },
      );
    }
  }

  private async token(method: string, where: string): Promise<string> {
    let token: string | undefined;
    try {
      token = (await this.options.credential.getToken(this.scope))?.token;
    } catch (cause) {
      throw new GraphError('token', 0, `${method} ${where}: no access token for Microsoft Graph`, undefined, {
        cause,
      });
    }
    if (!token) throw new GraphError('token', 0, `${method} ${where}: no access token for Microsoft Graph`);
    return token;
  }

  private backoff(attempt: number): number {
    // 'Equal jitter': half the exponential step, plus a random part of the other half.
    const step = this.backoffMs * 2 ** attempt;
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  private async send(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Response> {
    // The path without the query, for messages: a query can hold a filter value.
    const where = new URL(url).pathname;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.token(method, where);
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (cause) {
        const timedOut = (cause as { name?: string }).name === 'TimeoutError';
        if (attempt < this.maxRetries) {
          await this.sleep(this.backoff(attempt));
          continue;
        }
        throw new GraphError(
          timedOut ? 'timeout' : 'network',
          0,
          `${method} ${where}: ${timedOut ? 'no answer in time' : 'Microsoft Graph could not be reached'}`,
          undefined,
          { cause },
        );
      }
      if (response.ok) return response;
      if (RETRIED_STATUSES.has(response.status) && attempt < this.maxRetries) {
        const asked = retryAfterMs(response.headers.get('retry-after'));
        await response.body?.cancel();
        await this.sleep(asked !== undefined ? Math.min(asked, this.maxRetryAfterMs) : this.backoff(attempt));
        continue;
      }
      const code = await graphCodeOf(response);
      throw new GraphError(
        'http',
        response.status,
        `${method} ${where}: HTTP ${response.status}${code ? ` (${code})` : ''}`,
        code,
      );
    }
  }
}
