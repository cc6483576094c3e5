import { randomBytes, randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Bot Connector (what a Teams activity's `serviceUrl` points at), on 127.0.0.1, for tests of
 * everything that talks to Teams: it records every request and activity, and can be told to fail.
 *
 * Implemented (paths relative to `url`, which ends in '/' like Teams' `https://smba.trafficmanager.net/emea/`):
 *   POST   v3/conversations                                   createConversation
 *   POST   v3/conversations/:id/activities                    sendActivity
 *   POST   v3/conversations/:id/activities/:activityId        replyToActivity
 *   PUT    v3/conversations/:id/activities/:activityId        updateActivity
 *   DELETE v3/conversations/:id/activities/:activityId        deleteActivity
 *   GET    v3/conversations/:id/members                       getMembers
 *   GET    v3/conversations/:id/pagedmembers                  getPagedMembers
 *   GET    v3/conversations/:id/members/:memberId             getMember (by `29:` id or aadObjectId)
 * Errors use the Bot Framework shape `{ "error": { "code", "message" } }`.
 *
 * With `rateLimits` it also throttles like Teams (429 with Retry-After) and counts what it throttled.
 * A scripted failure (`failNext`) either refuses the request before serving it, or, with
 * `afterServing`, serves it and then loses the answer (a 5xx, or a dropped connection).
 */
export type ConnectorRoute =
  | 'createConversation'
  | 'sendActivity'
  | 'replyToActivity'
  | 'updateActivity'
  | 'deleteActivity'
  | 'getMembers'
  | 'getPagedMembers'
  | 'getMember';

export type ActivityKind = 'create' | 'send' | 'reply' | 'update' | 'delete';

/** A scripted failure: the next `times` requests matching it get `status` instead of being served. */
export interface FailureRule {
  /** Which route fails; '*' for any. */
  route: ConnectorRoute | '*';
  status: number;
  /** How many matching requests fail (default 1; `Infinity` for all of them). */
  times?: number;
  /** Sets a `Retry-After` header (seconds), as Teams does on 429. */
  retryAfterSeconds?: number;
  /** Only requests about this member: a `29:` id or aadObjectId in createConversation's members, or getMember's id. */
  member?: string;
  /** Only requests on this conversation. */
  conversationId?: string;
  /** `error.code` in the body; defaults from the status. */
  code?: string;
  /** Instead of answering, drops the connection (the client sees ECONNRESET); `status` is then ignored. */
  resetConnection?: boolean;
  /**
   * Serves the request first (posts the activity, opens the chat) and only then fails: answers
   * `status` instead of the real answer, or drops the connection with `resetConnection`. The answer
   * is lost, not the request, as when a gateway times out (502, 504) or the connection breaks after
   * Teams stored the message. Without it, a failing request is not served at all.
   */
  afterServing?: boolean;
}

export interface TeamsMember {
  /** The Teams user id, `29:…`. */
  id: string;
  aadObjectId: string;
  name: string;
  userPrincipalName?: string;
  email?: string;
  tenantId?: string;
  userRole?: string;
}

export interface RecordedActivity {
  kind: ActivityKind;
  conversationId: string;
  /** The id of the activity posted, replied to, updated or deleted. */
  activityId: string;
  /** For replies: the activity replied to. */
  replyToId?: string;
  /** The JSON body as received (`null` for deletes). */
  body: Record<string, unknown> | null;
}

export interface RecordedRequest {
  method: string;
  /** Path relative to the server root, without query. */
  path: string;
  query: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  route?: ConnectorRoute;
  /** The status the fake answered with; 0 when it dropped the connection. */
  status: number;
  /** When it arrived (Date.now()). */
  at: number;
  /** Answered 429 by the rate limits (not by a scripted failure). */
  throttled?: boolean;
  /** Served, but the client got a scripted failure instead of the answer (`afterServing`). */
  answerLost?: boolean;
}

/**
 * Teams-like rate limits, as sliding windows over the requests the fake served (throttled ones do
 * not count). "Per conversation" counts the activity routes (send, reply, update, delete) per
 * conversation, and createConversation apart from them per person it opens a chat with, like Teams'
 * table; member lookups not at all. "per tenant" counts every request, by
 * the tenant of the createConversation body or of the conversation the fake created ('unknown'
 * for conversations it did not create).
 */
export interface FakeRateLimits {
  /** Teams: 7. */
  perConversationPerSecond?: number;
  /** Teams: 8. */
  perConversationPerTwoSeconds?: number;
  /** Teams: 50 per app per tenant. */
  perTenantPerSecond?: number;
  /** The Retry-After of a 429, in seconds (default 1). */
  retryAfterSeconds?: number;
}

/** Teams' published limits (learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit). */
export const TEAMS_LIKE_RATE_LIMITS: Readonly<FakeRateLimits> = {
  perConversationPerSecond: 7,
  perConversationPerTwoSeconds: 8,
  perTenantPerSecond: 50,
};

/**
 * 429s at random, as a busy Teams gives them besides its published limits: each request (member
 * lookups too) is throttled with probability `share`, decided by `random` (a seeded one keeps a
 * test repeatable). Scoped to the request's chat, as Teams' per-chat throttling is.
 */
export interface RandomThrottling {
  share: number;
  random: () => number;
  /** Default 1. */
  retryAfterSeconds?: number;
}

export interface RecordedConversation {
  id: string;
  /** `members` as sent by the bot. */
  members: Record<string, unknown>[];
  tenantId?: string;
  isGroup: boolean;
  /** The full createConversation body. */
  body: Record<string, unknown>;
}

export interface FakeBotConnectorOptions {
  /**
   * Require `Authorization: Bearer <token>` on every request (401 otherwise). `true` accepts any
   * non-empty token; a function decides per token.
   */
  requireAuth?: boolean | ((token: string) => boolean);
  /** Users the bot can look up; `id` and `name` are generated when left out. */
  members?: Array<Partial<TeamsMember> & { aadObjectId: string }>;
  /** aadObjectIds the bot cannot reach (app not installed / blocked): 403 on createConversation and sends. */
  unreachableUsers?: Iterable<string>;
  /** Path prefix of `url`; default '/'. Teams uses e.g. '/emea/'. */
  basePath?: string;
  /** Throttle like Teams; off by default. */
  rateLimits?: FakeRateLimits;
  /** The port to listen on; default any free one. (A test can refuse connections on a port first.) */
  port?: number;
  /** Random 429s; off by default. */
  randomThrottling?: RandomThrottling;
}

const MAX_BODY_BYTES = 1024 * 1024;

export class FakeBotConnector {
  readonly activities: RecordedActivity[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly conversations: RecordedConversation[] = [];
  /** aadObjectIds that get 403 on createConversation (and on sends into their conversations). */
  readonly unreachableUsers: Set<string>;
  requireAuth: boolean | ((token: string) => boolean);
  /** Throttle like Teams (see FakeRateLimits); undefined: never. */
  rateLimits: FakeRateLimits | undefined;
  /** How many 429s the rate limits served (since the last reset). */
  throttled = 0;
  /** Random 429s on top of everything else; undefined: none. */
  randomThrottling: RandomThrottling | undefined;
  /** How many 429s `randomThrottling` served (since the last reset). */
  randomlyThrottled = 0;
  /**
   * Holds requests before they are served: each one that `hold.matches` waits until the test
   * calls `release()` (shows what a caller does while Teams has not answered yet).
   */
  hold: { matches: (request: RecordedRequest) => boolean; waiting: Array<() => void> } | undefined;

  private readonly served = new Map<string, number[]>();
  private readonly conversationTenants = new Map<string, string>();
  private readonly members = new Map<string, TeamsMember>();
  private readonly conversationUsers = new Map<string, Set<string>>();
  private rules: Array<FailureRule & { remaining: number }> = [];
  private readonly basePath: string;
  private readonly port: number;
  private server: Server | undefined;
  private baseUrl: string | undefined;
  private nextActivity = 1;

  constructor(options: FakeBotConnectorOptions = {}) {
    this.requireAuth = options.requireAuth ?? false;
    this.rateLimits = options.rateLimits;
    this.randomThrottling = options.randomThrottling;
    this.unreachableUsers = new Set(options.unreachableUsers ?? []);
    const base = options.basePath ?? '/';
    this.basePath = `/${base.replace(/^\/+|\/+$/g, '')}/`.replace('//', '/');
    this.port = options.port ?? 0;
    for (const member of options.members ?? []) this.addMember(member);
  }

  /** The service URL to put in activities, with a trailing '/'. */
  get url(): string {
    if (!this.baseUrl) throw new Error('FakeBotConnector: not started');
    return this.baseUrl;
  }

  async start(): Promise<string> {
    if (!this.server) {
      const server = createServer((req, res) => {
        this.handle(req, res).catch((err: unknown) => {
          if (!res.headersSent) this.sendError(res, 500, 'InternalError', String(err));
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.port, '127.0.0.1', () => resolve());
      });
      this.server = server;
      this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.basePath}`;
    }
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }

  /** Registers a user for member lookups; returns it with the generated `29:` id. */
  addMember(member: Partial<TeamsMember> & { aadObjectId: string }): TeamsMember {
    const full: TeamsMember = {
      ...member,
      id: member.id ?? `29:1${randomBytes(24).toString('base64url')}`,
      name: member.name ?? `User ${member.aadObjectId.slice(0, 8)}`,
      aadObjectId: member.aadObjectId,
    };
    this.members.set(full.aadObjectId, full);
    return full;
  }

  member(aadObjectIdOrId: string): TeamsMember | undefined {
    return this.findMember(aadObjectIdOrId);
  }

  /** Scripts a failure for the next matching request(s). Rules are consulted in the order added. */
  failNext(rule: FailureRule): this {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
    return this;
  }

  /** Scripted failures not used up yet. */
  pendingFailures(): FailureRule[] {
    return this.rules
      .filter((r) => r.remaining > 0)
      .map(({ remaining, ...rule }) => ({ ...rule, times: remaining }));
  }

  activitiesIn(conversationId: string): RecordedActivity[] {
    return this.activities.filter((a) => a.conversationId === conversationId);
  }

  requestsTo(route: ConnectorRoute): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** Forgets everything recorded and every scripted failure (members and unreachable users stay). */
  reset(): void {
    this.activities.length = 0;
    this.requests.length = 0;
    this.conversations.length = 0;
    this.conversationUsers.clear();
    this.conversationTenants.clear();
    this.served.clear();
    this.throttled = 0;
    this.randomlyThrottled = 0;
    this.rules = [];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const record: RecordedRequest = {
      method,
      path: parsed.pathname,
      query: parsed.search,
      headers: req.headers,
      body: undefined,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(record);
    // A scripted failure that comes after serving: whatever the route answers is replaced by it.
    let lostAnswer: FailureRule | undefined;
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      if (lostAnswer) {
        const rule = lostAnswer;
        lostAnswer = undefined;
        record.answerLost = true;
        if (rule.resetConnection) {
          record.status = 0;
          req.socket.destroy();
          return;
        }
        return fail(rule.status, rule.code ?? codeFor(rule.status), 'Scripted failure', retryAfterOf(rule));
      }
      record.status = status;
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, {
        ...headers,
        ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        'content-length': String(Buffer.byteLength(text)),
      });
      res.end(text);
    };
    const fail = (
      status: number,
      code: string,
      message: string,
      headers: Record<string, string> = {},
    ): void => answer(status, { error: { code, message } }, headers);

    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return fail(413, 'BadArgument', 'Body too large');
    }
    if (raw) {
      try {
        record.body = JSON.parse(raw);
      } catch {
        return fail(400, 'BadSyntax', 'Body is not JSON');
      }
    }

    if (this.requireAuth) {
      const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const ok = match?.[1] && (typeof this.requireAuth === 'function' ? this.requireAuth(match[1]) : true);
      if (!ok) return fail(401, 'Unauthorized', 'Authorization has been denied for this request.');
    }

    if (!parsed.pathname.startsWith(this.basePath)) return fail(404, 'NotFound', 'Unknown path');
    const segments = parsed.pathname
      .slice(this.basePath.length)
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const [v3, conversations, conversationId, sub, subId, ...rest] = segments;
    if (v3 !== 'v3' || conversations !== 'conversations' || rest.length > 0) {
      return fail(404, 'NotFound', 'Unknown path');
    }
    const route = routeOf(method, conversationId, sub, subId);
    if (!route) return fail(405, 'MethodNotAllowed', 'Unknown route');
    record.route = route;
    const body = (record.body ?? {}) as Record<string, unknown>;

    if (this.hold?.matches(record)) {
      const waiting = this.hold.waiting;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }

    const over = this.overRateLimits(route, body, conversationId);
    if (over) {
      this.throttled += 1;
      record.throttled = true;
      const retryAfter = this.rateLimits?.retryAfterSeconds ?? 1;
      // A tenant's limit says so (docs/teams-limits.md: only then does the bot pause the tenant).
      const message = over === 'tenant' ? 'Tenant rate limit exceeded' : 'Rate limit exceeded';
      return fail(429, 'TooManyRequests', message, { 'retry-after': String(retryAfter) });
    }
    const random = this.randomThrottling;
    if (random && random.random() < random.share) {
      this.randomlyThrottled += 1;
      record.throttled = true;
      return fail(429, 'TooManyRequests', 'Rate limit exceeded', {
        'retry-after': String(random.retryAfterSeconds ?? 1),
      });
    }

    const scripted = this.takeRule(
      route,
      conversationId,
      this.usersAbout(route, body, conversationId, subId),
    );
    if (scripted?.afterServing) {
      lostAnswer = scripted;
    } else if (scripted?.resetConnection) {
      record.status = 0;
      req.socket.destroy();
      return;
    } else if (scripted) {
      return fail(
        scripted.status,
        scripted.code ?? codeFor(scripted.status),
        'Scripted failure',
        retryAfterOf(scripted),
      );
    }

    switch (route) {
      case 'createConversation': {
        const users = this.usersIn(body);
        if ([...users].some((u) => this.unreachableUsers.has(u))) {
          return fail(403, 'Forbidden', 'The bot is not installed for this user.');
        }
        const members = Array.isArray(body.members) ? (body.members as Record<string, unknown>[]) : [];
        const tenantId =
          (body.tenantId as string | undefined) ??
          ((body.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id as string | undefined);
        const isGroup = body.isGroup === true;
        // Like Teams: a 1:1 conversation with the same user is the same conversation.
        const existing = !isGroup
          ? this.conversations.find(
              (c) => !c.isGroup && c.tenantId === tenantId && sameUsers(this.usersIn(c.body), users),
            )
          : undefined;
        const id = existing?.id ?? `a:1${randomBytes(32).toString('base64url')}`;
        if (!existing) {
          this.conversations.push({ id, members, tenantId, isGroup, body });
          this.conversationUsers.set(id, users);
          if (tenantId) this.conversationTenants.set(id, tenantId);
        }
        const result: { id: string; activityId?: string } = { id };
        if (body.activity && typeof body.activity === 'object') {
          const activityId = this.newActivityId();
          this.activities.push({
            kind: 'create',
            conversationId: id,
            activityId,
            body: body.activity as Record<string, unknown>,
          });
          result.activityId = activityId;
        }
        return answer(existing ? 200 : 201, result);
      }
      case 'sendActivity':
      case 'replyToActivity':
      case 'updateActivity': {
        const conversationUsers = this.conversationUsers.get(conversationId!) ?? new Set<string>();
        if (route !== 'updateActivity' && [...conversationUsers].some((u) => this.unreachableUsers.has(u))) {
          return fail(403, 'Forbidden', 'The bot is not installed for this user.');
        }
        const activityId = route === 'updateActivity' ? subId! : this.newActivityId();
        this.activities.push({
          kind: route === 'sendActivity' ? 'send' : route === 'replyToActivity' ? 'reply' : 'update',
          conversationId: conversationId!,
          activityId,
          ...(route === 'replyToActivity' ? { replyToId: subId! } : {}),
          body,
        });
        return answer(route === 'updateActivity' ? 200 : 201, { id: activityId });
      }
      case 'deleteActivity':
        this.activities.push({
          kind: 'delete',
          conversationId: conversationId!,
          activityId: subId!,
          body: null,
        });
        return answer(200);
      case 'getMembers':
        return answer(200, this.membersOf(conversationId!));
      case 'getPagedMembers':
        return answer(200, { members: this.membersOf(conversationId!) });
      case 'getMember': {
        const member = this.findMember(subId!);
        if (!member) return fail(404, 'MemberNotFoundInConversation', 'Member not found.');
        return answer(200, memberJson(member));
      }
    }
  }

  /**
   * Holds every request matching `matches` until `release` is called (or the returned `release`);
   * requests that do not match are served as usual.
   */
  holdRequests(matches: (request: RecordedRequest) => boolean): void {
    this.hold = { matches, waiting: [] };
  }

  /** Serves the held requests and stops holding. */
  release(): void {
    const hold = this.hold;
    this.hold = undefined;
    for (const resume of hold?.waiting ?? []) resume();
  }

  /** Requests being held right now. */
  get held(): number {
    return this.hold?.waiting.length ?? 0;
  }

  /**
   * Counts the request against the rate limits; which limit it is over (and then not counted),
   * or undefined when it is within all.
   */
  private overRateLimits(
    route: ConnectorRoute,
    body: Record<string, unknown>,
    conversationId: string | undefined,
  ): 'tenant' | 'thread' | undefined {
    const limits = this.rateLimits;
    if (!limits) return undefined;
    const now = performance.now();
    const windows: Array<[key: string, windowMs: number, max: number | undefined]> = [];
    const tenant =
      route === 'createConversation'
        ? this.tenantIn(body)
        : conversationId !== undefined
          ? this.conversationTenants.get(conversationId)
          : undefined;
    windows.push([`tenant:${tenant ?? 'unknown'}`, 1000, limits.perTenantPerSecond]);
    const thread = this.threadOf(route, body, conversationId);
    if (thread !== undefined) {
      windows.push([`thread:${thread}`, 1000, limits.perConversationPerSecond]);
      windows.push([`thread:${thread}`, 2000, limits.perConversationPerTwoSeconds]);
    }
    const over = windows.find(([key, windowMs, max]) => {
      if (max === undefined) return false;
      const times = this.served.get(key) ?? [];
      return times.filter((t) => t > now - windowMs).length >= max;
    });
    if (over) return over[0].startsWith('tenant:') ? 'tenant' : 'thread';
    for (const key of new Set(windows.map(([key]) => key))) {
      // Keep the last 2 s, the longest window.
      const times = (this.served.get(key) ?? []).filter((t) => t > now - 2000);
      times.push(now);
      this.served.set(key, times);
    }
    return undefined;
  }

  private tenantIn(body: Record<string, unknown>): string | undefined {
    const tenantId =
      (body.tenantId as string | undefined) ??
      (body.channelData as { tenant?: { id?: string } } | undefined)?.tenant?.id;
    return typeof tenantId === 'string' ? tenantId : undefined;
  }

  /** The conversation a request counts against for the per-conversation limits, if any. */
  private threadOf(
    route: ConnectorRoute,
    body: Record<string, unknown>,
    conversationId: string | undefined,
  ): string | undefined {
    // Teams counts "create conversation" and "send to conversation" separately, both per chat.
    if (route === 'createConversation') return `create:${[...this.usersIn(body)].sort().join(',')}`;
    if (route === 'getMember' || route === 'getMembers' || route === 'getPagedMembers') return undefined;
    return conversationId;
  }

  private takeRule(route: ConnectorRoute, conversationId: string | undefined, users: Set<string>) {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.route === '*' || r.route === route) &&
        (r.conversationId === undefined || r.conversationId === conversationId) &&
        (r.member === undefined || users.has(this.findMember(r.member)?.aadObjectId ?? r.member)),
    );
    if (rule) rule.remaining -= 1;
    return rule;
  }

  /** aadObjectIds a request is about: the addressed users, the looked-up member, or the conversation's users. */
  private usersAbout(
    route: ConnectorRoute,
    body: Record<string, unknown>,
    conversationId: string | undefined,
    subId: string | undefined,
  ): Set<string> {
    if (route === 'createConversation') return this.usersIn(body);
    if (route === 'getMember' && subId !== undefined)
      return new Set([this.findMember(subId)?.aadObjectId ?? subId]);
    return (conversationId !== undefined && this.conversationUsers.get(conversationId)) || new Set();
  }

  /** aadObjectIds of the users a createConversation body addresses. */
  private usersIn(body: Record<string, unknown>): Set<string> {
    const users = new Set<string>();
    const members = Array.isArray(body.members) ? (body.members as Array<Record<string, unknown>>) : [];
    for (const m of members) {
      if (typeof m.aadObjectId === 'string') users.add(m.aadObjectId);
      if (typeof m.id === 'string') {
        const id = m.id.startsWith('8:orgid:') ? m.id.slice('8:orgid:'.length) : m.id;
        users.add(this.findMember(id)?.aadObjectId ?? id);
      }
    }
    return users;
  }

  private findMember(idOrAad: string): TeamsMember | undefined {
    const byAad = this.members.get(idOrAad);
    if (byAad) return byAad;
    for (const m of this.members.values()) if (m.id === idOrAad) return m;
    return undefined;
  }

  private membersOf(conversationId: string): Record<string, unknown>[] {
    const users = this.conversationUsers.get(conversationId);
    const all = [...this.members.values()];
    return (users ? all.filter((m) => users.has(m.aadObjectId)) : all).map(memberJson);
  }

  private newActivityId(): string {
    return `${Date.now()}${String(this.nextActivity++).padStart(4, '0')}`;
  }

  private sendError(res: ServerResponse, status: number, code: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code, message } }));
  }
}

function routeOf(
  method: string,
  conversationId: string | undefined,
  sub: string | undefined,
  subId: string | undefined,
): ConnectorRoute | undefined {
  if (conversationId === undefined) return method === 'POST' ? 'createConversation' : undefined;
  if (sub === 'activities') {
    if (subId === undefined) return method === 'POST' ? 'sendActivity' : undefined;
    if (method === 'POST') return 'replyToActivity';
    if (method === 'PUT') return 'updateActivity';
    if (method === 'DELETE') return 'deleteActivity';
    return undefined;
  }
  if (method !== 'GET') return undefined;
  if (sub === 'members') return subId === undefined ? 'getMembers' : 'getMember';
  if (sub === 'pagedmembers' && subId === undefined) return 'getPagedMembers';
  return undefined;
}

function memberJson(m: TeamsMember): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    aadObjectId: m.aadObjectId,
    objectId: m.aadObjectId,
    ...(m.userPrincipalName ? { userPrincipalName: m.userPrincipalName } : {}),
    ...(m.email ? { email: m.email } : {}),
    ...(m.tenantId ? { tenantId: m.tenantId } : {}),
    userRole: m.userRole ?? 'user',
  };
}

function sameUsers(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((u) => b.has(u));
}

function retryAfterOf(rule: FailureRule): Record<string, string> {
  return rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : {};
}

function codeFor(status: number): string {
  if (status === 400) return 'BadArgument';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 412) return 'PreconditionFailed';
  if (status === 429) return 'TooManyRequests';
  if (status >= 500) return 'ServiceError';
  return 'Error';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A fresh GUID, handy for aadObjectIds and tenant ids in tests. */
export function testGuid(): string {
  return randomUUID();
}
