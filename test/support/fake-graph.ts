import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';

/**
 * A fake Microsoft Graph on 127.0.0.1, for tests of the directory and the Teams app installer: it
 * checks the bearer token, serves the Education endpoints from in-memory data in pages
 * (`@odata.nextLink`), installs apps for users, answers the app catalog filter, records every
 * request and can be told to fail.
 *
 * Implemented (paths relative to `url`, which ends in '/v1.0' like Graph's base URL):
 *   GET  /education/schools/:id/users           schoolUsers
 *   GET  /education/users/:id/classes           userClasses
 *   GET  /education/classes/:id/teachers        classTeachers
 *   POST /users/:id/teamwork/installedApps      installApp     201, or 409 when already installed
 *   GET  /appCatalogs/teamsApps?$filter=externalId eq '…'      listCatalogApps
 *   GET  /groups/:id/transitiveMembers          groupMembers   users, nested groups (and their members), devices
 *   GET  /groups/:id/transitiveMembers/microsoft.graph.user   groupMembers, an OData cast: only as an
 *        advanced query (ConsistencyLevel: eventual and $count=true), else 400 Request_UnsupportedQuery
 * Collections of directory objects carry each item's `@odata.type`, and `$select` picks the fields.
 * Errors use Graph's shape `{ "error": { "code", "message" } }`.
 */
export type GraphRoute =
  | 'schoolUsers'
  | 'userClasses'
  | 'classTeachers'
  | 'installApp'
  | 'listCatalogApps'
  | 'user'
  | 'groupMembers';

export const FAKE_GRAPH_TOKEN = 'fake-graph-token';

export interface GraphFailureRule {
  /** Which route fails; '*' for any. */
  route: GraphRoute | '*';
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** Sets `Retry-After` (seconds), as Graph does on 429 and 503. */
  retryAfterSeconds?: number;
  /** `error.code` in the body; defaults from the status. */
  code?: string;
}

/** A request a fake Graph answered, with the route it was taken for. */
export interface RecordedRequest<Route extends string> {
  method: string;
  /** The path as sent (still percent-encoded). */
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  route?: Route;
  status: number;
  /** The JSON answered, if any. */
  response?: unknown;
}

export type RecordedGraphRequest = RecordedRequest<GraphRoute>;

/** An HTTP server on 127.0.0.1, on a free port, answering with `handle`; a failure in it is Graph's 500. */
export async function listenAsGraph(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalServerError', message: String(err) } }));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Closes a fake's server, its open connections too. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** One request as a fake Graph sees it, and how to answer it in Graph's shape. */
export interface GraphExchange<Route extends string> {
  url: URL;
  method: string;
  record: RecordedRequest<Route>;
  answer(status: number, body?: unknown, headers?: Record<string, string>): void;
  /** Graph's error shape: `{ error: { code, message } }`. */
  fail(status: number, code: string, message: string, headers?: Record<string, string>): void;
}

/**
 * Starts a fake Graph's answer to a request: recorded in `requests`, its JSON body read, its
 * bearer token checked as Graph does. Undefined when it is answered already: 400 for a body that
 * is not JSON, 401 for a token other than `token`.
 */
export async function openGraphRequest<Route extends string>(
  req: IncomingMessage,
  res: ServerResponse,
  token: string,
  requests: RecordedRequest<Route>[],
): Promise<GraphExchange<Route> | undefined> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = req.method ?? 'GET';
  const record: RecordedRequest<Route> = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body: undefined,
    status: 0,
  };
  requests.push(record);
  const answer = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    record.status = status;
    record.response = body;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      ...(text ? { 'content-type': 'application/json; odata.metadata=minimal' } : {}),
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  };
  const fail = (status: number, code: string, message: string, headers: Record<string, string> = {}): void =>
    answer(status, { error: { code, message } }, headers);

  const raw = await readBody(req);
  if (raw) {
    try {
      record.body = JSON.parse(raw);
    } catch {
      fail(400, 'BadRequest', 'Body is not JSON');
      return undefined;
    }
  }
  if (req.headers.authorization !== `Bearer ${token}`) {
    fail(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    return undefined;
  }
  return { url, method, record, answer, fail };
}

export interface FakeEducationUser {
  id: string;
  displayName: string;
  givenName?: string;
  middleName?: string;
  surname?: string;
  primaryRole: 'student' | 'teacher' | 'none';
  student?: { birthDate: string };
}

export interface FakeClass {
  id: string;
  displayName: string;
  members: string[];
  teachers: string[];
}

