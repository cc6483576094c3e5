import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeBotConnector } from '../support/fake-bot-connector';
import { posting, waitFor } from '../support/flow-checks';
import { freePort, testRedis } from '../support/redis';

const demoSchools = path.resolve('config/demo-schools.yaml');

// tsx's loader inside this node process, not its CLI: the CLI runs the bot in a child of its own,
// which a SIGKILL of the CLI would leave running.
const tsxLoader = require.resolve('tsx/cjs');

function runBot(env: Record<string, string>): {
  exit: Promise<number | null>;
  output: () => string;
  kill: (s: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, ['--require', tsxLoader, path.resolve('src/index.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Away from the repository, so a developer's .env does not change the outcome.
    cwd: tmpdir(),
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { exit, output: () => output, kill: (s) => child.kill(s) };
}

describe('the bot process', function () {
  this.timeout(30_000);

  it('stops cleanly on SIGTERM, saying that open cases are forgotten', async () => {
    const bot = runBot({
      SCHOOLS_FILE: demoSchools,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
    });
    await waitFor(() => bot.output().includes('Handle with Care bot started'), 20_000);
    bot.kill('SIGTERM');
    assert.equal(await bot.exit, 0);
    assert.match(bot.output(), /open cases are forgotten \(no Redis\)/);
  });

  it('refuses to start, naming the setting, when a setting is wrong', async () => {
    const bot = runBot({ SCHOOLS_FILE: demoSchools, PORT: 'x', NODE_ENV: 'test' });
    assert.equal(await bot.exit, 1);
    assert.match(bot.output(), /PORT:/);
  });

  it('refuses to start in production without Redis, unless CASE_STORE=memory says so, and then warns', async () => {
    const production = {
      SCHOOLS_FILE: demoSchools,
      NODE_ENV: 'production',
      PORT: '0',
      MicrosoftAppId: '11111111-2222-4333-8444-555555555555',
      MicrosoftAppPassword: 'not-a-real-secret',
      MicrosoftAppTenantId: '66666666-7777-4888-9999-000000000000',
    };
    const refused = runBot(production);
    assert.equal(await refused.exit, 1);
    assert.match(refused.output(), /REDIS_URL: is required when NODE_ENV=production/);
    const memory = runBot({ ...production, CASE_STORE: 'memory' });
    await waitFor(() => memory.output().includes('Handle with Care bot started'), 20_000);
    assert.match(
      memory.output(),
      /CASE_STORE=memory: open signals live in this process only; a restart or deploy loses every open signal/,
    );
    memory.kill('SIGTERM');
    await memory.exit;
  });

  it('keeps a signal it accepted through SIGKILL, with Redis: after the restart the coordinator sees it and claims it', async () => {
    const redis = await testRedis();
    const coordinator = { id: '52e9025d-9114-4794-b9c1-1fadbb524288', name: 'Ineke Dorrestijn' };
    const connector = new FakeBotConnector({
      members: [{ aadObjectId: coordinator.id, name: coordinator.name }],
    });
    await connector.start();
    const port = String(await freePort());
    const env = {
      SCHOOLS_FILE: demoSchools,
      PORT: port,
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      BOT_LANGUAGE: 'nl',
      INTAKE_API_KEYS: 'restart-test-key-0123456789',
      TEAMS_SERVICE_URL: connector.url,
      ...redis.appEnv,
    };
    const invoke = async (verb: string, caseId: string) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          type: 'invoke',
          name: 'adaptiveCard/action',
          id: `invoke-${verb}`,
          channelId: 'msteams',
          serviceUrl: connector.url,
          from: { id: `29:${coordinator.id}`, aadObjectId: coordinator.id, name: coordinator.name },
          recipient: { id: '28:hwc-test-bot', name: 'Handle with Care' },
          conversation: { id: `a:personal-${coordinator.id}`, conversationType: 'personal' },
          locale: 'nl-NL',
          value: { action: { type: 'Action.Execute', verb, data: { caseId } }, trigger: 'manual' },
        }),
      });
      return { status: res.status, text: await res.text() };
    };
    try {
      const first = runBot(env);
      await waitFor(() => first.output().includes('Handle with Care bot started'), 20_000);
      const res = await fetch(`http://127.0.0.1:${port}/api/signals`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-API-Key': env.INTAKE_API_KEYS },
        body: JSON.stringify({
          schoolId: 'demo-school',
          pupil: { name: 'Jorinde Valkenhof', birthDate: '2016-05-03' },
          source: 'police',
        }),
      });
      assert.equal(res.status, 201, await res.text());
      const card = connector.activities.find((a) => posting.has(a.kind));
      const caseId = /"caseId":"([0-9a-f-]{36})"/.exec(JSON.stringify(card?.body))?.[1];
      assert.ok(caseId, 'the coordinator got a card');
      first.kill('SIGKILL');
      await first.exit;

      const second = runBot(env);
      await waitFor(() => second.output().includes('Handle with Care bot started'), 20_000);
      const view = await invoke('case.view', caseId);
      assert.equal(view.status, 200);
      assert.match(view.text, /Jorinde Valkenhof/, 'the restarted bot shows the pupil');
      const claim = await invoke('case.claim', caseId);
      assert.match(claim.text, /Jij hebt dit signaal opgepakt/);
      second.kill('SIGTERM');
      assert.equal(await second.exit, 0);
      assert.match(second.output(), /open cases stay in Redis/);
    } finally {
      await connector.stop();
      await redis.cleanup();
    }
  });

  it('refuses to start in production without a MicrosoftAppId', async () => {
    const bot = runBot({ SCHOOLS_FILE: demoSchools, NODE_ENV: 'production' });
    assert.equal(await bot.exit, 1);
    assert.match(bot.output(), /MicrosoftAppId: is required when NODE_ENV=production/);
  });
});
