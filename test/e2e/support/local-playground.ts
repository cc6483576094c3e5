/**
 * The product's local run (`npm run playground`: the bot in local mode plus the Agents
 * Playground) started for the end-to-end suite, on ports of its own so it runs beside a
 * developer's Playground, with the outbound guard preloaded into every node process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

export interface LocalPlayground {
  readonly pageUrl: string;
  readonly botUrl: string;
  readonly apiKey: string;
  /** What `npm run playground` printed, the bot's own log lines included. */
  output(): string;
  /** The Playground's log file: every activity and connector call, in full. */
  playgroundLog(): string;
  /** Connections any node process tried beyond this machine (refused by the guard). */
  outboundAttempts(): string[];
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startLocalPlayground(): Promise<LocalPlayground> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hwc-e2e-'));
  const logFile = path.join(dir, 'm365agentsplayground.log');
  const outboundFile = path.join(dir, 'outbound.jsonl');
  const guard = path.join(__dirname, 'outbound-guard.cjs');
  const [botPort, playgroundPort] = [await freePort(), await freePort()];
  const apiKey = `e2e-${randomBytes(12).toString('hex')}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PLAYGROUND_BOT_PORT: String(botPort),
    PLAYGROUND_PORT: String(playgroundPort),
    INTAKE_API_KEYS: apiKey,
    M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
    HWC_OUTBOUND_LOG: outboundFile,
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
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const gone = exited(child);

  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      // The script forwards the signal to the bot and the Playground, and waits for both.
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }, STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(timer);
    }
    // The Playground's log holds every card in full: it goes with the run.
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let pageUrl: string | undefined;
  while (!pageUrl) {
    pageUrl = /\[playground\] Agents Playground: (http:\/\/\S+)/.exec(output)?.[1];
    if (pageUrl) break;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const why = Date.now() > deadline ? `did not get ready in ${START_TIMEOUT_MS / 1000} s` : 'exited';
      const log = readIfThere(logFile);
      await stop();
      throw new Error(`npm run playground ${why}. Its output:\n${output}\nThe Playground's log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    pageUrl,
    botUrl: `http://localhost:${botPort}`,
    apiKey,
    output: () => output,
    playgroundLog: () => readIfThere(logFile),
    outboundAttempts: () => readIfThere(outboundFile).split('\n').filter(Boolean),
    stop,
  };
}
