/**
 * `npm run playground`: the bot in local mode plus the Microsoft 365 Agents Playground.
 *
 * 1. Starts the bot (`tsx scripts/playground-bot.ts`: src/index.ts's app with the demo mailbox of
 *    src/mail/local-mailbox.ts; or BOT_COMMAND) with NODE_ENV=development, no app id,
 *    PORT=3978, and unless set in the caller's environment: SCHOOLS_FILE=config/demo-schools.yaml,
 *    TEAMS_SERVICE_URL=the Playground's connector, MicrosoftAppTenantId=the Playground's tenant
 *    and INTAKE_API_KEYS=a demo key; all on top of .env.sample (if present) and the caller's env.
 * 2. Waits until http://127.0.0.1:3978/healthz answers 200 (at most 60 s).
 * 3. Starts `agentsplayground` on port 56150 against http://localhost:3978/api/messages, with
 *    no browser (unless TEAMSAPPTESTER_BROWSER is set), no telemetry, and its events recording on
 *    (every activity and connector call, which `npm run playground:walkthrough -- --colleagues-only`
 *    reads to find the colleague cards sent before it started).
 * 4. Prints the page URL and, for each demo school (config/demo-schools.yaml: one talk-first, one
 *    teacher-first), a curl that posts its demo signal, and how to drop a demo mail into the demo
 *    mailbox (`npm run playground:mail -- config/demo-mail-politie.txt`; the bot serves that drop
 *    point on 127.0.0.1 and writes where to the run's temporary folder, scripts/playground-mailbox.ts).
 * Ctrl+C (SIGINT) or SIGTERM is forwarded to both; when either child exits, the other is stopped
 * and this script exits with the first one's exit code.
 *
 * BOT_COMMAND: whitespace-separated command line (no shell quoting), resolved against
 * node_modules/.bin first. PLAYGROUND_BOT_PORT and PLAYGROUND_PORT replace 3978 and 56150 (the
 * end-to-end suite runs beside a developer's own Playground; the walkthrough reads them too).
 * The Playground's log and events recording go to a temporary folder, deleted on exit, unless
 * M365_AGENTS_PLAYGROUND_LOGFILE or M365_AGENTS_PLAYGROUND_RECORDING_FILE say otherwise. Only node
 * built-ins are used here (and scripts/demo-pupil.ts, scripts/playground-settings.ts,
 * scripts/playground-mailbox.ts).
 * See docs/playground-notes.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { constants as osConstants, tmpdir } from 'node:os';
import { DEMO_SIGNALS } from './demo-pupil';
import { MAIL_DROP_FILE, MAIL_DROP_FILE_ENV } from './playground-mailbox';
import {
  DEFAULT_PLAYGROUND_PORT,
  playgroundPorts,
  RECORDING_FILE,
  runFolderPrefix,
} from './playground-settings';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'node_modules', '.bin');
/** The ports from the environment (the end-to-end suite must not take a developer's ports). */
function ports(): { botPort: number; playgroundPort: number } {
  try {
    return playgroundPorts();
  } catch (error) {
    console.error(`[playground] ${(error as Error).message}`);
    process.exit(1);
  }
}
const { botPort: BOT_PORT, playgroundPort: PLAYGROUND_PORT } = ports();
const HEALTH_URL = `http://127.0.0.1:${BOT_PORT}/healthz`;
const CONNECTOR_URL = `http://localhost:${PLAYGROUND_PORT}/_connector`;
const PLAYGROUND_CONFIG = path.join(ROOT, '.m365agentsplayground.yml');
const HEALTH_TIMEOUT_MS = 60_000;
// Longer than the bot's default SHUTDOWN_GRACE_MS (10 s), then SIGKILL.
const STOP_GRACE_MS = 12_000;
// The product's app (src/index.ts) with the demo mailbox and its drop point; see that script.
const DEFAULT_BOT_COMMAND = 'tsx scripts/playground-bot.ts';
const DEFAULT_API_KEY = 'local-demo-key-0123456789';

type Env = Record<string, string | undefined>;

/** KEY=VALUE lines of a dotenv file; comments, blank lines and `export ` prefixes are allowed. */
function readDotenv(file: string): Env {
  const env: Env = {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return env;
  }
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2] ?? '';
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? '';
    else value = value.replace(/\s+#.*$/, '');
    env[match[1] as string] = value;
  }
  return env;
}

/** The key part of the first INTAKE_API_KEYS entry ('key' or 'key:school-a|school-b'). */
function firstApiKey(raw: string | undefined): string | undefined {
  const entry = raw?.split(',')[0]?.trim();
  if (!entry) return undefined;
  const colon = entry.indexOf(':');
  return colon < 0 ? entry : entry.slice(0, colon);
}

/** The mock tenant of the Playground (top-level `tenantId:` of its config), if it is a GUID. */
function playgroundTenantId(): string | undefined {
  if (!existsSync(PLAYGROUND_CONFIG)) return undefined;
  try {
    const match = /^tenantId:\s*['"]?([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})['"]?\s*$/m.exec(
      readFileSync(PLAYGROUND_CONFIG, 'utf8'),
    );
    return match?.[1];
  } catch {
    return undefined;
  }
}

