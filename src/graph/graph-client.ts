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
 * request values (names, filters) in its messages. Its message names the request by the shape of
 * its route only ('GET /education/users/{id}/classes: HTTP 503'): every path segment that is not
 * one of the route words below becomes '{id}', and the query is left out. A pupil's or a
 * colleague's id in a message would tie a logged error to one person.
 */

export const GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

const RETRIED_STATUSES = new Set([429, 503, 504]);
const MAX_PAGES = 500;

/**
 * The fixed words of the Graph routes this bot calls (and the versions). Any other path segment is
 * taken for an id, so a route this list does not know yet loses detail in messages, never privacy.
 */
const ROUTE_WORDS = new Set(
  [
    'v1.0',
    'beta',
    'education',
    'schools',
    'users',
    'classes',
    'teachers',
    'members',
    'teamwork',
    'installedApps',
    'appCatalogs',
    'teamsApps',
    'me',
    'groups',
    'transitiveMembers',
    '$count',
    '$value',
    '$ref',
    // Mail (src/graph/graph-mailbox.ts). 'inbox' and 'msgfolderroot' are well-known folder names.
    'mailFolders',
    'childFolders',
    'messages',
    'delta',
    'permanentDelete',
    'move',
    'sendMail',
    'inbox',
    'msgfolderroot',
  ].map((w) => w.toLowerCase()),
);

/**
 * A request's route for messages: the path relative to `basePath` (e.g. '/v1.0'), each segment
 * that is not a route word replaced by '{id}', without the query or fragment.
 * '/v1.0/education/users/6f1c…/classes?$select=id' → '/education/users/{id}/classes'.
 */
export function routeShape(url: string, basePath = ''): string {
  let path: string;
  try {
    path = new URL(url, 'https://graph.invalid').pathname;
  } catch {
    return '{unreadable path}';
  }
  const base = basePath.replace(/\/+$/, '');
  if (base !== '' && (path === base || path.startsWith(`${base}/`))) path = path.slice(base.length);
  const segments = path.split('/').filter((s) => s !== '');
  const shaped = segments.map((segment) => {
    let word: string;
    try {
      word = decodeURIComponent(segment);
    } catch {
      return '{id}';
    }
    return ROUTE_WORDS.has(word.toLowerCase()) ? word : '{id}';
  });
  return `/${shaped.join('/')}`;
}

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
  /** The last page of a delta query's round carries this instead of a next link. */
  '@odata.deltaLink'?: string;
}

export interface GraphRequestOptions {
  /** Extra request headers ('Prefer', say); they cannot replace the token or `accept`. */
  headers?: Record<string, string>;
}

/** A delta query's round: every item of every page, and the link that starts the next round. */
export interface GraphDelta<T> {
  items: T[];
  deltaLink: string;
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

function lowercaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

async function graphCodeOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown } };
    const code = body.error?.code;
    // A code is a word ('Forbidden', 'Request_ResourceNotFound'); anything else is not kept.
    return typeof code === 'string' && /^[A-Za-z_.]{1,64}$/.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

export class GraphClient {
  readonly baseUrl: string;
  private readonly origin: string;
  /** The base URL's path ('/v1.0'), left out of the routes in messages. */
  private readonly basePath: string;
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
    this.basePath = new URL(this.baseUrl).pathname;
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

  async get<T>(path: string, query?: Record<string, string>, options: GraphRequestOptions = {}): Promise<T> {
    const url = this.url(path, query);
    const response = await this.send('GET', url, undefined, options.headers);
    return this.json<T>(response, `GET ${this.route(url)}`);
  }

  /** Every item of a collection, following `@odata.nextLink` (on the same host only). */
  async getAll<T>(path: string, query?: Record<string, string>): Promise<T[]> {
    return (await this.pages<T>(this.url(path, query))).items;
  }

  /**
   * A delta query's round, every page, up to the page with `@odata.deltaLink`. `url` is absolute:
   * `url(path, query)` for a first round, or the deltaLink of the round before (Graph's host only).
   */
  async getDelta<T>(url: string, options: GraphRequestOptions = {}): Promise<GraphDelta<T>> {
    const { items, last, where } = await this.pages<T>(url, options.headers);
    const deltaLink = last['@odata.deltaLink'];
    if (typeof deltaLink !== 'string' || deltaLink === '') {
      throw new GraphError('invalid-response', 200, `${where}: the last page has no deltaLink`);
    }
    if (!this.onGraph(deltaLink)) {
      throw new GraphError('invalid-response', 200, `${where}: a deltaLink on another host`);
    }
    return { items, deltaLink: new URL(deltaLink, this.baseUrl).toString() };
  }

