import type { AdaptiveCardJson } from '../cards/card-data';
import type { HwcCase, PostedShell } from '../domain/case';
import type { MailDraft } from '../domain/mail-draft';
import type { School, StaffMember } from '../domain/school';
import type { Pupil } from '../domain/signal';
import type { CaseEnding, CaseStore } from '../store/case-store';
import type { Logger } from '../logging/logger';

/** A member of staff the bot can reach in Teams. */
export interface StaffRecipient {
  staffId: string;
}

/** What the messenger knows of the person it writes to, for the card it is about to post. */
export interface RecipientContext {
  /** Teams user id (MRI, '29:…'), needed for a card's automatic refresh; unknown before a first contact. */
  teamsUserId?: string;
  /** The Teams locale last seen from this person. */
  locale?: string;
  /** The display name Teams knows for this person, when the bot could look it up. */
  name?: string;
}

export interface PostedMessage {
  conversationId: string;
  activityId: string;
  serviceUrl: string;
}

/**
 * Posts and changes cards in personal chats. Implemented in src/teams/ on Bot Framework;
 * everything else talks to Teams only through this port.
 */
export interface Messenger {
  /**
   * Opens (or reuses) the 1:1 chat with the person and posts the card the factory builds.
   * Rejects with HwcError 'delivery.unreachable' when the app is not installed for the person
   * and could not be installed, and 'delivery.failed' when Teams did not take it after retries, or
   * may have taken it without an answer (then it is not posted again: at most one card per send).
   */
  sendCard(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
    options?: SendOptions,
  ): Promise<PostedMessage>;
  /**
   * Replaces a posted card. A `final` update (the neutral 'afgerond' card of an ended case) is
   * the last: later updates of that message are dropped, so late progress cannot undo it.
   */
  updateCard(message: PostedMessage, card: AdaptiveCardJson, options?: { final?: boolean }): Promise<void>;
  /**
   * Deletes a posted card, after its final update. 'gone' when the message no longer exists (404),
   * 'not-supported' when the channel does not delete (501, as the Agents Playground answers, or 405): the
   * neutral card then stays. Rejects with 'delivery.failed' when Teams did not take it after retries.
   */
  deleteCard(message: PostedMessage): Promise<DeleteOutcome>;
}

export interface SendOptions {
  /**
   * Until when Teams' throttling (429) is waited out: a throttled send is tried again until then,
   * however often, and never counted as a failure before. Without it, the usual number of tries.
   * A case's cards pass its end: after that nobody needs them.
   */
  until?: Date;
}

export type DeleteOutcome = 'deleted' | 'gone' | 'not-supported';

/**
 * A mail in a school's Handle with Care mailbox, as the bot reads it (issue 15). Only what deciding
 * and parsing need; the body is kept no longer than the mail is being handled.
 */
export interface InboxMail {
  /** Graph's message id: an opaque id, never logged with anything of the mail. */
  id: string;
  /** The mailbox it was read from (its address or user id, as configured). */
  mailbox: string;
  /** Every recipient address (to and cc), lowercase: routes a board-wide mailbox by alias. */
  recipients: string[];
  /** The sender's address, lowercase. */
  from: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  /** The Authentication-Results header(s) as received (several are joined with a newline). */
  authenticationResults: string | undefined;
  hasAttachments: boolean;
  /** Encrypted or signed as S/MIME (application/pkcs7-mime, or an IPM.Note.SMIME class): not readable. */
  encrypted: boolean;
  /** The mail's size in bytes, as Exchange reports it; undefined when not known. */
  sizeBytes: number | undefined;
  receivedAt: Date;
}

/** What a delta query found since the last one: new mail ids, and where to continue next time. */
export interface MailboxChanges {
  /** Ids of messages added (or changed) in the inbox; removed ones are left out. */
  ids: string[];
  /** Graph's @odata.deltaLink, kept by the caller (in Redis with several instances). */
  deltaLink: string;
}

