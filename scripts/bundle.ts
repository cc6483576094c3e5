/**
 * Builds the App Service package: `npm run bundle`.
 *
 * Writes build/handle-with-care-bot.zip for Azure App Service zip deploy with
 * WEBSITE_RUN_FROM_PACKAGE=1: App Service mounts the zip read-only as the site's folder and starts
 * `node dist/src/index.js` in it. Nothing is built or installed there (leave
 * SCM_DO_BUILD_DURING_DEPLOYMENT off), so the zip holds everything the bot runs with:
 *
 *   dist/          the code, compiled by `tsc -p tsconfig.build.json` into a fresh temporary folder,
 *                  so no stale file of an older build in the repo's dist/ can slip in; no source maps
 *                  (the start command does not enable them, and they would double the code's size)
 *   cards/         the Adaptive Card templates, found at run time by walking up from dist/src/cards
 *   package.json   a trimmed copy: name, version, engines, main and the dependencies, no scripts
 *   node_modules/  the production dependencies only, in exactly the nested layout npm installed them
 *
 * The production dependencies are the packages package-lock.json does not mark `dev`, copied from the
 * installed node_modules (the same set as `npm ls --omit=dev --all`, which the test checks). Nothing is
 * downloaded, so CI without network builds the same bundle from the same lockfile; the script refuses
 * when the lockfile does not match package.json or node_modules does not match the lockfile (run
 * `npm ci`). An optional dependency that is not installed (another platform's binary) is left out,
 * as npm left it out. Native code (dtrace-provider, an optional dependency of restify that works
 * without its binary) is as built on this machine: build the bundle on Linux x64, like App Service.
 * From those packages the files nothing loads at run time are left out: source maps, TypeScript
 * sources and declarations, and Markdown other than licence texts.
 *
 * Not in the package, on purpose: the schools file and the roster exports it names. They live on the
 * Azure Files mount of the App Service (SCHOOLS_FILE=/mounts/config/schools.yaml, set up by the Bicep
 * template), so a school's staff changes without a deploy, and no school's data is in a build
 * artefact. Nor are the settings: no .env (the app reads one only when it sits in the working
 * directory); they are App Service app settings. No tests, bench, scripts, docs, config or demo files.
 *
 * The zip is reproducible: entries in byte order of their paths, one fixed timestamp, Unix modes
 * 0644 (0755 where the installed file is executable). Beside it, build/bundle-manifest.txt lists
 * the zip's SHA-256 and every package with its version, to compare two releases.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { zipSync, type Zippable } from 'fflate';

export const BUNDLE_NAME = 'handle-with-care-bot.zip';
export const MANIFEST_NAME = 'bundle-manifest.txt';

export interface BundleOptions {
  /** The repository root: package.json, package-lock.json, node_modules, cards, tsconfig.build.json. */
  root: string;
  /** Where the zip goes; the manifest is written beside it. */
  outFile: string;
  log?: (line: string) => void;
}

export interface BundleResult {
  outFile: string;
  manifestFile: string;
  bytes: number;
  files: number;
  /** Installed package folders copied into node_modules/. */
  packages: number;
  /** Files of those packages left out as not needed at run time. */
  prunedFiles: number;
  sha256: string;
  ms: number;
}

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

interface PackageJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  private?: boolean;
  type?: string;
  engines?: Record<string, string>;
  main?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface ProdPackage {
  /** Path inside the package, e.g. node_modules/botbuilder/node_modules/zod. */
  location: string;
  version: string;
}

interface FileEntry {
  data: Uint8Array;
  mode: number;
}

