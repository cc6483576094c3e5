import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { unzipSync } from 'fflate';
import { bundle, BUNDLE_NAME, type BundleResult } from '../../scripts/bundle';

const root = path.resolve(__dirname, '..', '..');

interface CentralEntry {
  name: string;
  /** The "version made by" host: 3 is Unix. */
  os: number;
  /** st_mode as stored in the high half of the external attributes. */
  mode: number;
}

/** The zip's central directory, in its order: what unzip tools and App Service's mount read. */
function centralDirectory(zip: Buffer): CentralEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'the zip has no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `central directory entry ${i} is malformed`);
    const nameLength = zip.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      os: zip.readUInt8(at + 5),
      mode: zip.readUInt32LE(at + 38) >>> 16,
    });
    at = next;
  }
  return entries;
}

/** The package a file of node_modules/ belongs to: its innermost node_modules/<name> folder. */
function ownerOf(name: string): string | undefined {
  return /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(name)?.[1];
}

interface RunningBot {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/src/index.js` in `cwd` and waits for its "started" log line, which names its URL. */
function startBot(cwd: string, env: Record<string, string>): Promise<RunningBot> {
  const child = spawn(process.execPath, ['dist/src/index.js'], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the bot did not start within 60 s\n${output()}`)),
      60_000,
    );
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited before it listened (code ${code}, signal ${signal})\n${output()}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      for (const line of stdout.split('\n')) {
        if (!line.includes('Handle with Care bot started')) continue;
        const { url } = JSON.parse(line) as { url?: string };
        if (typeof url !== 'string') continue;
        clearTimeout(timer);
        resolve({ child, url, output, exited });
      }
    });
  });
}