export interface FakeCatalogApp {
  id: string;
  externalId: string;
  displayName: string;
  distributionMethod: 'organization' | 'store' | 'sideloaded';
}

/** An Entra group: its members are ids of users, groups (nested) or devices known to the fake. */
export interface FakeGroup {
  id: string;
  displayName: string;
  members: string[];
}

/** A member that is neither a user nor a group (a device): Graph lists it, and it coordinates nothing. */
export interface FakeDevice {
  id: string;
  displayName: string;
}

export interface FakeGraphOptions {
  /** The token every request must carry (default FAKE_GRAPH_TOKEN). */
  token?: string;
  /** Items per page of a collection (default 2, so paging is always exercised). */
  pageSize?: number;
}

export class FakeGraph {
  readonly requests: RecordedGraphRequest[] = [];
  readonly users = new Map<string, FakeEducationUser>();
  readonly classes = new Map<string, FakeClass>();
  /** Education school id → user ids. */
  readonly schools = new Map<string, string[]>();
  readonly catalogApps: FakeCatalogApp[] = [];
  /** User id → catalog app ids installed for them. */
  readonly installed = new Map<string, Set<string>>();
  readonly groups = new Map<string, FakeGroup>();
  readonly devices = new Map<string, FakeDevice>();
  token: string;
  pageSize: number;

  private rules: Array<GraphFailureRule & { remaining: number }> = [];
  private server: Server | undefined;
  private origin: string | undefined;

  constructor(options: FakeGraphOptions = {}) {
    this.token = options.token ?? FAKE_GRAPH_TOKEN;
    this.pageSize = options.pageSize ?? 2;
  }

  /** The base URL, like https://graph.microsoft.com/v1.0 (no trailing '/'). */
  get url(): string {
    if (!this.origin) throw new Error('FakeGraph: not started');
    return `${this.origin}/v1.0`;
  }

