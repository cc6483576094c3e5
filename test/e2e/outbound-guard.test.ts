import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const guard = path.join(__dirname, 'support', 'outbound-guard.cjs');

/** Runs `script` in a plain node with the guard preloaded, as the end-to-end suite runs the Playground. */
function runGuarded(script: string, log: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script],
      {
        env: { ...process.env, NODE_OPTIONS: `--require "${guard}"`, HWC_OUTBOUND_LOG: log },
        timeout: 20_000,
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

describe('the end-to-end suite’s outbound guard', function () {
  this.timeout(30_000);
  let dir: string;
  let server: http.Server;
  let port: number;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-guard-'));
    server = http.createServer((_req, res) => res.end('local'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses and records a connection beyond this machine, and lets localhost through', async () => {
    const log = path.join(dir, 'outbound.jsonl');
    const out = await runGuarded(
      `(async () => {
        const local = await fetch('http://localhost:${port}/').then((r) => r.text());
        const remote = await fetch('https://192.0.2.10/telemetry').then(() => 'connected', (e) => e.cause?.code);
        const raw = await new Promise((resolve) => {
          const socket = require('node:net').connect(443, '198.51.100.7');
          socket.on('connect', () => resolve('connected'));
          socket.on('error', (e) => resolve(e.code));
        });
        console.log(JSON.stringify({ local, remote, raw }));
      })();`,
      log,
    );
    assert.deepEqual(JSON.parse(out), { local: 'local', remote: 'ECONNREFUSED', raw: 'ECONNREFUSED' });
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { guarded?: string; host?: string; port?: number });
    assert.equal(lines.filter((line) => line.guarded !== undefined).length, 1, 'one guarded process');
    assert.deepEqual(
      lines.filter((line) => line.host !== undefined).map(({ host, port: p }) => `${host}:${p}`),
      ['192.0.2.10:443', '198.51.100.7:443'],
    );
  });
});
