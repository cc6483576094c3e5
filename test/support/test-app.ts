import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { BackgroundWork } from '../../src/app/background-work';
import type { CardCleanup } from '../../src/app/card-cleanup';
import { startApp, type RunningApp, type StartOptions } from '../../src/index';
import type { School } from '../../src/domain/school';
import { FakeBotConnector, type FakeBotConnectorOptions } from './fake-bot-connector';
import { colleagues, testSchool, otherSchool } from './fixtures';

export const TEST_API_KEY = 'test-intake-key-0123456789abcdef';
export const TEST_STATS_KEY = 'test-stats-key-0123456789abcdef';
export const TENANT_ID = '7a1e5c3b-9d2f-4e8a-b6c4-0f1e2d3c4b5a';

/** Captures every log line the app writes, so tests can read them. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp {
  app: RunningApp;
  connector: FakeBotConnector;
  logs: LogCapture;
  /**
   * Every HTTP response body the tests read except the card views (invoke responses), for the
   * privacy checks. Views are not kept: they may show the pupil, and the test must not hold on to them.
   */
  responses: string[];
  /**
   * Waits until what clicks started after their answer is done: cards to colleagues, progress on
   * the coordinators' cards, reminders, and the cards of ended cases made neutral and deleted.
   */
  settled(): Promise<void>;
  /** GET on the app (e.g. /api/stats with the test's stats key). */
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  postSignal(
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; headers: Headers }>;
  invoke(userId: string, verb: string, data: unknown, extra?: Record<string, unknown>): Promise<InvokeResult>;
  message(userId: string, text: string, extra?: Record<string, unknown>): Promise<number>;
  stop(): Promise<void>;
  /**
   * Stops at once, as a killed process would: connections cut, the Redis connection dropped, no
   * grace, nothing flushed. Work under way fails on its next call to Redis.
   */
  crash(): Promise<void>;
}

export interface InvokeResult {
  status: number;
  card: Record<string, unknown> | undefined;
  text: string;
}

/** The whole bot on 127.0.0.1, in local mode, talking to a fake Bot Connector. */
export async function startTestApp(
  options: {
    schools?: School[];
    env?: Record<string, string>;
    start?: Partial<StartOptions>;
    /** Files written beside the schools file (roster exports, say), by name. */
    files?: Record<string, string>;
    /** Options of the fake Bot Connector (Teams-like rate limits, say). */
    connector?: FakeBotConnectorOptions;
    /** A fake Bot Connector another app uses too (two instances of the bot); it is not stopped with this app. */
    sharedConnector?: FakeBotConnector;
    /** More people Teams knows, besides the schools' staff and the fixtures' colleagues. */
    members?: { id: string; name: string }[];
  } = {},
): Promise<TestApp> {
  const schools = options.schools ?? [testSchool, otherSchool];
  // Teams knows everyone in the tenant: each has a '29:' id besides the Entra object id.
  const members = [
    ...schools.flatMap((s) => [...s.coordinators, ...s.deputies, ...s.intakeUsers]),
    ...colleagues,
  ];
  const connector =
    options.sharedConnector ??
    new FakeBotConnector({
      ...options.connector,
      members: members.map((m) => ({ aadObjectId: m.id, name: m.name })),
    });
  if (!options.sharedConnector) await connector.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'hwc-app-'));
  const schoolsFile = path.join(dir, 'schools.json');
  writeFileSync(schoolsFile, JSON.stringify({ schools }));
  for (const [name, content] of Object.entries(options.files ?? {}))
    writeFileSync(path.join(dir, name), content);
  const logs = new LogCapture();
  const app = await startApp({
    env: {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      SCHOOLS_FILE: schoolsFile,
      INTAKE_API_KEYS: TEST_API_KEY,
      STATS_API_KEYS: TEST_STATS_KEY,
      TEAMS_SERVICE_URL: connector.url,
      SHUTDOWN_GRACE_MS: '500',
      ...options.env,
    },
    log: { destination: logs },
    ...options.start,
  });
  const responses: string[] = [];

  const postActivity = async (activity: Record<string, unknown>) => {
    const res = await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(activity),
    });
    const text = await res.text();
    if (activity.type !== 'invoke') responses.push(text);
    return { status: res.status, text };
  };

  const baseActivity = (userId: string) => ({
    channelId: 'msteams',
    serviceUrl: connector.url,
    from: { id: `29:${userId}`, aadObjectId: userId, name: 'Invented User' },
    recipient: { id: '28:hwc-test-bot', name: 'Handle with Care' },
    conversation: { id: `a:personal-${userId}`, conversationType: 'personal', tenantId: TENANT_ID },
    channelData: { tenant: { id: TENANT_ID } },
    locale: 'nl-NL',
    timestamp: new Date().toISOString(),
  });

  return {
    app,
    connector,
    logs,
    responses,
    async postSignal(body, headers = {}) {
      const res = await fetch(`${app.url}/api/signals`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': TEST_API_KEY, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      responses.push(text);
      return { status: res.status, body: text, headers: res.headers };
    },
    async settled() {
      const background = app.services.background as BackgroundWork;
      const cleanup = app.services.cleanup as CardCleanup;
      // Each may start the other (a card posted to a case that just ended is cleaned up).
      do {
        await background.idle();
        await cleanup.idle();
      } while (background.size > 0 || cleanup.size > 0);
    },
    async get(route, headers = { 'X-API-Key': TEST_STATS_KEY }) {
      const res = await fetch(`${app.url}${route}`, { headers });
      const body = await res.text();
      responses.push(body);
      return { status: res.status, body };
    },
    async invoke(userId, verb, data, extra = {}) {
      const { status, text } = await postActivity({
        ...baseActivity(userId),
        type: 'invoke',
        name: 'adaptiveCard/action',
        id: `invoke-${Math.random().toString(36).slice(2)}`,
        value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
        ...extra,
      });
      const parsed = text ? (JSON.parse(text) as { value?: Record<string, unknown> }) : {};
      return { status, card: parsed.value, text };
    },
    async message(userId, text, extra = {}) {
      const { status } = await postActivity({
        ...baseActivity(userId),
        type: 'message',
        id: `msg-${Math.random().toString(36).slice(2)}`,
        text,
        ...extra,
      });
      return status;
    },
    async stop() {
      await app.stop();
      if (!options.sharedConnector) await connector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async crash() {
      app.redis?.destroy();
      app.server.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      const scheduler = app.services.scheduler as { close?: () => unknown };
      void scheduler.close?.();
      if (!options.sharedConnector) await connector.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The case id in the action data of a posted shell card. */
export function caseIdOf(activityBody: Record<string, unknown> | null): string {
  const text = JSON.stringify(activityBody);
  const match = /"caseId":"([0-9a-f-]{36})"/.exec(text);
  if (!match?.[1]) throw new Error('no case id in the activity');
  return match[1];
}