function withBinOnPath(env: Env): Env {
  const current = env.PATH ?? env.Path ?? '';
  return { ...env, PATH: current ? `${BIN}${path.delimiter}${current}` : BIN };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

function healthOk(): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(HEALTH_URL, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Child {
  name: string;
  proc: ChildProcess;
  exited: boolean;
}

const children: Child[] = [];
let finishing = false;

function start(name: string, command: string, args: string[], env: Env, pipeStdout = false): Child {
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    // Own process group, so a signal reaches tsx's grandchild too and Ctrl+C is ours to forward.
    detached: process.platform !== 'win32',
    stdio: ['ignore', pipeStdout ? 'pipe' : 'inherit', 'inherit'],
  });
  const child: Child = { name, proc, exited: false };
  children.push(child);
  proc.on('error', (err) => {
    console.error(`[playground] could not start ${name} (${command}): ${err.message}`);
    onChildExit(child, 127);
  });
  proc.on('exit', (code, signal) => {
    const signalNumber = signal ? (osConstants.signals[signal] ?? 0) : 0;
    onChildExit(child, code ?? (signal ? 128 + signalNumber : 1), signal ?? undefined);
  });
  return child;
}

function signalChild(child: Child, signal: NodeJS.Signals): void {
  if (child.exited || child.proc.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.proc.kill(signal);
    else process.kill(-child.proc.pid, signal);
  } catch {
    // Already gone.
  }
}

function stopAll(signal: NodeJS.Signals): void {
  for (const child of children) signalChild(child, signal);
  setTimeout(() => {
    for (const child of children) signalChild(child, 'SIGKILL');
  }, STOP_GRACE_MS).unref();
}

let exitCode: number | undefined;

// The Playground logs and records every card it is sent, the pupil's view included, so its log
// and events recording are kept in a temporary folder for this run only and deleted on exit:
// nothing of a signal stays behind. The folder's name tells the walkthrough which run it is.
const ownDir = mkdtempSync(path.join(tmpdir(), runFolderPrefix(PLAYGROUND_PORT)));
const PLAYGROUND_LOG =
  process.env.M365_AGENTS_PLAYGROUND_LOGFILE || path.join(ownDir, 'm365agentsplayground.log');
const PLAYGROUND_RECORDING =
  process.env.M365_AGENTS_PLAYGROUND_RECORDING_FILE || path.join(ownDir, RECORDING_FILE);
process.on('exit', () => rmSync(ownDir, { recursive: true, force: true }));

function onChildExit(child: Child, code: number, signal?: string): void {
  if (child.exited) return;
  child.exited = true;
  if (exitCode === undefined) {
    exitCode = code;
    if (!finishing) {
      console.error(`[playground] ${child.name} exited (${signal ?? `code ${code}`}); stopping the rest.`);
    }
    finishing = true;
    stopAll('SIGTERM');
  }
  if (children.every((c) => c.exited)) process.exit(exitCode);
}

function finish(code: number): void {
  if (exitCode === undefined) exitCode = code;
  finishing = true;
  stopAll('SIGTERM');
  if (children.every((c) => c.exited)) process.exit(exitCode);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!finishing) console.error(`[playground] ${signal}: stopping the bot and the Playground...`);
    finishing = true;
    for (const child of children) signalChild(child, signal);
    setTimeout(() => stopAll('SIGKILL'), STOP_GRACE_MS).unref();
  });
}

