import type { HwcCase } from '../domain/case';
import type { CaseStore } from './case-store';

export interface InMemoryCaseStoreOptions {
  now?: () => number;
  /** Told about every case that expired, after it left the store, so its cards can be blanked. */
  onExpired?: (expired: HwcCase) => void;
}

interface Entry {
  value: HwcCase;
  expiresAt: number;
}

// setTimeout fires at once for delays above 2^31-1 ms; longer waits are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The store of a single instance. An entry is gone at its expiry even if no timer fired (a
 * sleeping process, a clock jump): every read checks the time, and one timer, armed for the
 * earliest expiry, sweeps the rest.
 */
export class InMemoryCaseStore implements CaseStore {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private readonly now: () => number;

  constructor(private readonly options: InMemoryCaseStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async create(c: HwcCase, expiresAt: Date): Promise<void> {
    if (this.entries.has(c.id)) throw new Error(`case id collision: ${c.id}`);
    this.entries.set(c.id, { value: c, expiresAt: expiresAt.getTime() });
    this.arm();
  }

  async get(id: string): Promise<HwcCase | undefined> {
    this.sweep();
    return this.entries.get(id)?.value;
  }

  async replace(expectedVersion: number, next: HwcCase, expiresAt?: Date): Promise<boolean> {
    this.sweep();
    const entry = this.entries.get(next.id);
    if (!entry || entry.value.version !== expectedVersion) return false;
    entry.value = next;
    if (expiresAt) {
      entry.expiresAt = expiresAt.getTime();
      this.arm();
    }
    return true;
  }

  async delete(id: string): Promise<void> {
    this.entries.delete(id);
  }

  async size(): Promise<number> {
    this.sweep();
    return this.entries.size;
  }

  /** Stops the timer; entries are dropped, as everything in this store is at shutdown. */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.entries.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(id);
        this.options.onExpired?.(entry.value);
      }
    }
  }

  private arm(): void {
    let earliest = Infinity;
    for (const entry of this.entries.values()) earliest = Math.min(earliest, entry.expiresAt);
    if (earliest === Infinity || earliest >= this.armedFor) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = earliest;
    const delay = Math.min(Math.max(earliest - this.now(), 0), MAX_TIMER_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = Infinity;
      this.sweep();
      this.arm();
    }, delay);
    this.timer.unref();
  }
}
