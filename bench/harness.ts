/**
 * What bench/against-bare-bot.ts needs around the two bots: the product started on loopback like
 * test/support/test-app.ts starts it (schools file in a temp dir, local mode, a fake Bot Connector
 * with Teams' limits), an HTTP client that speaks to either bot as Teams would, a tracker that
 * time-stamps every activity the fake connector stores, and an injector of random 429s.
 *
 * Only public behaviour is used, with two exceptions, both in test support code, both checked at
 * start so a change fails loudly instead of measuring nonsense: the connector's `activities` array
 * gets a time-stamping `push`, and its request handler (`handle`) is wrapped to answer some
 * requests 429 itself.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { startApp, type RunningApp, type StartOptions } from '../src/index';
import type { School } from '../src/domain/school';
import {
  FakeBotConnector,
  TEAMS_LIKE_RATE_LIMITS,
  type RecordedActivity,
} from '../test/support/fake-bot-connector';

export const API_KEY = 'bench-intake-key-0123456789abcdef';
export const STATS_KEY = 'bench-stats-key-0123456789abcdef';
export const TENANT_ID = '5c0d9e21-7a4b-4f3c-9e8d-1b2a3c4d5e6f';

export interface Person {
  id: string;
  name: string;
}

// ---------------------------------------------------------------------------------------------
// Invented people and schools
// ---------------------------------------------------------------------------------------------

const FIRST = [
  'Ilse',
  'Bram',
  'Noor',
  'Joep',
  'Sanne',
  'Tijn',
  'Fleur',
  'Daan',
  'Roos',
  'Mees',
  'Lotte',
  'Gijs',
];
const LAST = [
  'Meetbergen',
  'Proefhoven',
  'Klokstra',
  'Tijdelaar',
  'Rondeweg',
  'IJkema',
  'Tellegen-Zuid',
  'Wachtveld',
  'Snelhuis',
  'Drempelaar',
];

let personCounter = 0;
/** A person with a random Entra id and an invented name. */
export function inventPerson(): Person {
  const i = personCounter++;
  return {
    id: randomUUID(),
    name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
  };
}

export function inventPeople(n: number): Person[] {
  return Array.from({ length: n }, inventPerson);
}

/** An invented school with the given coordinators, and the support options the forms use. */
export function inventSchool(index: number, coordinators: Person[]): School {
  return {
    id: `bench-school-${index}`,
    name: `Basisschool De Meetlat ${index}`,
    timeZone: 'Europe/Amsterdam',
    procedure: 'talk-first',
    lessonStart: '08:30',
    dayEnd: '15:00',
    schoolDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
    holidays: [],
    publicHolidays: false,
    coordinators,
    deputies: [],
    intakeUsers: [],
    supportOptions: [
      { id: 'quiet-spot', label: { nl: 'Een rustige plek', en: 'A quiet spot' } },
      { id: 'test-moved', label: { nl: 'Toets verplaatst', en: 'Test moved' } },
    ],
    escalateMinutesBeforeLessons: 30,
    reminderAfterMinutes: 20,
    maxPupilAbsentDays: 2,
  };
}

// ---------------------------------------------------------------------------------------------
// The fake connector, time-stamped
// ---------------------------------------------------------------------------------------------

export interface StampedActivity {
  at: number;
  kind: RecordedActivity['kind'];
  conversationId: string;
}

const POSTING = new Set(['create', 'send', 'reply']);

/**
 * The fake connector of one bot, with every stored activity time-stamped (performance.now()) as
 * the connector stores it, and waiters woken on each.
 */
export class TrackedConnector {
  readonly connector: FakeBotConnector;
  readonly stamps: StampedActivity[] = [];
  private waiters = new Set<() => void>();
  private owners = new Map<string, string>();
  private ownersSeen = 0;
  /** Set by inject429(): whether 429s are being injected now, and how many were. */
  injecting = false;
  injectRate = 0.1;
  readonly injected: { at: number; about: string | undefined }[] = [];
  private random: () => number = Math.random;