describe('npm run bundle (the App Service package)', function () {
  // tsc alone takes about 20 s on two cores; zipping about 5 s more.
  this.timeout(300_000);

  const temp: string[] = [];
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    temp.push(dir);
    return dir;
  };
  let result: BundleResult;
  let zip: Buffer;
  let entries: CentralEntry[];
  let bot: RunningBot | undefined;

  before(async () => {
    const outFile = path.join(tempDir('hwc-bundle-out-'), BUNDLE_NAME);
    const started = performance.now();
    result = await bundle({ root, outFile });
    zip = readFileSync(result.outFile);
    entries = centralDirectory(zip);
    process.stdout.write(
      `      bundle: ${(zip.length / 1024 / 1024).toFixed(1)} MB, ${entries.length} files, ` +
        `${result.packages} packages, ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });

  after(async () => {
    if (bot && bot.child.exitCode === null && bot.child.signalCode === null) {
      bot.child.kill('SIGKILL');
      await bot.exited;
    }
    for (const dir of temp) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the built app, the card templates, a trimmed package.json and the production dependencies', () => {
    const names = new Set(entries.map((e) => e.name));
    for (const needed of [
      'dist/src/index.js',
      'cards/shell.json',
      'package.json',
      'node_modules/botbuilder/package.json',
    ]) {
      assert.ok(names.has(needed), `${needed} is missing`);
    }
    assert.equal(result.files, entries.length);

    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    const trimmed = JSON.parse(
      Buffer.from(
        unzipSync(zip, { filter: (f) => f.name === 'package.json' })['package.json'] ?? [],
      ).toString('utf8'),
    ) as Record<string, unknown>;
    assert.equal(trimmed.name, pkg.name);
    assert.equal(trimmed.version, pkg.version);
    assert.equal(trimmed.main, 'dist/src/index.js');
    assert.deepEqual(trimmed.engines, pkg.engines);
    assert.equal(trimmed.scripts, undefined);
    assert.equal(trimmed.devDependencies, undefined);
  });

  it('holds no tests, sources, settings, config, docs or development tools', () => {
    const forbidden = [
      'test/',
      'src/',
      'scripts/',
      'bench/',
      'docs/',
      'config/',
      'manifest/',
      'node_modules/.bin/',
      ...[
        'mocha',
        'typescript',
        'tsx',
        'sinon',
        'eslint',
        'prettier',
        'playwright-core',
        'fflate',
        '@microsoft/m365agentsplayground',
      ].map((name) => `node_modules/${name}/`),
    ];
    for (const { name } of entries) {
      assert.ok(!forbidden.some((prefix) => name.startsWith(prefix)), `${name} must not be in the bundle`);
      assert.ok(!/(^|\/)\.env(\.|$)/.test(name), `${name}: no settings file in the bundle`);
      assert.ok(!/\.(?:[cm]?ts|map)$/.test(name), `${name}: no TypeScript or source maps in the bundle`);
    }
    for (const rootFile of ['package-lock.json', 'tsconfig.json', 'README.md', '.env.sample']) {
      assert.ok(!entries.some((e) => e.name === rootFile), `${rootFile} must not be in the bundle`);
    }
  });

  it('copies exactly the packages `npm ls --omit=dev` names, in their nested places, and no dev-only one', () => {
    const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const owners = new Set<string>();
    for (const { name } of entries) {
      if (!name.startsWith('node_modules/')) continue;
      const owner = ownerOf(name);
      assert.ok(
        owner !== undefined && owner in lock.packages,
        `${name} belongs to no package of the lockfile`,
      );
      assert.ok(!lock.packages[owner]?.dev, `${owner} is a development dependency only`);
      owners.add(owner);
    }
    const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(ls.status, 0, `npm ls failed:\n${ls.stderr}`);
    const listed = ls.stdout
      .split('\n')
      .filter((line) => line.startsWith(root + path.sep))
      .map((line) => path.relative(root, line).split(path.sep).join('/'));
    assert.deepEqual([...owners].sort(), [...new Set(listed)].sort());
    assert.equal(owners.size, result.packages);
  });

  it('lists its entries in byte order with Unix modes 0644 or 0755, so the same inputs give the same zip', () => {
    const names = entries.map((e) => e.name);
    assert.deepEqual(
      names,
      [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    for (const { name, os, mode } of entries) {
      assert.equal(os, 3, `${name} is not stored as a Unix file`);
      assert.ok(mode === 0o100644 || mode === 0o100755, `${name} has mode ${mode.toString(8)}`);
    }
    const modeOf = (name: string) => entries.find((e) => e.name === name)?.mode;
    assert.equal(modeOf('dist/src/index.js'), 0o100644);
    assert.equal(modeOf('cards/shell.json'), 0o100644);
  });

  it('starts from the unpacked zip with only its settings, is healthy and ready, and stops cleanly on SIGTERM', async () => {
    const appDir = tempDir('hwc-bundle-app-');
    assert.deepEqual(readdirSync(appDir), []);
    const modes = new Map(entries.map((e) => [e.name, e.mode & 0o777]));
    for (const [name, data] of Object.entries(unzipSync(zip))) {
      const file = path.join(appDir, ...name.split('/'));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, data, { mode: modes.get(name) ?? 0o644 });
    }

    // The schools file lives outside the package (on the Azure Files mount in production).
    const schoolsFile = path.join(tempDir('hwc-bundle-config-'), 'schools.yaml');
    writeFileSync(
      schoolsFile,
      [
        'schools:',
        '  - id: bundle-school',
        '    name: Basisschool De Bundel',
        "    lessonStart: '08:30'",
        "    dayEnd: '15:00'",
        '    coordinators:',
        '      - id: 6f1c0a4e-1d2b-4c3d-8e9f-0a1b2c3d4e5f',
        '        name: Coördinator Bundel',
        '',
      ].join('\n'),
    );

    const started = performance.now();
    bot = await startBot(appDir, {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? appDir,
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      SCHOOLS_FILE: schoolsFile,
      INTAKE_API_KEYS: 'bundle-test-key-0123456789',
      SHUTDOWN_GRACE_MS: '500',
    });
    const startMs = performance.now() - started;

    const health = await fetch(`${bot.url}/healthz`);
    assert.equal(health.status, 200, bot.output());
    const ready = await fetch(`${bot.url}/readyz`);
    assert.equal(ready.status, 200, bot.output());
    assert.equal(((await ready.json()) as { status?: string }).status, 'ready');

    const stopping = performance.now();
    bot.child.kill('SIGTERM');
    const exit = await bot.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, bot.output());
    assert.match(bot.output(), /shutting down/);
    process.stdout.write(
      `      started in ${(startMs / 1000).toFixed(1)} s, stopped in ${((performance.now() - stopping) / 1000).toFixed(1)} s\n`,
    );
  });
});
