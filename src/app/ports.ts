import type { AdaptiveCardJson } from '../cards/card-data';
import type { School } from '../domain/school';
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
  /** Opens (or reuses) the 1:1 chat with the person and posts the card the factory builds. */
  sendCard(
    to: StaffRecipient,
    card: (recipient: RecipientContext) => AdaptiveCardJson,
  ): Promise<PostedMessage>;
  updateCard(message: PostedMessage, card: AdaptiveCardJson): Promise<void>;
}

export interface SchoolRegistry {
  get(id: string): School | undefined;
  all(): readonly School[];
}

export function schoolRegistry(schools: readonly School[]): SchoolRegistry {
  const byId = new Map(schools.map((s) => [s.id, s]));
  return { get: (id) => byId.get(id), all: () => schools };
}

/** Everything a use case needs; wired once in src/index.ts, faked in tests. */
export interface Services {
  schools: SchoolRegistry;
  store: CaseStore;
  messenger: Messenger;
  clock: () => Date;
  newId: () => string;
}

/** Per request or turn: who is asking and where to log. */
export interface RequestContext {
  correlationId: string;
  log: Logger;
}