  async start(): Promise<string> {
    if (!this.server)
      ({ server: this.server, origin: this.origin } = await listenAsGraph((req, res) =>
        this.handle(req, res),
      ));
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  addSchool(educationSchoolId: string): this {
    if (!this.schools.has(educationSchoolId)) this.schools.set(educationSchoolId, []);
    return this;
  }

  addStudent(
    school: string,
    student: {
      givenName: string;
      surname: string;
      birthDate: string;
      middleName?: string;
      displayName?: string;
      id?: string;
    },
  ): FakeEducationUser {
    const user: FakeEducationUser = {
      id: student.id ?? randomUUID(),
      displayName:
        student.displayName ??
        [student.givenName, student.middleName, student.surname].filter(Boolean).join(' '),
      givenName: student.givenName,
      surname: student.surname,
      ...(student.middleName ? { middleName: student.middleName } : {}),
      primaryRole: 'student',
      student: { birthDate: student.birthDate },
    };
    return this.addUser(school, user);
  }

  addTeacher(school: string, teacher: { displayName: string; id?: string }): FakeEducationUser {
    return this.addUser(school, {
      id: teacher.id ?? randomUUID(),
      displayName: teacher.displayName,
      primaryRole: 'teacher',
    });
  }

  addUser(school: string, user: FakeEducationUser): FakeEducationUser {
    this.addSchool(school);
    this.users.set(user.id, user);
    this.schools.get(school)!.push(user.id);
    return user;
  }

  addClass(displayName: string, members: string[], teachers: string[], id = randomUUID()): FakeClass {
    const cls = { id, displayName, members, teachers };
    this.classes.set(id, cls);
    return cls;
  }

  /** A user of the tenant outside any education school (a member of an Entra group, say). */
  addTenantUser(user: { displayName: string; id?: string }): FakeEducationUser {
    const full: FakeEducationUser = {
      id: user.id ?? randomUUID(),
      displayName: user.displayName,
      primaryRole: 'none',
    };
    this.users.set(full.id, full);
    return full;
  }

  addGroup(displayName: string, members: string[] = [], id: string = randomUUID()): FakeGroup {
    const group = { id, displayName, members: [...members] };
    this.groups.set(id, group);
    return group;
  }

  addDevice(displayName: string, id: string = randomUUID()): FakeDevice {
    const device = { id, displayName };
    this.devices.set(id, device);
    return device;
  }

  addCatalogApp(app: Partial<FakeCatalogApp> & { externalId: string }): FakeCatalogApp {
    const full: FakeCatalogApp = {
      id: app.id ?? randomUUID(),
      externalId: app.externalId,
      displayName: app.displayName ?? 'Handle with Care',
      distributionMethod: app.distributionMethod ?? 'organization',
    };
    this.catalogApps.push(full);
    return full;
  }

  isInstalled(userId: string, catalogAppId: string): boolean {
    return this.installed.get(userId)?.has(catalogAppId) ?? false;
  }

  /** Scripts a failure for the next matching request(s). Rules are consulted in the order added. */
  failNext(rule: GraphFailureRule): this {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
    return this;
  }

  requestsTo(route: GraphRoute): RecordedGraphRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** Forgets recorded requests and scripted failures (data stays). */
  reset(): void {
    this.requests.length = 0;
    this.rules = [];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange = await openGraphRequest(req, res, this.token, this.requests);
    if (!exchange) return;
    const { url: parsed, method, record, answer, fail } = exchange;

    const segments = parsed.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    if (segments.shift() !== 'v1.0') return fail(404, 'NotFound', 'Unknown version');
    const route = routeOf(method, segments);
    if (!route) return fail(404, 'NotFound', 'Resource not found for the segment.');
    record.route = route;

    const rule = this.rules.find((r) => r.remaining > 0 && (r.route === '*' || r.route === route));
    if (rule) {
      rule.remaining -= 1;
      const headers: Record<string, string> =
        rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : {};
      return fail(rule.status, rule.code ?? codeFor(rule.status), 'Scripted failure', headers);
    }

    const id = segments[2]!;
    switch (route) {
      case 'groupMembers': {
        const group = this.groups.get(segments[1]!);
        if (!group) return fail(404, 'Request_ResourceNotFound', 'Group not found');
        const members = this.transitiveMembers(group);
        if (segments[3] === undefined) return this.page(parsed, members.map(select(parsed)), answer);
        // An OData cast on this relationship is an advanced query (Microsoft documents both the
        // header and $count=true as required).
        const advanced =
          req.headers.consistencylevel === 'eventual' && parsed.searchParams.get('$count') === 'true';
        if (!advanced) {
          return fail(400, 'Request_UnsupportedQuery', 'The specified OData cast needs an advanced query.');
        }
        if (segments[3] !== 'microsoft.graph.user') {
          return fail(400, 'Request_UnsupportedQuery', 'Unsupported member type.');
        }
        const users = members.filter((m) => m['@odata.type'] === '#microsoft.graph.user');
        return this.page(parsed, users.map(select(parsed)), answer);
      }
      case 'schoolUsers': {
        const ids = this.schools.get(id);
        if (!ids) return fail(404, 'Request_ResourceNotFound', 'School not found');
        return this.page(
          parsed,
          ids.map((u) => this.users.get(u)!),
          answer,
        );
      }
      case 'userClasses': {
        if (!this.users.has(id)) return fail(404, 'Request_ResourceNotFound', 'User not found');
        const classes = [...this.classes.values()].filter((c) => c.members.includes(id));
        return this.page(
          parsed,
          classes.map((c) => ({ id: c.id, displayName: c.displayName })),
          answer,
        );
      }
      case 'classTeachers': {
        const cls = this.classes.get(id);
        if (!cls) return fail(404, 'Request_ResourceNotFound', 'Class not found');
        return this.page(
          parsed,
          cls.teachers.map((t) => this.users.get(t)!),
          answer,
        );
      }
      case 'user': {
        // GET /users/{id}?$select=displayName (User.ReadBasic.All): any user known to the fake.
        const user = this.users.get(segments[1]!);
        if (!user) return fail(404, 'Request_ResourceNotFound', 'User not found');
        return answer(200, { id: user.id, displayName: user.displayName });
      }
      case 'installApp': {
        const bind = (record.body as Record<string, unknown> | undefined)?.['teamsApp@odata.bind'];
        const prefix = `${this.url}/appCatalogs/teamsApps/`;
        if (typeof bind !== 'string' || !bind.startsWith(prefix)) {
          return fail(400, 'BadRequest', 'teamsApp@odata.bind is missing or not a catalog app URL');
        }
        const appId = bind.slice(prefix.length);
        if (!this.catalogApps.some((a) => a.id === appId)) return fail(404, 'NotFound', 'App not in catalog');
        const apps = this.installed.get(segments[1]!) ?? new Set<string>();
        if (apps.has(appId)) return fail(409, 'Conflict', 'App is already installed.');
        apps.add(appId);
        this.installed.set(segments[1]!, apps);
        return answer(201);
      }
      case 'listCatalogApps': {
        const filter = parsed.searchParams.get('$filter') ?? '';
        const match = /^externalId eq '([^']*)'$/.exec(filter);
        if (filter !== '' && !match) return fail(400, 'BadRequest', 'Unsupported filter');
        const apps = match ? this.catalogApps.filter((a) => a.externalId === match[1]) : this.catalogApps;
        return this.page(parsed, apps, answer);
      }
    }
  }

  /** Every member of a group and of the groups in it, each once, the nested groups themselves too. */
  private transitiveMembers(group: FakeGroup): DirectoryObject[] {
    const found = new Map<string, DirectoryObject>();
    const visit = (g: FakeGroup): void => {
      for (const memberId of g.members) {
        if (found.has(memberId)) continue;
        const user = this.users.get(memberId);
        const nested = this.groups.get(memberId);
        const device = this.devices.get(memberId);
        if (user) {
          found.set(memberId, {
            '@odata.type': '#microsoft.graph.user',
            id: user.id,
            displayName: user.displayName,
          });
        } else if (nested) {
          found.set(memberId, {
            '@odata.type': '#microsoft.graph.group',
            id: nested.id,
            displayName: nested.displayName,
          });
          visit(nested);
        } else if (device) {
          found.set(memberId, {
            '@odata.type': '#microsoft.graph.device',
            id: device.id,
            displayName: device.displayName,
          });
        }
      }
    };
    visit(group);
    return [...found.values()];
  }

  /** One page of a collection; `$skiptoken` is the offset of the next page. */
  private page(parsed: URL, items: unknown[], answer: (status: number, body?: unknown) => void): void {
    const offset = Number(parsed.searchParams.get('$skiptoken') ?? '0');
    const value = items.slice(offset, offset + this.pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/$metadata#collection`, value };
    if (offset + this.pageSize < items.length) {
      const next = new URL(parsed.pathname + parsed.search, this.origin);
      next.searchParams.set('$skiptoken', String(offset + this.pageSize));
      body['@odata.nextLink'] = next.toString();
    }
    answer(200, body);
  }
}