  constructor(members: Person[]) {
    this.connector = new FakeBotConnector({
      rateLimits: TEAMS_LIKE_RATE_LIMITS,
      members: members.map((m) => ({ aadObjectId: m.id, name: m.name })),
    });
    const activities = this.connector.activities;
    if (!Array.isArray(activities)) throw new Error('FakeBotConnector.activities is no longer an array');
    const push = activities.push.bind(activities);
    activities.push = (...items: RecordedActivity[]) => {
      const at = performance.now();
      for (const a of items) this.stamps.push({ at, kind: a.kind, conversationId: a.conversationId });
      const n = push(...items);
      for (const wake of [...this.waiters]) wake();
      return n;
    };
  }

  async start(): Promise<void> {
    await this.connector.start();
    this.wrapHandler();
  }

  get url(): string {
    return this.connector.url;
  }

  addMembers(people: Person[]): void {
    for (const p of people) this.connector.addMember({ aadObjectId: p.id, name: p.name });
  }

  /** Postings (new cards) stored after `since`. */
  postingsSince(since: number): StampedActivity[] {
    const out: StampedActivity[] = [];
    for (let i = this.stamps.length - 1; i >= 0 && this.stamps[i]!.at >= since; i--) {
      if (POSTING.has(this.stamps[i]!.kind)) out.push(this.stamps[i]!);
    }
    return out.reverse();
  }

  /** Whose personal chat a conversation is (Entra id), as far as the connector knows. */
  ownerOf(conversationId: string): string | undefined {
    if (conversationId.startsWith('a:personal-')) return conversationId.slice('a:personal-'.length);
    const conversations = this.connector.conversations;
    for (; this.ownersSeen < conversations.length; this.ownersSeen++) {
      const c = conversations[this.ownersSeen]!;
      const m = c.members[0] as { aadObjectId?: string; id?: string } | undefined;
      const who = m?.aadObjectId ?? m?.id;
      if (who) this.owners.set(c.id, this.connector.member(who)?.aadObjectId ?? who);
    }
    return this.owners.get(conversationId);
  }

  /** First card stored in each of these people's chats after `since`, by person. */
  firstCardsSince(since: number, people: ReadonlySet<string>): Map<string, number> {
    const found = new Map<string, number>();
    for (const s of this.postingsSince(since)) {
      const who = this.ownerOf(s.conversationId);
      if (who && people.has(who) && !found.has(who)) found.set(who, s.at);
    }
    return found;
  }

