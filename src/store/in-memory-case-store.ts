import type { Scheduler } from '../app/ports';
import type { HwcCase } from '../domain/case';
import { TimerScheduler } from '../scheduling/timer-scheduler';
import type { CaseStore } from './case-store';

export interface InMemoryCaseStoreOptions {
  /** The app's one scheduler, which runs each case's expiry; default a scheduler of its own. */
  scheduler?: Scheduler;
  now?: () => number;
  /** Told about every case that expired, after it left the store, so its cards can be blanked. */
  onExpired?: (expired: HwcCase) => void;
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
  private readonly now: () => number;
  private readonly scheduler: Scheduler;
  private readonly ownScheduler: TimerScheduler | undefined;

  constructor(private readonly options: InMemoryCaseStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.scheduler) {
      this.scheduler = options.scheduler;
    } else {
      this.ownScheduler = new TimerScheduler(this.now);
      this.scheduler = this.ownScheduler;
    }
  }

  async create(c: HwcCase, expiresAt: Date): Promise<void> {
    if (this.entries.has(c.id)) throw new Error(`case id collision: ${c.id}`);
    this.entries.set(c.id, { value: c, expiresAt: expiresAt.getTime() });
    this.scheduleExpiry(c.id, expiresAt);
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
      this.scheduleExpiry(next.id, expiresAt);
    }
    return true;
  }

  async delete(id: string): Promise<void> {
    this.entries.delete(id);
    this.scheduler.cancel(expiryKey(id));
  }

  /** Open cases; one whose time has come but whose expiry has not run yet is not counted. */
  async size(): Promise<number> {
    const now = this.now();
    let open = 0;
    for (const entry of this.entries.values()) if (entry.expiresAt > now) open++;
    return open;
  }

  /** Drops every case, as a shutdown does. */
  close(): void {
    for (const id of this.entries.keys()) this.scheduler.cancel(expiryKey(id));
    this.entries.clear();
    this.ownScheduler?.close();
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt <= this.now()) {
      this.expire(id);
      return undefined;
    }
    return entry;
  }

  private scheduleExpiry(id: string, expiresAt: Date): void {
    this.scheduler.schedule(expiryKey(id), expiresAt, async () => {
      const entry = this.entries.get(id);
      // Moved meanwhile (the pupil was absent) and the new time has not come: the new task runs then.
      if (entry && entry.expiresAt <= this.now()) this.expire(id);
    });
  }

  private expire(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.scheduler.cancel(expiryKey(id));
    this.options.onExpired?.(entry.value);
  }
}