/** The school's Handle with Care mailbox, read and cleaned through Microsoft Graph (app-only, Mail.ReadWrite). */
export interface Mailbox {
  /** New mail in the inbox since `deltaLink` (all mail in the inbox without one), every page read. */
  changes(mailbox: string, deltaLink: string | undefined): Promise<MailboxChanges>;
  /** The mail with its headers and body; undefined when it is gone. */
  read(mailbox: string, id: string): Promise<InboxMail | undefined>;
  /** Deleted past Deleted Items (Graph permanentDelete); 'gone' when it was not there any more. */
  permanentDelete(mailbox: string, id: string): Promise<'deleted' | 'gone'>;
  /** Moved to the folder 'Niet verwerkt' (made when missing); 'gone' when it was not there any more. */
  moveToNotProcessed(mailbox: string, id: string): Promise<'moved' | 'gone'>;
  /** A new plain-text mail from the mailbox (Mail.Send); never a reply that quotes the original. */
  send(mailbox: string, to: string, subject: string, text: string): Promise<void>;
}

/**
 * What became of a mail, so it is handled once, across restarts and instances. 'awaiting-confirmation':
 * the bot could not read it with certainty, and a coordinator decides (its MailDraft).
 */
export type MailOutcome = 'signal-stored' | 'not-processed' | 'awaiting-confirmation';

/**
 * What the bot remembers of its mailboxes: per mail what it did (under a hash of mailbox and
 * message id, never anything of the mail), per mailbox where the delta query goes on, and which
 * instance polls it now. In Redis with several instances; in memory otherwise.
 */
export interface MailLedger {
  outcome(mailbox: string, id: string): Promise<MailOutcome | undefined>;
  record(mailbox: string, id: string, outcome: MailOutcome): Promise<void>;
  deltaLink(mailbox: string): Promise<string | undefined>;
  saveDeltaLink(mailbox: string, deltaLink: string): Promise<void>;
  /** True when this instance may poll the mailbox now; the claim lapses after `ms`. */
  claimPoll(mailbox: string, ms: number): Promise<boolean>;
  /** Ends this instance's claim (after its pass), so the next pass, on any instance, may start. */
  releasePoll(mailbox: string): Promise<void>;
}

/**
 * The mails waiting for a coordinator's confirmation, encrypted like the cases (in Redis with
 * several instances). A draft is gone by itself past its `expiresAt` (plus a margin for the expiry
 * task); a store failure rejects with 'store.unavailable'.
 */
export interface MailDraftStore {
  /** Stores a new draft; false when one with its id is there already (the mail was read before). */
  create(draft: MailDraft): Promise<boolean>;
  get(id: string): Promise<MailDraft | undefined>;
  /** Stores `next` only if the stored draft still has `expectedVersion`; false otherwise. */
  replace(expectedVersion: number, next: MailDraft): Promise<boolean>;
  delete(id: string): Promise<void>;
}

/** The mailboxes and what the bot remembers of them; only when a school receives signals by mail. */
export interface MailServices {
  mailbox: Mailbox;
  ledger: MailLedger;
  drafts: MailDraftStore;
}

/** Installs the Teams app for a user (Microsoft Graph), so the bot may open a chat with them. */
export interface TeamsAppInstaller {
  /** Resolves when the app is installed for the user (also when it already was). */
  installFor(userId: string): Promise<void>;
}

/** What the school's directory knows of a pupil: the group and its teachers. */
export interface DirectoryPupil {
  group: string;
  teachers: StaffMember[];
}

/**
 * Pupils, groups and staff, from the school's administration system (a roster file) or from
 * Microsoft Graph. It suggests; it never decides who is told.
 */
export interface Directory {
  /**
   * The pupil's group and its teachers, only when exactly one pupil matches the name and date
   * of birth. No match and an ambiguous match both give undefined: no suggestion beats a wrong one.
   */
  findPupil(schoolId: string, pupil: Pupil): Promise<DirectoryPupil | undefined>;
  /** The school's staff, for a static list where the Teams client has no people picker. */
  staff(schoolId: string): Promise<StaffMember[]>;
  /**
   * The display name of someone picked with the Teams people picker, which sends ids only: so
   * the coordinator's view can say whom to tell in person if Teams cannot reach them.
   */
  nameOf(schoolId: string, staffId: string): Promise<string | undefined>;
}

