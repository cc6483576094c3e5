import { readFileSync, statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { CaseFigures } from '../domain/case-figures';
import { HwcError } from '../domain/errors';
import { errorSummary } from '../logging/error-summary';
import type { Logger } from '../logging/logger';

/** How many months each school keeps; older months are dropped. */
export const MAX_MONTHS_PER_SCHOOL = 24;

/** The setting that names the file, for error messages. */
export const STATS_FILE_SETTING = 'STATS_FILE';

export interface MonthReport {
  month: string;
  signals: number;
  claimedBeforeLessons: number;
  colleaguesInformed: number;
  acknowledgements: number;
  /** The median of the minutes from a colleague's card being sent to 'Gelezen'; null without any. */
  medianMinutesToAcknowledge: number | null;
}

export interface SchoolReport {
  schoolId: string;
  months: MonthReport[];
}

/** GET /api/stats answers with this, and only this. */
export interface StatsReport {
  schools: SchoolReport[];
}

/** A value, or a promise of it: the in-memory counts answer at once, shared ones later. */
export type Awaitable<T> = T | Promise<T>;

/**
 * The anonymous counts per school and month: in this process (MonthlyStats, optionally with a
 * file) or shared by every instance (RedisMonthlyStats, which rejects with
 * HwcError('store.unavailable') when Redis does not answer).
 */
export interface MonthlyStatsStore {
  /** Counts one ended case; refuses figures that are not valid with a RangeError. */
  add(figures: CaseFigures): Awaitable<void>;
  /** The schools that have figures, sorted. */
  schoolIds(): Awaitable<string[]>;
  /**
   * The report, sorted by school and month. With a list, every listed school appears (with no
   * months if it has no figures); with 'all', every school that has figures.
   */
  report(schools: readonly string[] | 'all'): Awaitable<StatsReport>;
}

export interface MonthlyStatsOptions {
  /** Where the figures are kept between restarts (STATS_FILE). Without it they live in memory only. */
  file?: string;
  /** Told when writing the file fails; the next `add` (or `flush`) tries again. */
  logger?: Logger;
}

interface Month {
  signals: number;
  claimedBeforeLessons: number;
  colleaguesInformed: number;
  /** Minutes to acknowledge → how many acknowledgements took that long. Never per case. */
  minutes: Map<number, number>;
}

const SCHOOL_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const figuresSchema = z.strictObject({
  schoolId: z.string().regex(SCHOOL_ID),
  month: z.string().regex(MONTH),
  signals: z.literal(1),
  claimedBeforeLessons: z.union([z.literal(0), z.literal(1)]),
  colleaguesInformed: count,
  minutesToAcknowledge: z.array(count),
});

/** The file: the aggregate only, as `schools → months → counts and a histogram of minutes`. */
const fileSchema = z.strictObject({
  version: z.literal(1),
  schools: z.record(
    z.string().regex(SCHOOL_ID),
    z.record(
      z.string().regex(MONTH),
      z.strictObject({
        signals: count,
        claimedBeforeLessons: count,
        colleaguesInformed: count,
        minutesToAcknowledge: z.record(z.string().regex(/^(0|[1-9]\d{0,8})$/), count.min(1)),
      }),
    ),
  ),
});

type StatsFile = z.infer<typeof fileSchema>;

/** The figures of one ended case, checked; a RangeError names the fields that are wrong, not their values. */
export function parseCaseFigures(figures: CaseFigures): CaseFigures {
  const parsed = figuresSchema.safeParse(figures);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.map(String).join('.') || '(root)'))];
    throw new RangeError(`case figures are not valid: ${fields.join(', ')}`);
  }
  return parsed.data;
}

/** The median of a histogram (value → count); the mean of the two middle values for an even count. */
export function histogramMedian(histogram: ReadonlyMap<number, number>): number | null {
  let total = 0;
  for (const n of histogram.values()) total += n;
  if (total === 0) return null;
  const lowIndex = Math.floor((total - 1) / 2);
  const highIndex = Math.floor(total / 2);
  let low: number | undefined;
  let seen = 0;
  for (const value of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(value) ?? 0;
    if (low === undefined && seen > lowIndex) low = value;
    if (seen > highIndex) return Math.round(((low ?? value) + value) * 5) / 10;
  }
  return null;
}

/**
 * The anonymous counts per school and month, the only thing that outlives a case (DESIGN.md §4.5).
 * Minutes to acknowledge are kept as a histogram, so no single case can be picked out.
 */
export class MonthlyStats implements MonthlyStatsStore {
  private readonly schools = new Map<string, Map<string, Month>>();
  private readonly file: string | undefined;
  private readonly logger: Logger | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastWriteError: unknown;

  constructor(options: MonthlyStatsOptions = {}) {
    this.file = options.file;
    this.logger = options.logger;
    if (this.file) this.load(this.file);
  }

  /** Counts one ended case. With a file, the file is written soon after (see `flush`). */
  add(figures: CaseFigures): void {
    const f = parseCaseFigures(figures);
    const month = this.month(f.schoolId, f.month);
    month.signals += f.signals;
    month.claimedBeforeLessons += f.claimedBeforeLessons;
    month.colleaguesInformed += f.colleaguesInformed;
    for (const m of f.minutesToAcknowledge) month.minutes.set(m, (month.minutes.get(m) ?? 0) + 1);
    this.trim(f.schoolId);
    if (this.file) this.scheduleWrite();
  }

  /** The schools that have figures. */
  schoolIds(): string[] {
    return [...this.schools.keys()].sort();
  }

