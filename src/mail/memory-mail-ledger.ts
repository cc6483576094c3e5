import type { MailLedger, MailOutcome } from '../app/ports';

/** How long an outcome is remembered: a delta query repeats a mail only until its link is saved. */
export const MAIL_OUTCOME_TTL_MS = 7 * 24 * 3600_000;

/** The ledger of a single instance without Redis: lost on a restart, like its cases. */
export class MemoryMailLedger implements MailLedger {
  private readonly outcomes = new Map<string, { outcome: MailOutcome; until: number }>();
  private readonly links = new Map<string, string>();
  private readonly polls = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async outcome(mailbox: string, id: string): Promise<MailOutcome | undefined> {
    const known = this.outcomes.get(`${mailbox}\n${id}`);
    return known && known.until > this.now() ? known.outcome : undefined;
  }

  async record(mailbox: string, id: string, outcome: MailOutcome): Promise<void> {
    const now = this.now();
    for (const [key, known] of this.outcomes) if (known.until <= now) this.outcomes.delete(key);
    this.outcomes.set(`${mailbox}\n${id}`, { outcome, until: now + MAIL_OUTCOME_TTL_MS });
  }

  async deltaLink(mailbox: string): Promise<string | undefined> {
    return this.links.get(mailbox);
  }

  async saveDeltaLink(mailbox: string, deltaLink: string): Promise<void> {
    this.links.set(mailbox, deltaLink);
  }

  async releasePoll(mailbox: string): Promise<void> {
    this.polls.delete(mailbox);
  }

  async claimPoll(mailbox: string, ms: number): Promise<boolean> {
    const now = this.now();
    if ((this.polls.get(mailbox) ?? 0) > now) return false;
    this.polls.set(mailbox, now + ms);
    return true;
  }
}