/** For a school without a directory: no suggestions, no staff list. */
export const emptyDirectory: Directory = {
  findPupil: async () => undefined,
  staff: async () => [],
  nameOf: async () => undefined,
};

export interface SchoolRegistry {
  get(id: string): School | undefined;
  all(): readonly School[];
}

export function schoolRegistry(schools: readonly School[]): SchoolRegistry {
  const byId = new Map(schools.map((s) => [s.id, s]));
  return { get: (id) => byId.get(id), all: () => schools };
}

/**
 * A registry whose schools are swapped while the app runs: the schools file was reloaded, or an
 * Entra group of coordinators changed (src/config/schools-reloader.ts). Cases hold a school's id,
 * never the School, so every lookup after a swap sees the new one.
 */
export interface ReloadableSchoolRegistry extends SchoolRegistry {
  /** Replaces every school at once: a lookup sees either the old set or the new one, never a mix. */
  replace(schools: readonly School[]): void;
}

export function reloadableSchoolRegistry(schools: readonly School[]): ReloadableSchoolRegistry {
  let current = schoolRegistry(schools);
  return {
    get: (id) => current.get(id),
    all: () => current.all(),
    replace: (next) => {
      current = schoolRegistry([...next]);
    },
  };
}

/** A card of an ended case still to be made neutral: where it is and in which language, nothing else. */
export interface PendingCard {
  message: PostedMessage;
  locale?: string;
  /** How the case ended, so the neutral card says so; absent in a task noted before it was kept. */
  ending?: CaseEnding;
  /** Tries so far. */
  attempts: number;
}

/**
 * A follow-up, as a record that can wait in a shared store and run on any instance: a kind and
 * ids, never a case or a closure. Each one re-reads what it needs when it runs, so a task that
 * runs twice (a crash after it ran, before it was marked done) or after its case ended does no harm.
 */
export type ScheduledTask =
  | { kind: 'escalate'; caseId: string }
  | { kind: 'remind'; caseId: string }
  | { kind: 'expire'; caseId: string }
  /** The one reminder to whoever informs the parents. */
  | { kind: 'parents-remind'; caseId: string }
  /**
   * Sends the cards still 'sending' of a case's colleagues: written before the fan-out starts and
   * cancelled when it is done, so a fan-out cut off by a crash is finished by another instance.
   */
  | { kind: 'inform'; caseId: string }
  /** `key` is the task's own key, under which the next try is scheduled. */
  | { kind: 'cleanup-retry'; key: string; card: PendingCard }
  /** A mail nobody confirmed by the end of its support day goes to 'Niet verwerkt'. */
  | { kind: 'mail-draft-expire'; draftId: string };

export type ScheduledTaskKind = ScheduledTask['kind'];

/** Runs a task that fell due; wired once in src/index.ts (src/app/scheduled-tasks.ts). */
export type TaskRunner = (task: ScheduledTask) => Promise<void>;

/**
 * Runs follow-ups at a time of day (escalation, the automatic reminder, expiry, cleanup retries).
 *
 * Keys are `${group}:${name}`, a case's id being its group (`${caseId}:escalate`), so that all of a
 * case's tasks can be cancelled at once without looking at anyone else's. A key holds only random
 * ids and fixed words.
 */
export interface Scheduler {
  /**
   * Runs `task` at `when` by the wall clock, soon after if that has passed, but never within this
   * call; the same key replaces an earlier task. A task may run late (every instance was down,
   * the clock was set forward), never early. A shared scheduler runs each task on one instance,
   * at least once: again after a crash that came before the task was done.
   */
  schedule(key: string, when: Date, task: ScheduledTask): Promise<void>;
  /**
   * Cancels every task of a group (`${caseId}:`) or one whole key (`${caseId}:escalate`). Mind
   * that a key also cancels the keys it is a prefix of: 'cleanup-1:retry' takes 'cleanup-1:retryx'.
   */
  cancel(prefix: string): Promise<void>;
}

