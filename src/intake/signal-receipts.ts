import type { SignalReceipts, SignalSender } from '../app/ports';

/** The receipts in this process: one instance only; a restart forgets them. */
export class MemorySignalReceipts implements SignalReceipts {
  private readonly entries = new Map<string, { caseId: string; sender: SignalSender; until: number }>();

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly maxEntries = 10_000,
  ) {}

  async remember(signalId: string, caseId: string, sender: SignalSender, until: Date): Promise<void> {
    this.prune();
    this.entries.delete(signalId);
    this.entries.set(signalId, {
      caseId,
      sender: { kind: sender.kind, id: sender.id },
      until: until.getTime(),
    });
    // The oldest go first when full.
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }

  async lookUp(signalId: string): Promise<{ caseId: string; sender: SignalSender } | undefined> {
    const entry = this.entries.get(signalId);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(signalId);
      return undefined;
    }
    return { caseId: entry.caseId, sender: { ...entry.sender } };
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.until <= now) this.entries.delete(key);
  }
}