interface DirectoryObject {
  '@odata.type': string;
  id: string;
  displayName: string;
}

/** `$select` as Graph applies it to directory objects: the fields asked for, and the type always. */
function select(parsed: URL): (item: DirectoryObject) => Record<string, unknown> {
  const fields = parsed.searchParams.get('$select')?.split(',').filter(Boolean);
  return (item) => {
    if (!fields) return { ...item };
    const picked: Record<string, unknown> = { '@odata.type': item['@odata.type'] };
    for (const field of fields) picked[field] = field in item ? item[field as keyof DirectoryObject] : null;
    return picked;
  };
}

function routeOf(method: string, s: string[]): GraphRoute | undefined {
  if (
    method === 'GET' &&
    s[0] === 'groups' &&
    s[2] === 'transitiveMembers' &&
    (s.length === 3 || (s.length === 4 && s[3]?.startsWith('microsoft.graph.')))
  ) {
    return 'groupMembers';
  }
  if (method === 'GET' && s.length === 4 && s[0] === 'education') {
    if (s[1] === 'schools' && s[3] === 'users') return 'schoolUsers';
    if (s[1] === 'users' && s[3] === 'classes') return 'userClasses';
    if (s[1] === 'classes' && s[3] === 'teachers') return 'classTeachers';
  }
  if (
    method === 'POST' &&
    s.length === 4 &&
    s[0] === 'users' &&
    s[2] === 'teamwork' &&
    s[3] === 'installedApps'
  ) {
    return 'installApp';
  }
  if (method === 'GET' && s.length === 2 && s[0] === 'appCatalogs' && s[1] === 'teamsApps')
    return 'listCatalogApps';
  if (method === 'GET' && s.length === 2 && s[0] === 'users') return 'user';
  return undefined;
}

function codeFor(status: number): string {
  if (status === 400) return 'BadRequest';
  if (status === 401) return 'InvalidAuthenticationToken';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceNotAvailable';
  if (status === 504) return 'GatewayTimeout';
  return 'InternalServerError';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A TokenCredential that always gives the same token, and counts how often it was asked. */
export class StaticTokenCredential implements TokenCredential {
  calls = 0;
  constructor(readonly token: string = FAKE_GRAPH_TOKEN) {}
  async getToken(): Promise<AccessToken> {
    this.calls += 1;
    return { token: this.token, expiresOnTimestamp: Date.now() + 3_600_000 };
  }
}
