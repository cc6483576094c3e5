import { createHash } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { reloadableSchoolRegistry, type Directory, type ReloadableSchoolRegistry } from '../app/ports';
import { HwcError, configError } from '../domain/errors';
import type { School } from '../domain/school';
import { SwappableDirectory } from '../directory/create-directory';
import {
  CoordinatorGroups,
  coordinatorGroupsOf,
  withGroupCoordinators,
  type GroupMemberSource,
} from '../directory/graph-group-members';
import { errorSummary } from '../logging/error-summary';
import type { Logger } from '../logging/logger';
import { loadSchoolsFile } from './app-config';

/**
 * Reloads the schools file while the bot runs. When the file changes it is read and validated as
 * at start-up, its directories (roster files) are built anew and its Entra groups of coordinators
 * read, and only when all of that worked are the schools and the directory swapped in at once. A
 * file that is not valid leaves the running configuration as it was, and the log names the file,
 * the line and the setting (`schools[3].lessonStart`), never a value.
 *
 * Open cases keep working: they hold a school's id, and every use case looks the school up in the
 * registry when it runs, so it sees the new School. A school taken out of the file cannot be acted
 * on any more; its open cases still end at their expiry.
 *
 * Changes are noticed by watching the file's folder, not the file: editors and `cp` + `mv` replace
 * the file by a rename, after which a watch on the old file hears nothing, and Kubernetes swaps a
 * ConfigMap's folder by a symlink. Events come in bursts, so the file is read once things have been
 * quiet for a moment, and only a content that differs from the one in use is applied. A check every
 * minute backs the watch up where a file system sends no events (a network share).
 */

export interface SchoolsReloaderOptions {
  /** The schools file, as loaded at start (an absolute path). */
  file: string;
  /** The schools the app started with, already validated. */
  schools: readonly School[];
  /** Builds one Directory for these schools; a bad roster file throws HwcError 'config.invalid'. */
  createDirectory: (schools: readonly School[]) => Directory;
  /** Reads Entra groups (Microsoft Graph); without it a `coordinatorGroup` is a configuration error. */
  groupMembers?: GroupMemberSource;
  log: Logger;
  /** Reads and validates the file; default loadSchoolsFile. */
  load?: (file: string) => School[];
  /** Quiet time after the last change in the folder before the file is read, in ms (default 300). */
  debounceMs?: number;
  /** How often the file is checked without a change event, in ms (default 60 000; 0: never). */
  pollMs?: number;
  /** How often the Entra groups are read again, in ms (default 5 minutes; 0: only at start and on a reload). */
  groupRefreshMs?: number;
  /** How long start() waits for the first read of the Entra groups, in ms (default 10 000); it goes on after. */
  startupGroupWaitMs?: number;
}

/** One thing wrong with a schools file: where, and what, never the value. */
export interface ReloadProblem {
  /** The setting, as `schools[3].lessonStart`, when the problem is about one. */
  setting?: string;
  /** The line in the schools file, when it is known. */
  line?: number;
  problem: string;
}

export type SchoolsReloadResult =
  { ok: true; schools: number } | { ok: false; error: HwcError; problems: ReloadProblem[] };

/** A failed content, and the roster files it named as they were then: retried when either changes. */
interface FailedAttempt {
  hash: string;
  rosterFiles: string[];
  rosterSignature: string;
}

export class SchoolsReloader {
  readonly registry: ReloadableSchoolRegistry;
  private readonly swappable: SwappableDirectory;
  private readonly groups: CoordinatorGroups | undefined;
  private readonly log: Logger;
  private fileSchools: readonly School[];
  private appliedHash: string | undefined;
  private failed: FailedAttempt | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private groupTimer: NodeJS.Timeout | undefined;
  private withoutCoordinators = '';
  private started = false;
  private closed = false;

  /** Builds the directories of the schools now: a bad roster file or a missing Graph throws 'config.invalid'. */
  constructor(private readonly options: SchoolsReloaderOptions) {
    this.log = options.log.child({ component: 'schools-reloader' });
    requireGraphForGroups(options.schools, options.groupMembers !== undefined);
    this.fileSchools = options.schools;
    this.swappable = new SwappableDirectory(options.createDirectory(options.schools));
    this.registry = reloadableSchoolRegistry(options.schools);
    this.groups = options.groupMembers
      ? new CoordinatorGroups({ source: options.groupMembers, log: this.log, onChange: () => this.publish() })
      : undefined;
    this.appliedHash = hashOfFile(options.file);
  }

  /** The directory of the schools in use, for Services. */
  get directory(): Directory {
    return this.swappable;
  }

