import { storeCall, type RedisClient } from '../redis/redis-client';
import type { CaseFigures } from '../domain/case-figures';
import {
  histogramMedian,
  MAX_MONTHS_PER_SCHOOL,
  parseCaseFigures,
  type MonthlyStatsStore,
  type MonthReport,
  type StatsReport,
} from './monthly-stats';
import { RedisScript } from '../redis/redis-script';

export interface RedisMonthlyStatsOptions {
  /** The process's shared, connected client; the stats never close it. */
  client: RedisClient;
  /** Before every key name; default '{hwc}:'. */
  prefix?: string;
  /** How long a month is kept after its last case; default 400 days, about 13 months. */
  ttlMs?: number;
  now?: () => number;
}

const DEFAULT_TTL_MS = 400 * 24 * 60 * 60 * 1000;

/** Hash fields of the minutes histogram: `m:<minutes>` → how many acknowledgements took that long. */
const MINUTES_FIELD = /^m:(0|[1-9]\d{0,8})$/;

/**
 * KEYS: month hash, index. ARGV: signals, claimedBeforeLessons, colleaguesInformed, until (ms),
 * now (ms), index member, then pairs of histogram field and count. One script, so that a case is
 * counted whole or not at all.
 */
const ADD = new RedisScript(`
redis.call('HINCRBY', KEYS[1], 'signals', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'claimedBeforeLessons', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'colleaguesInformed', ARGV[3])
for i = 7, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
redis.call('PEXPIREAT', KEYS[2], ARGV[4])
return 1`);

/**
 * The anonymous counts per school and month (MonthlyStats), shared by every instance. Keys hold
 * only configured school ids and months, never anything of a case:
 * - `${prefix}stats:${schoolId}:${yyyy-mm}`: a hash of `signals`, `claimedBeforeLessons`,
 *   `colleaguesInformed` and a histogram of minutes to acknowledge (`m:7` → 3), so no single
 *   case can be picked out; it expires `ttlMs` after the month's last case.
 * - `${prefix}stats-months`: a sorted set of `${schoolId}:${yyyy-mm}` by expiry, so reading needs
 *   no SCAN of the keyspace.
 */
export class RedisMonthlyStats implements MonthlyStatsStore {
  private readonly client: RedisClient;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: RedisMonthlyStatsOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? '{hwc}:';
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.ttlMs) || this.ttlMs < 1)
      throw new RangeError('the time to live of the statistics must be a positive whole number of ms');
  }

  async add(figures: CaseFigures): Promise<void> {
    const f = parseCaseFigures(figures);
    const histogram = new Map<number, number>();
    for (const m of f.minutesToAcknowledge) histogram.set(m, (histogram.get(m) ?? 0) + 1);
    const now = this.now();
    const pairs = [...histogram].flatMap(([minutes, n]) => [`m:${minutes}`, String(n)]);
    await storeCall('count an ended case', () =>
      ADD.run(
        this.client,
        [this.monthKey(f.schoolId, f.month), this.indexKey()],
        [
          String(f.signals),
          String(f.claimedBeforeLessons),
          String(f.colleaguesInformed),
          String(now + this.ttlMs),
          String(now),
          `${f.schoolId}:${f.month}`,
          ...pairs,
        ],
      ),
    );
  }

  async schoolIds(): Promise<string[]> {
    return [...(await this.monthsBySchool()).keys()].sort();
  }

  async report(schools: readonly string[] | 'all'): Promise<StatsReport> {
    const bySchool = await this.monthsBySchool();
    const ids = schools === 'all' ? [...bySchool.keys()].sort() : [...new Set(schools)].sort();
    const wanted = ids.map((schoolId) => ({
      schoolId,
      months: [...new Set(bySchool.get(schoolId) ?? [])].sort().slice(-MAX_MONTHS_PER_SCHOOL),
    }));
    const keys = wanted.flatMap(({ schoolId, months }) => months.map((m) => this.monthKey(schoolId, m)));
    const hashes = await storeCall('read the statistics', () =>
      Promise.all(keys.map((key) => this.client.hGetAll(key))),
    );
    let i = 0;
    return {
      schools: wanted.map(({ schoolId, months }) => ({
        schoolId,
        months: months
          .map((month) => monthReport(month, hashes[i++] ?? {}))
          .filter((m): m is MonthReport => m !== undefined),
      })),
    };
  }

  /** The months each school has figures for, from the index; entries past their expiry left out. */
  private async monthsBySchool(): Promise<Map<string, string[]>> {
    const members = await storeCall('read the statistics index', () =>
      this.client.zRangeByScore(this.indexKey(), this.now(), '+inf'),
    );
    const bySchool = new Map<string, string[]>();
    for (const member of members) {
      const [schoolId, month] = String(member).split(':');
      if (!schoolId || !month) continue;
      const months = bySchool.get(schoolId) ?? [];
      months.push(month);
      bySchool.set(schoolId, months);
    }
    return bySchool;
  }

  private monthKey(schoolId: string, month: string): string {
    return `${this.prefix}stats:${schoolId}:${month}`;
  }

  private indexKey(): string {
    return `${this.prefix}stats-months`;
  }
}

/** A month's report from its hash; undefined when the hash is gone (it expired after the index was read). */
function monthReport(month: string, hash: Record<string, string>): MonthReport | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const count = (value: string | undefined) => {
    const n = Number(value ?? 0);
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  };
  const minutes = new Map<number, number>();
  let acknowledgements = 0;
  for (const [field, value] of Object.entries(hash)) {
    const match = MINUTES_FIELD.exec(field);
    const n = count(value);
    if (!match || n === 0) continue;
    minutes.set(Number(match[1]), n);
    acknowledgements += n;
  }
  return {
    month,
    signals: count(hash.signals),
    claimedBeforeLessons: count(hash.claimedBeforeLessons),
    colleaguesInformed: count(hash.colleaguesInformed),
    acknowledgements,
    medianMinutesToAcknowledge: histogramMedian(minutes),
  };
}
