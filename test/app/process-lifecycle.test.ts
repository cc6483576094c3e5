import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from '../support/flow-checks';

const demoSchools = path.resolve('config/demo-schools.yaml');

const tsxCli = require.resolve('tsx/cli');

function runBot(env: Record<string, string>): {
  exit: Promise<number | null>;
  output: () => string;
  kill: (s: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, [tsxCli, path.resolve('src/index.ts')], {
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

  it('refuses to start in production without a MicrosoftAppId', async () => {
    const bot = runBot({ SCHOOLS_FILE: demoSchools, NODE_ENV: 'production' });
    assert.equal(await bot.exit, 1);
    assert.match(bot.output(), /MicrosoftAppId: is required when NODE_ENV=production/);
  });
});
