import type { AdaptiveCardJson } from '../cards/card-data';
import type { HwcCase, PostedShell } from '../domain/case';
import type { School, StaffMember } from '../domain/school';
import type { Pupil } from '../domain/signal';
import type { CaseStore } from '../store/case-store';
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
   * and could not be installed, and 'delivery.failed' when Teams did not take it after retries.
   */
  sendCard(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
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

export type DeleteOutcome = 'deleted' | 'gone' | 'not-supported';

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
 * Runs follow-ups of a case at a time of day (escalation, the automatic reminder). A task only
 * carries the case id and re-reads the case when it runs, so a stale task does no harm.
 *
 * Keys are `${group}:${name}`, a case's id being its group (`${caseId}:escalate`), so that all of a
 * case's tasks can be cancelled at once without looking at anyone else's.
 */
export interface Scheduler {
  /**
   * Runs `task` at `when` by the wall clock, soon after if that has passed but never within this
   * call; the same key replaces an earlier task. A task may run late (the process slept, the clock
   * was set forward), never early.
   */
  schedule(key: string, when: Date, task: () => Promise<void>): void;
  /**
   * Cancels every task whose key starts with `prefix`: `${caseId}:` for all of a case's tasks, a
   * whole key for one, '' for all. Mind that a key also cancels the keys it is a prefix of:
   * 'cleanup:1' takes 'cleanup:10' with it.
   */
  cancel(prefix: string): void;
}

/** Takes the posted cards of an ended case out of Teams: a neutral card, then a delete. */
export interface CardCleanupPort {
  /** Starts the work and returns at once; it keeps only the message ids, until each card is done. */
  forget(shells: readonly PostedShell[], ctx: RequestContext): void;
}

/** The anonymous counts that outlive a case. */
export interface StatsRecorder {
  /** Counts a case that ended (closed or expired). */
  caseEnded(c: HwcCase, school: School): void;
}

/** Everything a use case needs; wired once in src/index.ts, faked in tests. */
export interface Services {
  schools: SchoolRegistry;
  store: CaseStore;
  messenger: Messenger;
  cleanup: CardCleanupPort;
  stats: StatsRecorder;
  directory: Directory;
  scheduler: Scheduler;
  clock: () => Date;
  newId: () => string;
  /** A fresh correlation id and logger, for work no request started (a timer, say). */
  newContext: () => RequestContext;
}

/** Per request or turn: who is asking and where to log. */
export interface RequestContext {
  correlationId: string;
  log: Logger;
}
