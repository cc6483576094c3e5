/**
 * What the Redis store costs against the in-memory store, end to end through the whole bot.
 *
 *   npm run bench:store          (or: npx tsx bench/redis-store.ts)
 *
 * Two apps run side by side in this process (startTestApp: the bot on 127.0.0.1 in local mode,
 * each against its own fake Bot Connector): one with the defaults (everything in memory), one with
 * REDIS_URL (cases, scheduler, idempotency, rate budgets and chat references in Redis). Redis is
 * TEST_REDIS_URL when it answers on loopback, else redis://127.0.0.1:6379/9, else a redis-server
 * started here on a free port (no persistence) and stopped at the end. The Redis app's keys are
 * under a prefix of this run's own, `{hwc-bench-<random>}:`, and are deleted at the end.
 *
 * Per iteration, for both apps (which one goes first alternates):
 * - intake → card posted: POST /api/signals until its 201. receiveSignal posts the card to every
 *   coordinator before it answers, so the 201 comes after the cards (checked per sample below).
 * - card view: the 'case.view' invoke of a coordinator on the case that intake just opened.
 *
 * Iterations are paced (ITERATION_MS): every signal posts one card into each coordinator's chat,
 * and the messenger keeps to Teams' limit of 60 posts per chat in any 30 s, so at more than about
 * two signals a second the latency would be the rate limiter's wait, not the store's cost. Signals
 * are rare in real use; the paced figure is the one a sender sees.
 *
 * The clock is fixed two hours before lessons on a school day at least a week ahead (not in the
 * past: the Redis keys expire at absolute times derived from it), so nothing escalates in the run.
 *
 * BENCH_SAMPLES and BENCH_WARMUP override N (500) and the warm-up (50), for a quick try.
 * Numbers only, no assertions.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DateTime } from 'luxon';
import { nextSchoolDayAfter } from '../src/domain/calendar';
import { createLogger } from '../src/logging/logger';
import { connectRedis, type RedisClient } from '../src/redis/redis-client';
import { coordinatorA, pupil, signal, testSchool } from '../test/support/fixtures';
import { posting } from '../test/support/flow-checks';
import { freePort, redisAnswers, RedisServerProcess } from '../test/support/redis';
import { caseIdOf, startTestApp, type TestApp } from '../test/support/test-app';

const SAMPLES = positiveInt(process.env.BENCH_SAMPLES, 500);
const WARMUP = positiveInt(process.env.BENCH_WARMUP, 50);
/** One iteration (a signal to each app) per this many ms: under Teams' 60 posts per chat per 30 s. */
const ITERATION_MS = 550;
const TARGET_P99_MS = 20;
/** How many case keys MEMORY USAGE is asked about. */
const MEMORY_SAMPLE = 20;
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/9';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

type Kind = 'memory' | 'redis';

