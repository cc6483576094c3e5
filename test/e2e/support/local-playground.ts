/**
 * The product's local run (`npm run playground`: the bot in local mode plus the Agents
 * Playground) started for the end-to-end suite, on ports of its own so it runs beside a
 * developer's Playground, with the outbound guard preloaded into every node process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropMail, findDropPoint, parseDemoMail, type DropResult } from '../../../scripts/playground-mailbox';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface LocalPlayground {
  readonly pageUrl: string;
  readonly botUrl: string;
  readonly apiKey: string;
  /** What `npm run playground` printed, the bot's own log lines included. */
  output(): string;
  /** The Playground's log file (in 0.2.28 mostly start-up; the activities are in its log stream). */
  playgroundLog(): string;
  /** Connections a node process tried beyond this machine (refused by the guard). */
  outboundAttempts(): string[];
  /** The programs the outbound guard was loaded into (argv[1] of each node process). */
  guardedPrograms(): string[];
  /**
   * Drops a demo mail file (config/demo-mail-*.txt) into the run's demo mailbox, as
   * `npm run playground:mail` does, and resolves with where it went once the bot read it.
   */
  dropMail(file: string): Promise<DropResult>;
  stop(): Promise<void>;
}

/** Two different free ports: both are held until both are known. */
async function twoFreePorts(): Promise<[number, number]> {
  const servers = [net.createServer(), net.createServer()];
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, () => resolve((server.address() as net.AddressInfo).port));
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return [ports[0] as number, ports[1] as number];
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone (ESRCH).
  }
}

export async function startLocalPlayground(): Promise<LocalPlayground> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hwc-e2e-'));
  const logFile = path.join(dir, 'm365agentsplayground.log');
  const guardFile = path.join(dir, 'outbound.jsonl');
  const guard = path.join(__dirname, 'outbound-guard.cjs');
  const [botPort, playgroundPort] = await twoFreePorts();
  const apiKey = `e2e-${randomBytes(12).toString('hex')}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLAYGROUND_BOT_PORT: String(botPort),
    PLAYGROUND_PORT: String(playgroundPort),
    INTAKE_API_KEYS: apiKey,
    M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
    HWC_OUTBOUND_LOG: guardFile,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require "${guard}"`.trim(),
    LOG_LEVEL: 'info',
  };
  // The demo's own defaults, whatever the developer's shell or .env says.
  for (const name of [
    'BOT_COMMAND',
    'SCHOOLS_FILE',
    'TEAMS_SERVICE_URL',
    'MicrosoftAppTenantId',
    'BOT_LANGUAGE',
  ]) {
    delete env[name];
  }

  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/playground.ts'], {
    cwd: ROOT,
    env,
    // Its own process group: one signal reaches the script, which stops the bot and the Playground.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null && !spawnError;

  // If mocha is interrupted or exits early, the local run and its folder go too.
  const onExit = () => {
    signalGroup(child.pid, 'SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (running()) {
      // The script forwards the signal to the bot and the Playground and waits for both.
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let pageUrl: string | undefined;
  for (;;) {
    pageUrl = /\[playground\] Agents Playground: (http:\/\/\S+)/.exec(output)?.[1];
    if (pageUrl) break;
    if (!running() || Date.now() > deadline) {
      const why = spawnError
        ? `could not start (${spawnError.message})`
        : running()
          ? `did not get ready in ${START_TIMEOUT_MS / 1000} s`
          : 'exited';
      const log = readIfThere(logFile);
      await stop();
      throw new Error(`npm run playground ${why}. Its output:\n${output}\nThe Playground's log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const guardLines = () =>
    readIfThere(guardFile)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { guarded?: string });
  return {
    pageUrl,
    botUrl: `http://localhost:${botPort}`,
    apiKey,
    output: () => output,
    playgroundLog: () => readIfThere(logFile),
    outboundAttempts: () =>
      guardLines()
        .filter((line) => line.guarded === undefined)
        .map((line) => JSON.stringify(line)),
    guardedPrograms: () => guardLines().flatMap((line) => (line.guarded === undefined ? [] : [line.guarded])),
    dropMail: async (file) => {
      const point = findDropPoint(playgroundPort);
      if (!point) throw new Error(`the run on Playground port ${playgroundPort} serves no demo mailbox`);
      return dropMail(point, parseDemoMail(readFileSync(path.resolve(ROOT, file), 'utf8')));
    },
    stop,
  };
}