  /**
   * Reads the Entra groups a first time (waiting at most `startupGroupWaitMs`; a read that takes
   * longer applies when it ends), then starts watching the file and reading the groups again.
   */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.groups) {
      const first = this.groups.follow(coordinatorGroupsOf(this.fileSchools));
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        first.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.options.startupGroupWaitMs ?? 10_000);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (!waited) {
        this.log.warn(
          { event: 'coordinator-group.slow' },
          'the Entra groups of coordinators are still being read; until then the schools have their listed coordinators only',
        );
      }
      this.publish();
      const every = this.options.groupRefreshMs ?? 5 * 60_000;
      if (every > 0) {
        this.groupTimer = setInterval(() => void this.groups?.refresh(), every);
        this.groupTimer.unref();
      }
    }
    this.watchFolder();
    const pollMs = this.options.pollMs ?? 60_000;
    if (pollMs > 0) {
      this.poll = setInterval(() => {
        this.watchFolder();
        void this.checkFile();
      }, pollMs);
      this.poll.unref();
    }
  }

  /**
   * Reads, validates and applies the schools file now (SIGHUP, tests), whether or not it changed.
   * Reloads run one at a time, in the order asked.
   */
  reloadSchools(): Promise<SchoolsReloadResult> {
    const run = this.chain.then(() => this.reload());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The Entra groups, read again now (tests; the timer does this every few minutes). */
  async refreshGroups(): Promise<void> {
    await this.groups?.refresh();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    clearInterval(this.groupTimer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private async reload(): Promise<SchoolsReloadResult> {
    const { file } = this.options;
    const text = readText(file);
    let schools: School[] | undefined;
    let directory: Directory;
    try {
      schools = (this.options.load ?? defaultLoad)(file);
      requireGraphForGroups(schools, this.groups !== undefined);
      directory = this.options.createDirectory(schools);
    } catch (error) {
      const failure = asConfigError(error);
      const problems = problemsOf(failure, file, text);
      this.log.error(
        { event: 'schools.reload-failed', file, problems, ...(failure === error ? {} : errorSummary(error)) },
        'the schools file is not valid; the running configuration stays in use',
      );
      if (text !== undefined) {
        const rosterFiles = schools ? rosterFilesOf(schools, path.dirname(file)) : [];
        this.failed = { hash: hashOf(text), rosterFiles, rosterSignature: await signatureOf(rosterFiles) };
      }
      return { ok: false, error: failure, problems };
    }
    // The groups a new file names are read before it is applied, so a school whose coordinators
    // are all in its group does not go without for a moment.
    await this.groups?.follow(coordinatorGroupsOf(schools));
    const before = new Set(this.fileSchools.map((s) => s.id));
    const after = new Set(schools.map((s) => s.id));
    this.fileSchools = schools;
    this.swappable.replace(directory);
    this.publish();
    this.appliedHash = text === undefined ? undefined : hashOf(text);
    this.failed = undefined;
    const removed = [...before].filter((id) => !after.has(id));
    this.log.info(
      {
        event: 'schools.reloaded',
        file,
        schools: schools.length,
        added: [...after].filter((id) => !before.has(id)),
        removed,
      },
      'schools file reloaded',
    );
    if (removed.length > 0) {
      this.log.warn(
        { event: 'schools.removed', schoolIds: removed },
        'a school is no longer in the schools file: its open cases can no longer be acted on and end at their expiry',
      );
    }
    return { ok: true, schools: schools.length };
  }

  /** The schools of the file, each with its Entra group's members among its coordinators. */
  private publish(): void {
    const groups = this.groups;
    const schools = this.fileSchools.map((s) =>
      groups && s.coordinatorGroup !== undefined
        ? withGroupCoordinators(s, groups.members(s.coordinatorGroup))
        : s,
    );
    this.registry.replace(schools);
    const without = schools.filter((s) => s.coordinators.length === 0).map((s) => s.id);
    const key = without.join(',');
    if (without.length > 0 && key !== this.withoutCoordinators) {
      this.log.warn(
        { event: 'schools.no-coordinator', schoolIds: without },
        'a school has no coordinator: its Entra group is empty or could not be read, and the file lists none; signals for it are refused until it has one',
      );
    }
    this.withoutCoordinators = key;
  }

  private watchFolder(): void {
    if (this.watcher || this.closed) return;
    const folder = path.dirname(this.options.file);
    try {
      const watcher = watch(folder, { persistent: false }, () => this.changed());
      watcher.on('error', (error: NodeJS.ErrnoException) => {
        this.log.warn(
          { event: 'schools.watch-failed', code: error.code ?? 'unknown' },
          'stopped watching the folder of the schools file; it is checked every minute instead',
        );
        watcher.close();
        if (this.watcher === watcher) this.watcher = undefined;
      });
      this.watcher = watcher;
    } catch (error) {
      this.log.warn(
        { event: 'schools.watch-failed', code: (error as NodeJS.ErrnoException).code ?? 'unknown' },
        'cannot watch the folder of the schools file; it is checked every minute instead',
      );
    }
  }

  /** Something in the folder changed: read the file once the burst of events is over. */
  private changed(): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.checkFile();
    }, this.options.debounceMs ?? 300);
    this.debounce.unref();
  }

  /** Applies the file when its content differs from the one in use (and from a failed one, unchanged). */
  private async checkFile(): Promise<void> {
    if (this.closed) return;
    let text: string;
    try {
      text = await readFile(this.options.file, 'utf8');
    } catch (error) {
      // Mid-replace, or moved away: the running configuration stays, and the next change is read.
      this.log.debug(
        { event: 'schools.unreadable', code: (error as NodeJS.ErrnoException).code ?? 'unknown' },
        'the schools file cannot be read just now',
      );
      return;
    }
    const hash = hashOf(text);
    if (hash === this.appliedHash) return;
    const failed = this.failed;
    if (failed?.hash === hash && (await signatureOf(failed.rosterFiles)) === failed.rosterSignature) return;
    await this.reloadSchools();
  }
}