  /** POSTs JSON; resolves with the status of a 2xx answer, rejects with a GraphError otherwise. */
  async post(path: string, body: unknown): Promise<number> {
    const response = await this.send('POST', this.url(path), body);
    await response.body?.cancel();
    return response.status;
  }

  /** POSTs JSON; resolves with the JSON of a 2xx answer (the item made or moved). */
  async postJson<T>(path: string, body: unknown): Promise<T> {
    const url = this.url(path);
    const response = await this.send('POST', url, body);
    return this.json<T>(response, `POST ${this.route(url)}`);
  }

  /** Whether a link is on Graph's host: the token is never sent anywhere else. */
  private onGraph(link: string): boolean {
    try {
      return new URL(link, this.baseUrl).origin === this.origin;
    } catch {
      return false;
    }
  }

  /** Follows `@odata.nextLink` from `start`; the items of every page, and the last page. */
  private async pages<T>(
    start: string,
    headers?: Record<string, string>,
  ): Promise<{ items: T[]; last: GraphCollection<T>; where: string }> {
    const items: T[] = [];
    let url: string | undefined = start;
    const where = `GET ${this.route(start)}`;
    if (!this.onGraph(start)) {
      throw new GraphError('invalid-response', 0, `${where}: a link on another host`);
    }
    let last: GraphCollection<T> | undefined;
    for (let page = 0; url !== undefined; page += 1) {
      if (page >= MAX_PAGES) {
        throw new GraphError('invalid-response', 0, `${where}: more than ${MAX_PAGES} pages`);
      }
      const response = await this.send('GET', url, undefined, headers);
      const body = await this.json<GraphCollection<T>>(response, where);
      if (!Array.isArray(body?.value)) {
        throw new GraphError('invalid-response', response.status, `${where}: the answer has no 'value' list`);
      }
      items.push(...body.value);
      last = body;
      const next: string | undefined = body['@odata.nextLink'];
      if (next !== undefined && !this.onGraph(next)) {
        // Never send the token anywhere but Graph.
        throw new GraphError('invalid-response', response.status, `${where}: a next page on another host`);
      }
      url = next === undefined ? undefined : new URL(next, this.baseUrl).toString();
    }
    return { items, last: last!, where };
  }

  /** The route of a URL for messages: no ids, no query (see routeShape). */
  private route(url: string): string {
    return routeShape(url, this.basePath);
  }

  /** `where` is the method and the route, e.g. 'GET /education/users/{id}/classes'. */
  private async json<T>(response: Response, where: string): Promise<T> {
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new GraphError('network', response.status, `${where}: the answer could not be read`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      // No cause: JSON.parse quotes the start of the text it could not read.
      throw new GraphError('invalid-response', response.status, `${where}: the answer is not JSON`);
    }
  }

  private async token(where: string): Promise<string> {
    let token: string | undefined;
    try {
      token = (await this.options.credential.getToken(this.scope))?.token;
    } catch (cause) {
      throw new GraphError('token', 0, `${where}: no access token for Microsoft Graph`, undefined, {
        cause,
      });
    }
    if (!token) throw new GraphError('token', 0, `${where}: no access token for Microsoft Graph`);
    return token;
  }

  private backoff(attempt: number): number {
    // 'Equal jitter': half the exponential step, plus a random part of the other half.
    const step = this.backoffMs * 2 ** attempt;
    return Math.round(step / 2 + this.random() * (step / 2));
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    // The route without ids or the query, for messages: both can point at a person.
    const where = `${method} ${this.route(url)}`;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.token(where);
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers: {
            ...lowercaseKeys(extraHeaders),
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
          `${where}: ${timedOut ? 'no answer in time' : 'Microsoft Graph could not be reached'}`,
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
        `${where}: HTTP ${response.status}${code ? ` (${code})` : ''}`,
        code,
      );
    }
  }
}
