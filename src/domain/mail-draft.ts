import { createHash } from 'node:crypto';
import type { PostedShell } from './case';
import type { UncertainReason } from './signal-mail';
import type { SignalSource } from './signal';

/**
 * A mail from an allowed, authentic sender that the bot could not read with certainty (issue 15):
 * what it read, waiting for a coordinator to correct and send it, or to say it is no signal. The
 * mail itself waits in the mailbox's inbox meanwhile; the draft lives, encrypted like a case, until
 * the end of the support day the mail arrived for. Only the name and the date of birth the bot
 * read are kept, never anything else the mail held.
 */
export interface MailDraft {
  /** Derived from the mailbox and the message id (mailDraftId), so reading the mail again finds it. */
  id: string;
  schoolId: string;
  mailbox: string;
  /** Graph's message id: where the mail is, to delete it or move it to 'Niet verwerkt'. */
  messageId: string;
  /** The sender's source, from the school's list of allowed senders. */
  source: SignalSource;
  receivedAt: Date;
  /** The end of the support day the mail arrived for: then the mail goes to 'Niet verwerkt'. */
  expiresAt: Date;
  /** What was read, each part only when it was one clear value; and what was unclear. */
  reading: { name?: string; birthDate?: string; reasons: UncertainReason[] };
  /** Where to answer the sender, for a school that answers its senders. */
  mailSender?: { mailbox: string; address: string };
  /**
   * 'sending' from the moment a coordinator sends the corrected form until the mail is gone: the
   * others' 'Dit is geen signaal' then waits. Back to 'open' when sending failed.
   */
  state: 'open' | 'sending';
  /** The neutral cards posted to the coordinators. */
  shells: PostedShell[];
  version: number;
}

/**
 * A draft's id: a UUID-shaped hash of the mailbox and the message id, so a mail read twice (a
 * restart before its outcome was recorded) finds the draft it already has. It holds nothing of the
 * mail, and a card's action can carry it like a case id.
 */
export function mailDraftId(mailbox: string, messageId: string): string {
  const hex = createHash('sha256').update(`mail-draft\n${mailbox}\n${messageId}`).digest('hex');
  // Version 8 (custom) and the RFC 4122 variant, so it is a well-formed UUID.
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/** The draft with one more version; every change goes through here, so a compare-and-set sees it. */
export function changedDraft(d: MailDraft, patch: Partial<Omit<MailDraft, 'id' | 'version'>>): MailDraft {
  return { ...d, ...patch, version: d.version + 1 };
}