interface Samples {
  intakeMs: number[];
  viewMs: number[];
  /** Intakes not answered 201. */
  intakeFailed: number;
  /** 201s that came before every coordinator's card was at the fake connector. */
  cardsLate: number;
  /** Views not answered 200 with the case's content. */
  viewFailed: number;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

function emptySamples(): Samples {
  return { intakeMs: [], viewMs: [], intakeFailed: 0, cardsLate: 0, viewFailed: 0 };
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '–';
}

function ratio(redis: number, memory: number): string {
  return Number.isFinite(redis / memory) ? `${(redis / memory).toFixed(2)}×` : '–';
}

/** Host, port and database of a Redis URL, never its password. */
function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.hostname}:${u.port || '6379'}${u.pathname}`;
}

/** A moment two hours before lessons on the first school day at least a week from now. */
function benchClock(): () => Date {
  const from = DateTime.now().setZone(testSchool.timeZone).plus({ days: 7 }).toISODate()!;
  const day = nextSchoolDayAfter(testSchool, from);
  const fixed = new Date(day.lessonStart.getTime() - 2 * 60 * 60_000);
  return () => new Date(fixed);
}

interface Redis {
  url: string;
  /** The redis-server started here, if none answered. */
  own: RedisServerProcess | undefined;
}

async function findRedis(): Promise<Redis> {
  const candidates: string[] = [];
  const fromEnv = process.env.TEST_REDIS_URL;
  if (fromEnv) {
    if (LOOPBACK.has(new URL(fromEnv).hostname)) candidates.push(fromEnv);
    else console.log(`TEST_REDIS_URL is not on loopback (${describeUrl(fromEnv)}): not used.`);
  }
  candidates.push(DEFAULT_REDIS_URL);
  for (const url of candidates) {
    const u = new URL(url);
    const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname.replace(/^\[|\]$/g, '');
    if (await redisAnswers(Number(u.port || 6379), host)) return { url, own: undefined };
  }
  if (!RedisServerProcess.available()) {
    throw new Error('No Redis answers on loopback and redis-server is not installed; set TEST_REDIS_URL.');
  }
  const own = new RedisServerProcess(await freePort());
  await own.start();
  return { url: `${own.url}/9`, own };
}

/** Every key under the prefix, by SCAN (bounded: a cursor walk ends, and at most 10 000 rounds). */
async function keysUnder(client: RedisClient, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let rounds = 0;
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    found.push(...batch);
    if (++rounds >= 10_000) break;
  }
  return [...new Set(found)];
}

async function memoryUsage(client: RedisClient, key: string): Promise<number> {
  const bytes = await client.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']);
  return typeof bytes === 'number' ? bytes : 0;
}

/** POST /api/signals; the time until the 201, and the case id from the card it posted. */
async function intake(t: TestApp, samples: Samples, record: boolean): Promise<string | undefined> {
  const before = t.connector.activities.length;
  const started = performance.now();
  const res = await t.postSignal(signal, { 'Idempotency-Key': randomUUID() });
  const elapsed = performance.now() - started;
  // The fake connector's record at the moment the 201 arrived: the cards of this signal, if out.
  const cards = t.connector.activities
    .slice(before)
    .filter((a) => posting.has(a.kind) && JSON.stringify(a.body).includes('caseId'));
  if (record) {
    samples.intakeMs.push(elapsed);
    if (res.status !== 201) samples.intakeFailed++;
    if (cards.length < testSchool.coordinators.length) samples.cardsLate++;
  }
  const card = cards[0];
  return res.status === 201 && card ? caseIdOf(card.body) : undefined;
}

/** The 'case.view' invoke of a coordinator, on an open case. */
async function view(t: TestApp, caseId: string, samples: Samples, record: boolean): Promise<void> {
  const started = performance.now();
  const res = await t.invoke(coordinatorA.id, 'case.view', { caseId });
  const elapsed = performance.now() - started;
  if (!record) return;
  samples.viewMs.push(elapsed);
  // The view shows the pupil; a 'gone' or refusal card does not. Nothing of it is kept or printed.
  if (res.status !== 200 || !res.text.includes(pupil.name)) samples.viewFailed++;
}

async function main(): Promise<void> {
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const redis = await findRedis();
  const prefix = `{hwc-bench-${randomBytes(4).toString('hex')}}:`;
  const client = await connectRedis({ url: redis.url }, createLogger({ level: 'silent' }));
  const apps: Partial<Record<Kind, TestApp>> = {};
  try {
    const clock = benchClock();
    const start = {
      log: { level: 'silent' as const },
      clock,
      intakeLimits: { requestsPerMinute: 1_000_000, failedAuthPerMinute: 1_000_000 },
    };
    apps.memory = await startTestApp({ schools: [testSchool], start });
    apps.redis = await startTestApp({
      schools: [testSchool],
      start,
      env: {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: prefix,
        CASE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        INTAKE_IDEMPOTENCY_SECRET: randomBytes(32).toString('base64'),
      },
    });
    const info = await client.info('server');
    const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';

    const samples: Record<Kind, Samples> = { memory: emptySamples(), redis: emptySamples() };
    const total = WARMUP + SAMPLES;
    const loadBefore = os.loadavg()[0] ?? Number.NaN;
    const began = performance.now();
    for (let i = 0; i < total && !interrupted; i++) {
      const slot = began + i * ITERATION_MS;
      const wait = slot - performance.now();
      if (wait > 0) await sleep(wait);
      const record = i >= WARMUP;
      const order: Kind[] = i % 2 === 0 ? ['memory', 'redis'] : ['redis', 'memory'];
      const cases: Partial<Record<Kind, string>> = {};
      for (const kind of order) cases[kind] = await intake(apps[kind]!, samples[kind], record);
      for (const kind of order) {
        const caseId = cases[kind];
        if (caseId) await view(apps[kind]!, caseId, samples[kind], record);
        else if (record) samples[kind].viewFailed++;
      }
    }
    if (interrupted) {
      console.log('Interrupted: cleaning up, no figures.');
      return;
    }
    const wallS = (performance.now() - began) / 1000;
    const load = [loadBefore, os.loadavg()[0] ?? Number.NaN] as const;

    // Stop both apps first, so nothing writes while Redis is measured.
    await apps.memory.stop();
    delete apps.memory;
    await apps.redis.stop();
    delete apps.redis;
    const perCase = await redisFootprint(client, prefix);

    report({ samples, redisVersion, url: redis.url, own: redis.own !== undefined, wallS, load, perCase });
  } finally {
    await apps.memory?.stop().catch(() => undefined);
    await apps.redis?.stop().catch(() => undefined);
    let deleted = 0;
    if (client.isReady) {
      const keys = await keysUnder(client, prefix);
      for (let from = 0; from < keys.length; from += 500) {
        deleted += await client.unlink(keys.slice(from, from + 500));
      }
      const left = (await keysUnder(client, prefix)).length;
      console.log(`\nCleanup: ${deleted} keys under ${prefix} unlinked, ${left} left.`);
    }
    client.destroy();
    if (redis.own) {
      await redis.own.stop();
      console.log(`Stopped the redis-server started on port ${redis.own.port}.`);
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface Footprint {
  openCases: number;
  totalKeys: number;
  keysByKind: Map<string, number>;
  /** Keys whose name holds a case's id (its hash and its scheduled tasks), per open case. */
  caseKeysPerCase: number;
  caseHashBytes: number;
  /** The case hash and every other key naming the same case, summed, averaged over the sample. */
  caseKeysBytes: number;
  /** Every key under the prefix (shared sorted sets, idempotency answers, chats…) / open cases. */
  allBytesPerCase: number;
  sampled: number;
}

/** What the Redis app left in Redis: its open cases, by keys and bytes. */
async function redisFootprint(client: RedisClient, prefix: string): Promise<Footprint> {
  const keys = (await keysUnder(client, prefix)).map((k) => k.slice(prefix.length));
  const keysByKind = new Map<string, number>();
  for (const key of keys) {
    const kind = /^(sched:[a-z]+|rate:[a-z]+|[a-z-]+)/.exec(key)?.[1] ?? key;
    keysByKind.set(kind, (keysByKind.get(kind) ?? 0) + 1);
  }
  const caseIds = keys.filter((k) => k.startsWith('case:')).map((k) => k.slice('case:'.length));
  const ids = new Set(caseIds);
  const idIn = (key: string) => /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(key)?.[0];
  const keysOfCase = new Map<string, string[]>();
  for (const key of keys) {
    const id = idIn(key);
    if (id && ids.has(id)) keysOfCase.set(id, [...(keysOfCase.get(id) ?? []), key]);
  }
  const naming = [...keysOfCase.values()].reduce((n, list) => n + list.length, 0);

  const sample = caseIds.slice(0, MEMORY_SAMPLE);
  let hashBytes = 0;
  let caseKeysBytes = 0;
  for (const id of sample) {
    hashBytes += await memoryUsage(client, `${prefix}case:${id}`);
    for (const key of keysOfCase.get(id) ?? []) caseKeysBytes += await memoryUsage(client, `${prefix}${key}`);
  }
  let allBytes = 0;
  for (const key of keys) allBytes += await memoryUsage(client, `${prefix}${key}`);

  const open = caseIds.length;
  return {
    openCases: open,
    totalKeys: keys.length,
    keysByKind,
    caseKeysPerCase: open ? naming / open : Number.NaN,
    caseHashBytes: sample.length ? hashBytes / sample.length : Number.NaN,
    caseKeysBytes: sample.length ? caseKeysBytes / sample.length : Number.NaN,
    allBytesPerCase: open ? allBytes / open : Number.NaN,
    sampled: sample.length,
  };
}

function report(run: {
  samples: Record<Kind, Samples>;
  redisVersion: string;
  url: string;
  own: boolean;
  wallS: number;
  /** The machine's 1-minute load average before and after the measured loop: others' work skews p99. */
  load: readonly [number, number];
  perCase: Footprint;
}): void {
  const { samples: s, perCase: f } = run;
  console.log(
    `\nRedis store vs in-memory store, end to end (Node ${process.version}, ${os.cpus().length} cores,` +
      ` Redis ${run.redisVersion} at ${describeUrl(run.url)}${run.own ? ', started here' : ''})`,
  );
  console.log(
    `${s.memory.intakeMs.length} samples per cell (memory) / ${s.redis.intakeMs.length} (Redis), after ` +
      `${WARMUP} warm-up; memory and Redis interleaved, one iteration per ${ITERATION_MS} ms; ` +
      `${run.wallS.toFixed(0)} s; load average ${run.load[0].toFixed(2)} before, ${run.load[1].toFixed(2)} after. ` +
      `Times in ms.\n`,
  );
  console.log('| what | memory p50 | memory p99 | Redis p50 | Redis p99 | ratio p50 | ratio p99 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const row = (what: string, pick: (x: Samples) => number[]) => {
    const [m50, m99, r50, r99] = [
      percentile(pick(s.memory), 50),
      percentile(pick(s.memory), 99),
      percentile(pick(s.redis), 50),
      percentile(pick(s.redis), 99),
    ];
    console.log(
      `| ${what} | ${ms(m50)} | ${ms(m99)} | ${ms(r50)} | ${ms(r99)} | ${ratio(r50, m50)} | ${ratio(r99, m99)} |`,
    );
  };
  row('intake → card posted (POST /api/signals → 201)', (x) => x.intakeMs);
  row("card view ('case.view' invoke)", (x) => x.viewMs);

  const redisP99 = percentile(s.redis.intakeMs, 99);
  console.log(
    `\nTarget: p99 intake → card ≤ ${TARGET_P99_MS} ms against Redis on loopback: ` +
      `${redisP99 <= TARGET_P99_MS ? 'met' : 'not met'} (${ms(redisP99)} ms)`,
  );
  for (const kind of ['memory', 'redis'] as const) {
    const x = s[kind];
    console.log(
      `${kind === 'memory' ? 'Memory' : 'Redis '}: intakes not 201: ${x.intakeFailed}; 201 before every ` +
        `coordinator's card was posted: ${x.cardsLate}; views without the case: ${x.viewFailed}`,
    );
  }

  console.log(`\nRedis, after the run (${f.openCases} open cases, ${f.totalKeys} keys under the prefix):`);
  const kinds = [...f.keysByKind.entries()].sort((a, b) => b[1] - a[1]);
  console.log(`  keys by kind: ${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(
    `  keys per open case: ${f.caseKeysPerCase.toFixed(2)} naming the case (its hash and scheduled tasks);` +
      ` besides, ${((f.keysByKind.get('idem') ?? 0) / Math.max(1, f.openCases)).toFixed(2)} idempotency` +
      ` answer(s) per signal (kept 24 h) and shared keys`,
  );
  console.log(
    `  bytes per open case (MEMORY USAGE, ${f.sampled} cases): case hash ${f.caseHashBytes.toFixed(0)};` +
      ` all keys naming the case ${f.caseKeysBytes.toFixed(0)}; every key under the prefix / open cases` +
      ` ${f.allBytesPerCase.toFixed(0)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