function printReady(pageUrl: string, apiKey: string): void {
  const curl = (signal: object) => [
    `  curl -i -X POST http://localhost:${BOT_PORT}/api/signals \\`,
    "    -H 'Content-Type: application/json' \\",
    `    -H 'X-API-Key: ${apiKey}' \\`,
    `    -d '${JSON.stringify(signal)}'`,
  ];
  console.log(
    [
      '',
      `[playground] Agents Playground: ${pageUrl}`,
      `[playground] Bot:               http://localhost:${BOT_PORT}/api/messages (health: ${HEALTH_URL})`,
      '[playground] Post a demo signal (invented pupil) to the talk-first school (Basisschool De Demo) with:',
      '',
      ...curl(DEMO_SIGNALS['talk-first']),
      '',
      '[playground] or to the teacher-first school (Basisschool De Tweede Demo) with:',
      '',
      ...curl(DEMO_SIGNALS['teacher-first']),
      '',
      "[playground] Or type 'nieuw signaal' in the page and pick the school.",
      '[playground] Or mail a signal to the demo mailbox of Basisschool De Demo (an invented pupil):',
      '',
      `  ${PLAYGROUND_PORT === DEFAULT_PLAYGROUND_PORT ? '' : `PLAYGROUND_PORT=${PLAYGROUND_PORT} `}npm run playground:mail -- config/demo-mail-politie.txt`,
      '',
      ...(
        [
          ['log', PLAYGROUND_LOG],
          ['events recording', PLAYGROUND_RECORDING],
        ] as const
      ).map(
        ([what, file]) =>
          `[playground] The Playground's ${what}: ${file} ` +
          (path.dirname(file) === ownDir ? '(deleted when it stops)' : '(your setting: not deleted)'),
      ),
      '[playground] Ctrl+C stops both.',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const envSample = readDotenv(path.join(ROOT, '.env.sample'));
  const baseEnv: Env = { ...envSample, ...process.env };
  const apiKeys = baseEnv.INTAKE_API_KEYS?.trim() ? baseEnv.INTAKE_API_KEYS : DEFAULT_API_KEY;
  const apiKey = firstApiKey(apiKeys) ?? DEFAULT_API_KEY;

  for (const [port, what] of [
    [BOT_PORT, 'the bot'],
    [PLAYGROUND_PORT, 'the Agents Playground'],
  ] as const) {
    if (!(await portIsFree(port))) {
      console.error(
        `[playground] Port ${port} (for ${what}) is already in use. Stop whatever runs there first.`,
      );
      process.exit(1);
    }
  }

  const botEnv = withBinOnPath({
    ...baseEnv,
    NODE_ENV: 'development',
    MicrosoftAppId: '',
    MicrosoftAppPassword: '',
    SCHOOLS_FILE: process.env.SCHOOLS_FILE ?? 'config/demo-schools.yaml',
    PORT: String(BOT_PORT),
    // Where the bot opens 1:1 chats before it has seen an activity (the sample's value is Teams').
    TEAMS_SERVICE_URL: process.env.TEAMS_SERVICE_URL ?? CONNECTOR_URL,
    // Activities from the Playground carry its mock tenant; the bot refuses any other tenant.
    MicrosoftAppTenantId: process.env.MicrosoftAppTenantId ?? playgroundTenantId() ?? '',
    INTAKE_API_KEYS: apiKeys,
    // Where scripts/playground-bot.ts says on which port its demo mailbox takes mail.
    [MAIL_DROP_FILE_ENV]: path.join(ownDir, MAIL_DROP_FILE),
  });
  const botCommand = (process.env.BOT_COMMAND?.trim() || DEFAULT_BOT_COMMAND).split(/\s+/);
  const [botExe, ...botArgs] = botCommand as [string, ...string[]];
  console.log(
    `[playground] Starting the bot: ${botCommand.join(' ')} ` +
      `(SCHOOLS_FILE=${botEnv.SCHOOLS_FILE}, TEAMS_SERVICE_URL=${botEnv.TEAMS_SERVICE_URL})`,
  );
  const bot = start('the bot', botExe, botArgs, botEnv);

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (!(await healthOk())) {
    if (bot.exited || finishing) return;
    if (Date.now() > deadline) {
      console.error(
        `[playground] The bot did not answer 200 on ${HEALTH_URL} within ${HEALTH_TIMEOUT_MS / 1000} s. ` +
          'Check its output above (does it start and serve GET /healthz?).',
      );
      finish(1);
      return;
    }
    await sleep(500);
  }
  if (finishing) return;
  console.log('[playground] The bot is healthy. Starting the Agents Playground...');

  const playgroundEnv: Env = {
    ...process.env,
    TEAMSAPPTESTER_BROWSER: process.env.TEAMSAPPTESTER_BROWSER ?? 'none',
    APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
    M365_AGENTS_PLAYGROUND_LOGFILE: PLAYGROUND_LOG,
    M365_AGENTS_PLAYGROUND_RECORDING_FILE: PLAYGROUND_RECORDING,
  };
  // These would make the Playground fetch tokens from and validate against login.microsoftonline.com.
  delete playgroundEnv.AUTH_CLIENT_ID;
  delete playgroundEnv.AUTH_CLIENT_SECRET;
  delete playgroundEnv.AUTH_TENANT_ID;
  const playground = start(
    'the Agents Playground',
    path.join(BIN, process.platform === 'win32' ? 'agentsplayground.cmd' : 'agentsplayground'),
    [
      '-e',
      `http://localhost:${BOT_PORT}/api/messages`,
      '-c',
      'msteams',
      '--dt',
      '--enable-events-recording',
      '-p',
      String(PLAYGROUND_PORT),
    ],
    playgroundEnv,
    true,
  );
  // With stdout not a TTY the Playground writes only 'Listening on <port>' there (the rest goes
  // to its log file).
  let buffered = '';
  let announced = false;
  playground.proc.stdout?.setEncoding('utf8');
  playground.proc.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === '') continue;
      const listening = /^Listening on (\d+)$/.exec(line);
      if (listening && !announced) {
        announced = true;
        const port = Number(listening[1]);
        if (port !== PLAYGROUND_PORT) {
          // The bot's TEAMS_SERVICE_URL points at the port asked for, so chats it opens would fail.
          console.error(
            `[playground] The Playground took port ${port}, not ${PLAYGROUND_PORT}: is it in use?`,
          );
          finish(1);
          return;
        }
        printReady(`http://localhost:${port}`, apiKey);
      } else {
        console.log(`[agentsplayground] ${line}`);
      }
    }
  });
}

main().catch((err: unknown) => {
  console.error('[playground] failed:', err);
  finish(1);
});