  /** Resolves when `done()` holds (checked on every stored activity and every 25 ms), or after `ms`. */
  waitUntil(done: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      let finished = false;
      let checking = false;
      const finish = (ok: boolean) => {
        if (finished) return;
        finished = true;
        this.waiters.delete(check);
        clearInterval(poll);
        clearTimeout(timer);
        resolve(ok);
      };
      const check = () => {
        if (finished || checking) return;
        checking = true;
        void Promise.resolve(done()).then(
          (ok) => {
            checking = false;
            if (ok) finish(true);
          },
          () => {
            checking = false;
          },
        );
      };
      this.waiters.add(check);
      const poll = setInterval(check, 25);
      const timer = setTimeout(() => finish(false), ms);
      check();
    });
  }

  /** Waits until the connector saw no request for `quietMs` (at most `ms`). */
  async quiet(quietMs: number, ms = 10_000): Promise<void> {
    const deadline = performance.now() + ms;
    let count = this.connector.requests.length + this.injected.length;
    let since = performance.now();
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(50, quietMs)));
      const now = this.connector.requests.length + this.injected.length;
      if (now !== count) {
        count = now;
        since = performance.now();
      } else if (performance.now() - since >= quietMs) return;
    }
  }

  /** Makes the injected 429s reproducible. */
  seed(seed: number): void {
    let a = seed >>> 0;
    this.random = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /**
   * While `injecting`, answers a random `injectRate` of the requests 429 with Retry-After: 1 before
   * the fake sees them (as Teams may at any time), and notes whom each was about.
   */
  private wrapHandler(): void {
    const target = this.connector as unknown as {
      handle?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    };
    if (typeof target.handle !== 'function') {
      throw new Error('FakeBotConnector has no handle(req, res) any more: update bench/harness.ts');
    }
    const handle = target.handle.bind(this.connector);
    target.handle = async (req, res) => {
      if (!this.injecting || this.random() >= this.injectRate) return handle(req, res);
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      this.injected.push({
        at: performance.now(),
        about: this.aboutWhom(req, Buffer.concat(chunks).toString()),
      });
      const body = JSON.stringify({ error: { code: 'TooManyRequests', message: 'Injected by the bench' } });
      res.writeHead(429, {
        'retry-after': '1',
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
      });
      res.end(body);
    };
  }

  /** The person a connector request is about: the chat's owner, the member looked up or added. */
  private aboutWhom(req: IncomingMessage, raw: string): string | undefined {
    const parts = new URL(req.url ?? '/', 'http://x').pathname
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent);
    const i = parts.indexOf('conversations');
    const conversationId = parts[i + 1];
    if (conversationId === undefined) {
      try {
        const body = JSON.parse(raw) as { members?: { aadObjectId?: string; id?: string }[] };
        const m = body.members?.[0];
        return m?.aadObjectId ?? m?.id;
      } catch {
        return undefined;
      }
    }
    if (parts[i + 2] === 'members' && parts[i + 3]) {
      return this.connector.member(parts[i + 3]!)?.aadObjectId ?? parts[i + 3];
    }
    return this.ownerOf(conversationId);
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to a bot as Teams and a sender system would
// ---------------------------------------------------------------------------------------------

export interface InvokeAnswer {
  status: number;
  ms: number;
  text: string;
}

export class BotClient {
  constructor(
    readonly url: string,
    private readonly serviceUrl: () => string,
  ) {}

  async postSignal(body: unknown): Promise<{ status: number; text: string; ms: number; started: number }> {
    const started = performance.now();
    const res = await fetch(`${this.url}/api/signals`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY, 'Idempotency-Key': randomUUID() },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started, started };
  }

  async invoke(userId: string, verb: string, data: unknown): Promise<InvokeAnswer> {
    const activity = {
      channelId: 'msteams',
      serviceUrl: this.serviceUrl(),
      from: { id: `29:${userId}`, aadObjectId: userId, name: 'Invented User' },
      recipient: { id: '28:hwc-bench-bot', name: 'Handle with Care' },
      conversation: { id: `a:personal-${userId}`, conversationType: 'personal', tenantId: TENANT_ID },
      channelData: { tenant: { id: TENANT_ID } },
      locale: 'nl-NL',
      timestamp: new Date().toISOString(),
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: `invoke-${randomUUID()}`,
      value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
    };
    const started = performance.now();
    const res = await fetch(`${this.url}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(activity),
    });
    const text = await res.text();
    return { status: res.status, text, ms: performance.now() - started };
  }
}

// ---------------------------------------------------------------------------------------------
// The product
// ---------------------------------------------------------------------------------------------

/** Swallows log lines: the product formats them as in production (level info), nothing is written. */
export class NullSink extends Writable {
  override _write(_chunk: Buffer, _encoding: string, callback: () => void): void {
    callback();
  }
}

export interface ProductUnderTest {
  app: RunningApp;
  tracked: TrackedConnector;
  client: BotClient;
  stop(): Promise<void>;
}

/** startApp from src/index.ts, in this process, on 127.0.0.1, like test/support/test-app.ts. */
export async function startProduct(options: {
  schools: School[];
  members: Person[];
  clock: () => Date;
  env?: Record<string, string>;
}): Promise<ProductUnderTest> {
  const tracked = new TrackedConnector(options.members);
  await tracked.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'hwc-bench-'));
  const schoolsFile = path.join(dir, 'schools.json');
  writeFileSync(schoolsFile, JSON.stringify({ schools: options.schools }));
  const start: StartOptions = {
    env: {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCHOOLS_FILE: schoolsFile,
      INTAKE_API_KEYS: API_KEY,
      STATS_API_KEYS: STATS_KEY,
      TEAMS_SERVICE_URL: tracked.url,
      SHUTDOWN_GRACE_MS: '500',
      ...options.env,
    },
    log: { level: 'info', destination: new NullSink() },
    clock: options.clock,
    intakeLimits: { requestsPerMinute: 1_000_000, failedAuthPerMinute: 1_000_000 },
  };
  const app = await startApp(start);
  return {
    app,
    tracked,
    client: new BotClient(app.url, () => tracked.url),
    async stop() {
      await app.stop();
      await tracked.connector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
