import type { MailDraftStore } from '../app/ports';
import type { MailDraft } from '../domain/mail-draft';

/** How long a draft is kept past its time, for an expiry task that runs late; then it is gone by itself. */
export const MAIL_DRAFT_MARGIN_MS = 30 * 60 * 1000;

/** The drafts of a single instance without Redis: lost on a restart, like its cases. */
export class MemoryMailDrafts implements MailDraftStore {
  private readonly drafts = new Map<string, MailDraft>();

  constructor(private readonly now: () => number = Date.now) {}

  async create(draft: MailDraft): Promise<boolean> {
    this.forgetPassed();
    if (this.drafts.has(draft.id)) return false;
    this.drafts.set(draft.id, draft);
    return true;
  }

  async get(id: string): Promise<MailDraft | undefined> {
    const draft = this.drafts.get(id);
    return draft && draft.expiresAt.getTime() + MAIL_DRAFT_MARGIN_MS > this.now() ? draft : undefined;
  }

  async replace(expectedVersion: number, next: MailDraft): Promise<boolean> {
    const current = await this.get(next.id);
    if (!current || current.version !== expectedVersion) return false;
    this.drafts.set(next.id, next);
    return true;
  }

  async delete(id: string): Promise<void> {
    this.drafts.delete(id);
  }

  /** A draft past its time and margin is gone even when its expiry task did not run (the process slept). */
  private forgetPassed(): void {
    const now = this.now();
    for (const [id, draft] of this.drafts) {
      if (draft.expiresAt.getTime() + MAIL_DRAFT_MARGIN_MS <= now) this.drafts.delete(id);
    }
  }
}