  /**
   * The report, sorted by school and month. With a list, every listed school appears (with no
   * months if it has no figures); with 'all', every school that has figures.
   */
  report(schools: readonly string[] | 'all'): StatsReport {
    const ids = schools === 'all' ? this.schoolIds() : [...new Set(schools)].sort();
    return {
      schools: ids.map((schoolId) => {
        const months = this.schools.get(schoolId) ?? new Map<string, Month>();
        return {
          schoolId,
          months: [...months.keys()].sort().map((month) => {
            const m = months.get(month)!;
            let acknowledgements = 0;
            for (const n of m.minutes.values()) acknowledgements += n;
            return {
              month,
              signals: m.signals,
              claimedBeforeLessons: m.claimedBeforeLessons,
              colleaguesInformed: m.colleaguesInformed,
              acknowledgements,
              medianMinutesToAcknowledge: histogramMedian(m.minutes),
            };
          }),
        };
      }),
    };
  }

  /**
   * Waits until the figures added so far are in the file (for shutdown and tests). Rejects when
   * the file cannot be written, naming STATS_FILE and the file.
   */
  async flush(): Promise<void> {
    if (!this.file) return;
    await this.writing;
    if (this.dirty || this.lastWriteError !== undefined) {
      this.scheduleWrite();
      await this.writing;
    }
    if (this.lastWriteError !== undefined) {
      const code = (this.lastWriteError as NodeJS.ErrnoException | null)?.code ?? 'unwritable';
      throw new Error(`${STATS_FILE_SETTING}: cannot write ${this.file} (${code})`, {
        cause: this.lastWriteError,
      });
    }
  }

  private month(schoolId: string, key: string): Month {
    let months = this.schools.get(schoolId);
    if (!months) this.schools.set(schoolId, (months = new Map()));
    let month = months.get(key);
    if (!month) {
      month = { signals: 0, claimedBeforeLessons: 0, colleaguesInformed: 0, minutes: new Map() };
      months.set(key, month);
    }
    return month;
  }

  /** Keeps the newest MAX_MONTHS_PER_SCHOOL months of a school. */
  private trim(schoolId: string): void {
    const months = this.schools.get(schoolId);
    if (!months || months.size <= MAX_MONTHS_PER_SCHOOL) return;
    const oldest = [...months.keys()].sort().slice(0, months.size - MAX_MONTHS_PER_SCHOOL);
    for (const key of oldest) months.delete(key);
  }

  private load(file: string): void {
    const fail = (problem: string, cause?: unknown): never => {
      // The file's contents are never quoted: only the setting, the path and what is wrong.
      throw new HwcError('config.invalid', `${STATS_FILE_SETTING}: ${file} ${problem}`, { cause });
    };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      if (code !== 'ENOENT') return fail(`cannot be read (${code})`);
      // A first start: no file yet. Its folder must exist, or the first write would fail later.
      let folder = false;
      try {
        folder = statSync(path.dirname(file)).isDirectory();
      } catch {
        folder = false;
      }
      if (!folder) fail('is in a folder that does not exist');
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return fail('is not valid JSON; restore it from a backup or remove it to start counting anew');
    }
    const parsed = fileSchema.safeParse(data);
    if (!parsed.success) {
      return fail(
        'is not a statistics file of this version; restore it from a backup or remove it to start counting anew',
      );
    }
    this.restore(parsed.data);
  }

  private restore(data: StatsFile): void {
    for (const [schoolId, months] of Object.entries(data.schools)) {
      for (const [key, m] of Object.entries(months)) {
        const month = this.month(schoolId, key);
        month.signals = m.signals;
        month.claimedBeforeLessons = m.claimedBeforeLessons;
        month.colleaguesInformed = m.colleaguesInformed;
        for (const [minutes, n] of Object.entries(m.minutesToAcknowledge))
          month.minutes.set(Number(minutes), n);
      }
      this.trim(schoolId);
    }
  }

  private snapshot(): StatsFile {
    const schools: StatsFile['schools'] = {};
    for (const schoolId of this.schoolIds()) {
      const months = this.schools.get(schoolId)!;
      const out: StatsFile['schools'][string] = {};
      for (const key of [...months.keys()].sort()) {
        const m = months.get(key)!;
        const minutes: Record<string, number> = {};
        for (const value of [...m.minutes.keys()].sort((a, b) => a - b))
          minutes[String(value)] = m.minutes.get(value)!;
        out[key] = {
          signals: m.signals,
          claimedBeforeLessons: m.claimedBeforeLessons,
          colleaguesInformed: m.colleaguesInformed,
          minutesToAcknowledge: minutes,
        };
      }
      schools[schoolId] = out;
    }
    return { version: 1, schools };
  }

  /** One writer at a time; adds made while it writes are written by the next round. */
  private scheduleWrite(): void {
    this.dirty = true;
    this.writing ??= this.writeRounds();
  }

  private async writeRounds(): Promise<void> {
    // Let the adds of this turn of the event loop land in one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.dirty) {
        this.dirty = false;
        await this.writeFile(JSON.stringify(this.snapshot(), null, 1) + '\n');
      }
      this.lastWriteError = undefined;
    } catch (error) {
      this.dirty = true;
      this.lastWriteError = error;
      this.logger?.error(
        {
          setting: STATS_FILE_SETTING,
          file: this.file,
          errno: (error as NodeJS.ErrnoException | null)?.code,
          ...errorSummary(error),
        },
        'stats: could not write the statistics file; trying again with the next case',
      );
    } finally {
      this.writing = undefined;
    }
  }

  /** Atomic: the whole file goes to `<file>.tmp`, is synced, and then takes the file's place. */
  private async writeFile(text: string): Promise<void> {
    const file = this.file!;
    const tmp = `${file}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      // The mode of open() applies only to a new file; a leftover <file>.tmp keeps its own.
      await handle.chmod(0o600);
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  }
}