function defaultLoad(file: string): School[] {
  return loadSchoolsFile(file).schools;
}

function asConfigError(error: unknown): HwcError {
  if (error instanceof HwcError) return error;
  // Not ours: its message may quote the file, so only that something failed is said.
  return configError(['SCHOOLS_FILE: could not be read or checked (unexpected error)']);
}

/** An Entra group is read through Microsoft Graph, which needs a credential. */
function requireGraphForGroups(schools: readonly School[], hasGraph: boolean): void {
  if (hasGraph) return;
  const named = schools.filter((s) => s.coordinatorGroup !== undefined).map((s) => s.id);
  if (named.length === 0) return;
  throw configError([
    `GRAPH_CLIENT_ID: school ${named.join(', ')} reads coordinators from an Entra group (coordinatorGroup), which needs Microsoft Graph: set MicrosoftAppId (the bot's own app), or GRAPH_CLIENT_ID with GRAPH_CLIENT_SECRET`,
  ]);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // the load that follows says why
  }
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

function hashOfFile(file: string): string | undefined {
  const text = readText(file);
  return text === undefined ? undefined : hashOf(text);
}

function rosterFilesOf(schools: readonly School[], folder: string): string[] {
  return schools.flatMap((s) =>
    s.directory?.type === 'roster-csv'
      ? [path.resolve(folder, s.directory.pupils), path.resolve(folder, s.directory.staff)]
      : [],
  );
}

/** Size and time of each file (or why it cannot be read): a changed roster file changes it. */
async function signatureOf(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => `${s.mtimeMs}:${s.size}`,
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      ),
    ),
  );
  return parts.join('|');
}

/**
 * The problems of a configuration error, one per line of its message, with the setting written as
 * `schools[3].lessonStart` and its line in the file where the file can tell. The messages of
 * loadSchoolsFile and of the roster files hold paths, lines and rules, never a value.
 */
export function problemsOf(error: HwcError, file: string, text: string | undefined): ReloadProblem[] {
  const lines = error.message
    .split('\n')
    .filter((l) => l.startsWith('  - '))
    .map((l) => l.slice(4));
  if (lines.length === 0) lines.push(error.message);
  const prefix = `SCHOOLS_FILE (${file}): `;
  return lines.map((line): ReloadProblem => {
    const yamlLine = /\(line (\d+), column \d+\)/.exec(line);
    if (yamlLine && line.startsWith('SCHOOLS_FILE')) return { line: Number(yamlLine[1]), problem: line };
    if (!line.startsWith(prefix)) return { problem: line };
    const rest = line.slice(prefix.length);
    const sep = rest.indexOf(': ');
    if (sep < 0) return { problem: rest };
    const dotted = rest.slice(0, sep);
    const problem = rest.slice(sep + 2);
    if (dotted === '(root)') return { setting: dotted, problem };
    const segments = dotted.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const setting = segments
      .map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`))
      .join('');
    const at = text === undefined ? undefined : lineOf(text, segments);
    return { setting, ...(at !== undefined ? { line: at } : {}), problem };
  });
}

/** The line of a setting in a YAML or JSON text: of the setting itself, or of the nearest enclosing one that is there. */
function lineOf(text: string, segments: readonly (string | number)[]): number | undefined {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    for (let n = segments.length; n >= 0; n -= 1) {
      const node: unknown = doc.getIn(segments.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
  } catch {
    // No line then; the setting is named all the same.
  }
  return undefined;
}