// A local-time date: fflate writes DOS times from local fields, so any time zone yields the same bytes.
const FIXED_MTIME = new Date(2020, 0, 1, 0, 0, 0);
// Zip without the Zip64 extension, which fflate does not write.
const MAX_ENTRIES = 0xffff;
const MAX_BYTES = 0xffffffff;

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function sameSpecs(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * The production packages: lockfile entries not marked `dev` (a `devOptional` one is also an
 * optional dependency of a production package, so it stays, as with `npm install --omit=dev`),
 * checked against what is installed. Sorted by location.
 */
export function productionPackages(root: string): ProdPackage[] {
  const pkg = readJson<PackageJson>(path.join(root, 'package.json'));
  const lock = readJson<{ lockfileVersion?: number; packages?: Record<string, LockEntry> }>(
    path.join(root, 'package-lock.json'),
  );
  if (!lock.packages || (lock.lockfileVersion ?? 1) < 2) {
    throw new Error('package-lock.json has no "packages" section (lockfileVersion 2 or later is needed)');
  }
  const rootEntry = lock.packages[''] ?? {};
  if (
    !sameSpecs(pkg.dependencies, rootEntry.dependencies) ||
    !sameSpecs(pkg.optionalDependencies, rootEntry.optionalDependencies)
  ) {
    throw new Error(
      'package-lock.json does not match the dependencies in package.json: run `npm install` and commit the lockfile',
    );
  }
  const problems: string[] = [];
  const packages: ProdPackage[] = [];
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (location === '' || entry.dev) continue;
    if (entry.link) {
      problems.push(`${location} is a link (a workspace?); the bundle copies installed packages only`);
      continue;
    }
    const manifest = path.join(root, location, 'package.json');
    if (!existsSync(manifest)) {
      if (!entry.optional) problems.push(`${location} is not installed`);
      continue;
    }
    const installed = readJson<{ version?: string }>(manifest).version;
    if (entry.version !== undefined && installed !== entry.version) {
      problems.push(`${location} is ${installed ?? 'without a version'}, the lockfile says ${entry.version}`);
      continue;
    }
    packages.push({ location, version: installed ?? '' });
  }
  if (problems.length > 0) {
    throw new Error(
      `node_modules does not match package-lock.json (run \`npm ci\`):\n  ${problems.join('\n  ')}`,
    );
  }
  return packages.sort((a, b) => compareBytes(a.location, b.location));
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

const LICENCE_TEXT = /^(?:licen[cs]e|copying|notice)/i;
// Not loaded by Node at run time: source maps (unless --enable-source-maps), TypeScript sources and
// declarations, and documentation.
const NOT_RUN = /\.(?:map|[cm]?ts|md|markdown)$/i;

/** Whether a file of an installed package is left out of the bundle. */
export function isPrunedDependencyFile(name: string): boolean {
  return NOT_RUN.test(name) && !LICENCE_TEXT.test(name);
}

function modeOf(stat: { mode: number }): number {
  return stat.mode & 0o111 ? 0o755 : 0o644;
}

/**
 * Adds the files under `dir` as `prefix/…`. `skipTopNodeModules`: a package's own node_modules
 * holds packages of their own, each copied (or not) by its lockfile entry.
 */
function addTree(
  files: Map<string, FileEntry>,
  dir: string,
  prefix: string,
  options: { skipTopNodeModules: boolean; prune: (name: string) => boolean },
): { pruned: number } {
  let pruned = 0;
  const walk = (abs: string, rel: string, top: boolean): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const childAbs = path.join(abs, entry.name);
      const childRel = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!(top && options.skipTopNodeModules && entry.name === 'node_modules'))
          walk(childAbs, childRel, false);
      } else if (entry.isFile()) {
        if (options.prune(entry.name)) {
          pruned += 1;
          continue;
        }
        files.set(childRel, { data: readFileSync(childAbs), mode: modeOf(lstatSync(childAbs)) });
      } else {
        // A zip for App Service holds regular files only; a symbolic link would not survive it.
        throw new Error(`${childAbs} is not a regular file or folder; the bundle cannot hold it`);
      }
    }
  };
  walk(dir, prefix, true);
  return { pruned };
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(args[0] ?? command)} failed (exit ${code}):\n${output}`));
    });
  });
}

/** package.json as the bundle needs it: what identifies the app and how it starts. */
export function trimmedPackageJson(pkg: PackageJson): string {
  const trimmed = {
    name: pkg.name,
    version: pkg.version,
    ...(pkg.description !== undefined ? { description: pkg.description } : {}),
    ...(pkg.license !== undefined ? { license: pkg.license } : {}),
    private: true,
    ...(pkg.type !== undefined ? { type: pkg.type } : {}),
    ...(pkg.engines !== undefined ? { engines: pkg.engines } : {}),
    main: pkg.main,
    // Documents what node_modules holds; nothing installs from it.
    ...(pkg.dependencies !== undefined ? { dependencies: pkg.dependencies } : {}),
    ...(pkg.optionalDependencies !== undefined ? { optionalDependencies: pkg.optionalDependencies } : {}),
  };
  return `${JSON.stringify(trimmed, null, 2)}\n`;
}

function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** Builds the code and writes the zip and its manifest. */
export async function bundle({ root, outFile, log = () => {} }: BundleOptions): Promise<BundleResult> {
  const started = performance.now();
  const pkg = readJson<PackageJson>(path.join(root, 'package.json'));
  if (pkg.main !== 'dist/src/index.js') {
    throw new Error(`package.json "main" is ${pkg.main}; App Service starts dist/src/index.js`);
  }
  const packages = productionPackages(root);
  const files = new Map<string, FileEntry>();

  const buildDir = mkdtempSync(path.join(tmpdir(), 'hwc-bundle-'));
  try {
    log('Compiling (tsc -p tsconfig.build.json)…');
    const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
    await run(
      process.execPath,
      [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(buildDir, 'dist'), '--sourceMap', 'false'],
      root,
    );
    addTree(files, path.join(buildDir, 'dist'), 'dist', { skipTopNodeModules: false, prune: () => false });
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  if (!files.has(pkg.main)) throw new Error(`tsc did not emit ${pkg.main}`);
  const builtFiles = files.size;

  const cardsDir = path.join(root, 'cards');
  for (const name of readdirSync(cardsDir).filter((n) => n.endsWith('.json'))) {
    files.set(`cards/${name}`, { data: readFileSync(path.join(cardsDir, name)), mode: 0o644 });
  }
  if (!files.has('cards/shell.json')) throw new Error('cards/shell.json is missing');
  files.set('package.json', { data: Buffer.from(trimmedPackageJson(pkg)), mode: 0o644 });

  log(`Copying ${packages.length} production packages…`);
  let prunedFiles = 0;
  for (const { location } of packages) {
    prunedFiles += addTree(files, path.join(root, location), location, {
      skipTopNodeModules: true,
      prune: isPrunedDependencyFile,
    }).pruned;
  }

  const names = [...files.keys()].sort(compareBytes);
  if (names.length > MAX_ENTRIES) {
    throw new Error(`${names.length} files are more than a zip without Zip64 holds (${MAX_ENTRIES})`);
  }
  const zippable: Zippable = {};
  for (const name of names) {
    const { data, mode } = files.get(name) as FileEntry;
    // Unix (os 3), a regular file (0o100000) with its permissions, in the high 16 bits.
    zippable[name] = [data, { os: 3, attrs: (0o100000 | mode) * 0x10000, mtime: FIXED_MTIME }];
  }
  log(`Zipping ${names.length} files…`);
  const zip = zipSync(zippable, { level: 6 });
  if (zip.length > MAX_BYTES) throw new Error('the zip is larger than 4 GB, more than fflate can write');

  mkdirSync(path.dirname(outFile), { recursive: true });
  // Renamed into place, so an interrupted run never leaves half a zip that looks like a bundle.
  writeFileSync(`${outFile}.partial`, zip);
  renameSync(`${outFile}.partial`, outFile);
  const sha256 = createHash('sha256').update(zip).digest('hex');
  const manifestFile = path.join(path.dirname(outFile), MANIFEST_NAME);
  writeFileSync(
    manifestFile,
    [
      `# ${path.basename(outFile)}, written by npm run bundle (scripts/bundle.ts)`,
      `sha256 ${sha256}`,
      `bytes ${zip.length}`,
      `files ${names.length} (${builtFiles} in dist/, ${names.filter((n) => n.startsWith('cards/')).length} cards)`,
      `pruned ${prunedFiles} files of the packages (source maps, TypeScript, Markdown)`,
      `packages ${packages.length}`,
      ...packages.map((p) => `${p.location} ${p.version}`),
      '',
    ].join('\n'),
  );
  return {
    outFile,
    manifestFile,
    bytes: zip.length,
    files: names.length,
    packages: packages.length,
    prunedFiles,
    sha256,
    ms: performance.now() - started,
  };
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  bundle({ root, outFile: path.join(root, 'build', BUNDLE_NAME), log: (line) => console.log(line) }).then(
    (r) =>
      console.log(
        `Wrote ${path.relative(root, r.outFile)}: ${megabytes(r.bytes)} MB, ${r.files} files ` +
          `(${r.packages} packages), in ${(r.ms / 1000).toFixed(1)} s; list in ${path.relative(root, r.manifestFile)}`,
      ),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