/** Takes the posted cards of an ended case out of Teams: a neutral card, then a delete. */
export interface CardCleanupPort {
  /** Starts the work and returns at once; it keeps only the message ids, until each card is done. */
  forget(shells: readonly PostedShell[], ending: CaseEnding | undefined, ctx: RequestContext): void;
  /** A retry task fell due: one more try for one card. */
  retry(card: PendingCard, key: string, ctx: RequestContext): Promise<void>;
}

/**
 * Work a click starts for other people and does not wait for (src/app/background-work.ts): the
 * click is answered first. Tracked, so shutdown can let it finish.
 */
export interface BackgroundWorkPort {
  /**
   * Starts `work` after this call returns; failures are logged. With a key, work under the same
   * key that still runs is not started again: false then.
   */
  start(key: string | undefined, work: () => Promise<void>, ctx: RequestContext): boolean;
}

/** The anonymous counts that outlive a case. */
export interface StatsRecorder {
  /** Counts a case that ended (closed or expired). */
  caseEnded(c: HwcCase, school: School): void;
}

/** Where a signal came from, as the metrics name it. */
export type SignalOriginKind = 'api-key' | 'entra' | 'teams' | 'mail';

/** Why a card or a signal did not reach someone, as the metrics name it. */
export type DeliveryFailureKind = 'unreachable' | 'failed' | 'no-coordinator-reachable';

/**
 * Counts for operations (Azure Monitor, src/telemetry/): what happened, never to whom. Every
 * attribute is one of a few fixed words, so nothing of a pupil can reach a metric.
 */
export interface AppMetrics {
  signalReceived(origin: SignalOriginKind): void;
  signalDelivered(origin: SignalOriginKind): void;
  caseClaimed(beforeLessons: boolean): void;
  deliveryFailed(kind: DeliveryFailureKind): void;
}

/** Without telemetry: nothing is counted. */
export const noMetrics: AppMetrics = {
  signalReceived: () => undefined,
  signalDelivered: () => undefined,
  caseClaimed: () => undefined,
  deliveryFailed: () => undefined,
};

/** Everything a use case needs; wired once in src/index.ts, faked in tests. */
export interface Services {
  schools: SchoolRegistry;
  store: CaseStore;
  messenger: Messenger;
  cleanup: CardCleanupPort;
  /** Teams calls for other people, after the click is answered. */
  background: BackgroundWorkPort;
  stats: StatsRecorder;
  directory: Directory;
  scheduler: Scheduler;
  clock: () => Date;
  newId: () => string;
  /** A fresh correlation id and logger, for work no request started (a timer, say). */
  newContext: () => RequestContext;
  /** The schools' mailboxes, the mails waiting for confirmation; absent when no mailbox is read. */
  mail?: MailServices;
  /** Operational counts; absent (as in most tests) means none are kept. */
  metrics?: AppMetrics;
}

/** Per request or turn: who is asking and where to log. */
export interface RequestContext {
  correlationId: string;
  log: Logger;
}

/** Who posted a signal through the API: an API key's label or an Entra client id. */
export interface SignalSender {
  kind: 'api-key' | 'entra';
  id: string;
}

/**
 * Which case an API-posted signal became, and which credential posted it (issue 15): so that the
 * sender, and only the sender, can ask what became of it (GET /api/signals/{signalId}). Kept as
 * long as the case's tombstone, never anything of the pupil. In Redis with several instances.
 */
export interface SignalReceipts {
  remember(signalId: string, caseId: string, sender: SignalSender, until: Date): Promise<void>;
  /** Undefined when the signal id is unknown or its time has passed. */
  lookUp(signalId: string): Promise<{ caseId: string; sender: SignalSender } | undefined>;
}
