import type { Scheduler } from '../app/ports';
import type { HwcCase } from '../domain/case';
import type { CaseEnding, CaseStore, OldestOpenCase } from './case-store';

export interface InMemoryCaseStoreOptions {
  /** The app's one scheduler, which runs each case's expiry task. */
  scheduler: Scheduler;
  now?: () => number;
}

interface Entry {
  value: HwcCase;
  expiresAt: number;
}

/** The scheduler key of a case's expiry; closing a case cancels every key of the case. */
export function expiryKey(caseId: string): string {
  return `${caseId}:expire`;
}

/**
 * The store of a single instance: a process that restarts has forgotten every case. Each case
 * expires from the scheduler at the end of its support day, at a cost that depends only on the
 * cases that expire. A read also checks the expiry of the case it reads, so a case is never
 * handed out after its time, even when the process slept through the scheduled moment.
 */
export class InMemoryCaseStore implements CaseStore {
  private readonly entries = new Map<string, Entry>();
  private readonly tombstones = new Map<string, { how: CaseEnding; until: number }>();
  private readonly now: () => number;
  private readonly scheduler: Scheduler;

  constructor(options: InMemoryCaseStoreOptions) {
    this.now = options.now ?? Date.now;
    this.scheduler = options.scheduler;
  }

  async create(c: HwcCase, expiresAt: Date): Promise<void> {
    if (this.entries.has(c.id)) throw new Error(`case id collision: ${c.id}`);
    this.entries.set(c.id, { value: c, expiresAt: expiresAt.getTime() });
    await this.scheduleExpiry(c.id, expiresAt);
  }

  async get(id: string): Promise<HwcCase | undefined> {
    return this.live(id)?.value;
  }

  async replace(expectedVersion: number, next: HwcCase, expiresAt?: Date): Promise<boolean> {
    const entry = this.live(next.id);
    if (!entry || entry.value.version !== expectedVersion) return false;
    entry.value = next;
    if (expiresAt) {
      entry.expiresAt = expiresAt.getTime();
      await this.scheduleExpiry(next.id, expiresAt);
    }
    return true;
  }

  async delete(id: string, ending?: { how: CaseEnding; until: Date }): Promise<void> {
    this.entries.delete(id);
    if (ending) this.bury(id, ending.how, ending.until);
    await this.scheduler.cancel(expiryKey(id));
  }

  async takeExpired(id: string, tombstoneUntil: Date): Promise<HwcCase | undefined> {
    const entry = this.entries.get(id);
    // Moved meanwhile (the pupil was absent) and the new time has not come: the new task runs then.
    if (!entry || entry.expiresAt > this.now()) return undefined;
    this.entries.delete(id);
    this.bury(id, 'expired', tombstoneUntil);
    return entry.value;
  }

  async ending(id: string): Promise<CaseEnding | undefined> {
    // Still here, but its time has come: its expiry task has not run yet.
    if (this.entries.has(id) && !this.live(id)) return 'expired';
    const tombstone = this.tombstones.get(id);
    if (!tombstone) return undefined;
    if (tombstone.until > this.now()) return tombstone.how;
    this.tombstones.delete(id);
    return undefined;
  }

  /** Open cases; one whose time has come but whose expiry has not run yet is not counted. */
  async size(): Promise<number> {
    const now = this.now();
    let open = 0;
    for (const entry of this.entries.values()) if (entry.expiresAt > now) open++;
    return open;
  }

  /** A walk over the open cases, which are few (a day's signals): no index to keep in step. */
  async oldestOpen(): Promise<OldestOpenCase[]> {
    const now = this.now();
    const oldest = new Map<string, Date>();
    for (const { value, expiresAt } of this.entries.values()) {
      if (expiresAt <= now) continue;
      const known = oldest.get(value.schoolId);
      if (!known || value.receivedAt < known) oldest.set(value.schoolId, value.receivedAt);
    }
    return [...oldest].map(([schoolId, receivedAt]) => ({ schoolId, receivedAt }));
  }

  /** Drops every case and tombstone, as a shutdown does: this store is the process's memory. */
  close(): void {
    this.entries.clear();
    this.tombstones.clear();
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    // Its time came while the timers slept (a suspended machine, a clock set forward): expire it
    // at the next wake-up instead of up to a minute later.
    void this.scheduleExpiry(id, new Date(this.now()));
    return undefined;
  }

  private bury(id: string, how: CaseEnding, until: Date): void {
    const now = this.now();
    // Tombstones are few (a school's cases of a day), so a sweep on write keeps the map small.
    for (const [other, tombstone] of this.tombstones)
      if (tombstone.until <= now) this.tombstones.delete(other);
    if (until.getTime() > now) this.tombstones.set(id, { how, until: until.getTime() });
  }

  private scheduleExpiry(id: string, expiresAt: Date): Promise<void> {
    return this.scheduler.schedule(expiryKey(id), expiresAt, { kind: 'expire', caseId: id });
  }
}
