import type { InboxMail, Mailbox, MailboxChanges } from '../app/ports';
import type { Logger } from '../logging/logger';
import { GraphError, type GraphClient } from './graph-client';

/**
 * The school's Handle with Care mailbox through Microsoft Graph, app-only (Mail.ReadWrite, and
 * Mail.Send for `send`; an application access policy should limit the app to these mailboxes):
 *
 *   changes     GET  /users/{mailbox}/mailFolders/inbox/messages/delta?$select=id
 *                    (Prefer: odata.maxpagesize=N), every @odata.nextLink, up to @odata.deltaLink;
 *                    later rounds start from that deltaLink. `@removed` entries (mail that left the
 *                    inbox) are left out. A deltaLink Graph no longer knows (410 Gone: its token
 *                    cache dropped it) starts a full round again: every mail still in the inbox.
 *   read        GET  /users/{mailbox}/messages/{id}?$select=subject,body,from,toRecipients,
 *                    ccRecipients,hasAttachments,receivedDateTime,internetMessageHeaders
 *                    &$expand=singleValueExtendedProperties($filter=id eq 'Integer 0x0E08' or id eq 'String 0x001A')
 *   permanentDelete  POST /users/{mailbox}/messages/{id}/permanentDelete (to the Purges folder of
 *                    Recoverable Items: never Deleted Items, where anyone with the mailbox could read it)
 *   moveToNotProcessed  GET /users/{mailbox}/mailFolders?$filter=displayName eq 'Niet verwerkt',
 *                    POST /users/{mailbox}/mailFolders when it is missing (a 409 from a creation that
 *                    raced another instance's: looked up again), then POST …/messages/{id}/move
 *   send        POST /users/{mailbox}/sendMail, a new plain-text mail, saveToSentItems false
 *
 * 'gone' (and `read`'s undefined) is a 404 with code ErrorItemNotFound only: any other 404 (an
 * unknown mailbox is ErrorInvalidUser) is an error, never a mail taken for handled. Errors are the
 * client's GraphErrors, whose messages name the route's shape only ('GET /users/{id}/messages/{id}'):
 * neither the mailbox nor the message id.
 *
 * Size: Graph v1.0 has no size property on a message; PR_MESSAGE_SIZE ('Integer 0x0E08') is read
 * as a single-value extended property, in the same request. When Exchange leaves it out, sizeBytes
 * is undefined (the body's length then decides).
 *
 * S/MIME: Exchange keeps an encrypted (or opaque-signed) mail as message class IPM.Note.SMIME and a
 * clear-signed one as IPM.Note.SMIME.MultipartSigned, each a single 'smime.p7m' attachment with
 * no readable body. `encrypted` is true when PR_MESSAGE_CLASS ('String 0x001A', read with the size)
 * is one of those, or when the top-level Content-Type among the transport headers is
 * application/pkcs7-mime (or x-pkcs7-mime), or multipart/signed with a pkcs7-signature protocol.
 * Either is enough; neither needs a request for the attachments.
 *
 * A sendMail that failed without an answer (a timeout, a 504) is tried again, as every request
 * is: a mail may then be sent twice, never not at all without an error.
 */

export const NOT_PROCESSED_FOLDER = 'Niet verwerkt';

/** PR_MESSAGE_SIZE and PR_MESSAGE_CLASS, as Graph names MAPI properties. */
const PR_MESSAGE_SIZE = 'Integer 0x0E08';
const PR_MESSAGE_CLASS = 'String 0x001A';

const MESSAGE_SELECT = [
  'subject',
  'body',
  'from',
  'toRecipients',
  'ccRecipients',
  'hasAttachments',
  'receivedDateTime',
  'internetMessageHeaders',
].join(',');
const MESSAGE_EXPAND = `singleValueExtendedProperties($filter=id eq '${PR_MESSAGE_SIZE}' or id eq '${PR_MESSAGE_CLASS}')`;

export interface GraphMailboxOptions {
  /** The folder (under the mailbox's root) for mail the bot does not take; default 'Niet verwerkt'. */
  notProcessedFolder?: string;
  /** Messages per page of a delta query (Prefer: odata.maxpagesize); default 50. */
  pageSize?: number;
  log?: Logger;
}

interface GraphRecipient {
  emailAddress?: { address?: string | null; name?: string | null } | null;
}

interface GraphMessage {
  id?: string;
  subject?: string | null;
  body?: { contentType?: string | null; content?: string | null } | null;
  from?: GraphRecipient | null;
  toRecipients?: GraphRecipient[] | null;
  ccRecipients?: GraphRecipient[] | null;
  hasAttachments?: boolean | null;
  receivedDateTime?: string | null;
  internetMessageHeaders?: Array<{ name?: string | null; value?: string | null }> | null;
  singleValueExtendedProperties?: Array<{ id?: string | null; value?: string | null }> | null;
}

interface DeltaItem {
  id?: string;
  '@removed'?: unknown;
}

interface GraphMailFolder {
  id?: string;
  displayName?: string | null;
}

export class GraphMailbox implements Mailbox {
  private readonly folderName: string;
  private readonly pageSize: number;
  /** The 'Niet verwerkt' folder's id per mailbox, once found or made. */
  private readonly folders = new Map<string, Promise<string>>();

  constructor(
    private readonly client: GraphClient,
    private readonly options: GraphMailboxOptions = {},
  ) {
    this.folderName = options.notProcessedFolder ?? NOT_PROCESSED_FOLDER;
    this.pageSize = options.pageSize ?? 50;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new RangeError('GraphMailbox: pageSize must be a positive whole number');
    }
  }

  async changes(mailbox: string, deltaLink: string | undefined): Promise<MailboxChanges> {
    const { client } = this;
    const { log } = this.options;
    const prefer = { headers: { Prefer: `odata.maxpagesize=${this.pageSize}` } };
    const firstRound = () =>
      client.getDelta<DeltaItem>(
        client.url(`${userPath(mailbox)}/mailFolders/inbox/messages/delta`, { $select: 'id' }),
        prefer,
      );
    let round;
    try {
      round = await (deltaLink === undefined ? firstRound() : client.getDelta<DeltaItem>(deltaLink, prefer));
    } catch (error) {
      // 410: Graph dropped the sync state (its delta token cache is not kept for ever). Once.
      if (!(error instanceof GraphError && error.status === 410)) throw error;
      log?.warn(
        { event: 'mailbox.delta-restarted' },
        'Mailbox delta state expired; reading the whole inbox again',
      );
      round = await firstRound();
    }
    const ids = new Set<string>();
    for (const item of round.items) {
      if (typeof item?.id !== 'string' || item.id === '') continue;
      // A removed one left the inbox (moved or deleted), also when it came in earlier this round.
      if (item['@removed'] !== undefined) ids.delete(item.id);
      else ids.add(item.id);
    }
    return { ids: [...ids], deltaLink: round.deltaLink };
  }

  async read(mailbox: string, id: string): Promise<InboxMail | undefined> {
    let message: GraphMessage;
    try {
      message = await this.client.get<GraphMessage>(
        `${userPath(mailbox)}/messages/${encodeURIComponent(id)}`,
        {
          $select: MESSAGE_SELECT,
          $expand: MESSAGE_EXPAND,
        },
      );
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
    const receivedAt = new Date(message.receivedDateTime ?? '');
    if (Number.isNaN(receivedAt.getTime())) {
      throw new GraphError(
        'invalid-response',
        200,
        'GET /users/{id}/messages/{id}: the message has no receivedDateTime',
      );
    }
    const headers = (message.internetMessageHeaders ?? []).filter(
      (h): h is { name: string; value: string } => typeof h?.name === 'string' && typeof h.value === 'string',
    );
    const authentication = headers
      .filter((h) => h.name.toLowerCase() === 'authentication-results')
      .map((h) => h.value);
    const properties = message.singleValueExtendedProperties ?? [];
    return {
      id,
      mailbox,
      recipients: [
        ...new Set(
          [...(message.toRecipients ?? []), ...(message.ccRecipients ?? [])]
            .map(addressOf)
            .filter((a) => a !== ''),
        ),
      ],
      from: addressOf(message.from),
      subject: message.subject ?? '',
      body: {
        contentType: message.body?.contentType?.toLowerCase() === 'html' ? 'html' : 'text',
        content: message.body?.content ?? '',
      },
      authenticationResults: authentication.length > 0 ? authentication.join('\n') : undefined,
      hasAttachments: message.hasAttachments === true,
      encrypted: isSmime(
        extendedProperty(properties, PR_MESSAGE_CLASS),
        headers.find((h) => h.name.toLowerCase() === 'content-type')?.value,
      ),
      sizeBytes: sizeOf(extendedProperty(properties, PR_MESSAGE_SIZE)),
      receivedAt,
    };
  }

  async permanentDelete(mailbox: string, id: string): Promise<'deleted' | 'gone'> {
    try {
      await this.client.post(
        `${userPath(mailbox)}/messages/${encodeURIComponent(id)}/permanentDelete`,
        undefined,
      );
      return 'deleted';
    } catch (error) {
      if (isGone(error)) return 'gone';
      throw error;
    }
  }

  async moveToNotProcessed(mailbox: string, id: string): Promise<'moved' | 'gone'> {
    const { client } = this;
    for (let attempt = 0; ; attempt += 1) {
      const folderId = await this.notProcessedFolderId(mailbox);
      try {
        await client.post(`${userPath(mailbox)}/messages/${encodeURIComponent(id)}/move`, {
          destinationId: folderId,
        });
        return 'moved';
      } catch (error) {
        if (!isGone(error)) throw error;
        // The mail is gone, or the folder is: someone deleted it since it was looked up.
        if (!(await this.exists(mailbox, id))) return 'gone';
        this.forgetFolder(mailbox);
        if (attempt >= 1) throw error;
      }
    }
  }

  async send(mailbox: string, to: string, subject: string, text: string): Promise<void> {
    await this.client.post(`${userPath(mailbox)}/sendMail`, {
      message: {
        subject,
        body: { contentType: 'Text', content: text },
        toRecipients: [{ emailAddress: { address: to } }],
      },
      saveToSentItems: false,
    });
  }

  private async exists(mailbox: string, id: string): Promise<boolean> {
    try {
      await this.client.get(`${userPath(mailbox)}/messages/${encodeURIComponent(id)}`, {
        $select: 'id',
      });
      return true;
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }

  /** The folder's id, looked up (or made) once per mailbox; a failed lookup is tried again next time. */
  private notProcessedFolderId(mailbox: string): Promise<string> {
    const key = mailbox.toLowerCase();
    let found = this.folders.get(key);
    if (!found) {
      const lookup = this.findOrMakeFolder(mailbox);
      found = lookup;
      this.folders.set(key, lookup);
      lookup.catch(() => {
        if (this.folders.get(key) === lookup) this.folders.delete(key);
      });
    }
    return found;
  }

  /** Looks the folder up again next time (at worst one lookup more, when another call already did). */
  private forgetFolder(mailbox: string): void {
    this.folders.delete(mailbox.toLowerCase());
  }

  private async findOrMakeFolder(mailbox: string): Promise<string> {
    const { client } = this;
    const { log } = this.options;
    const existing = await this.findFolder(mailbox);
    if (existing) return existing;
    try {
      const made = await client.postJson<GraphMailFolder>(`${userPath(mailbox)}/mailFolders`, {
        displayName: this.folderName,
      });
      if (typeof made?.id !== 'string' || made.id === '') {
        throw new GraphError(
          'invalid-response',
          201,
          'POST /users/{id}/mailFolders: the answer has no folder id',
        );
      }
      log?.info({ event: 'mailbox.folder-created' }, 'Mail folder for mail not processed created');
      return made.id;
    } catch (error) {
      // Made meanwhile by another instance (or by hand): use that one.
      if (!(error instanceof GraphError && error.status === 409)) throw error;
      const raced = await this.findFolder(mailbox);
      if (raced) return raced;
      throw error;
    }
  }

  private async findFolder(mailbox: string): Promise<string | undefined> {
    const folders = await this.client.getAll<GraphMailFolder>(`${userPath(mailbox)}/mailFolders`, {
      $filter: `displayName eq '${this.folderName.replace(/'/g, "''")}'`,
      $select: 'id,displayName',
    });
    const name = this.folderName.toLowerCase();
    const folder = folders.find((f) => typeof f?.id === 'string' && f.displayName?.toLowerCase() === name);
    return folder?.id;
  }
}

function userPath(mailbox: string): string {
  return `/users/${encodeURIComponent(mailbox)}`;
}

/** A message that is not there (any more): 404 ErrorItemNotFound, and nothing else. */
function isGone(error: unknown): boolean {
  return error instanceof GraphError && error.status === 404 && error.graphCode === 'ErrorItemNotFound';
}

function addressOf(recipient: GraphRecipient | null | undefined): string {
  const address = recipient?.emailAddress?.address;
  return typeof address === 'string' ? address.trim().toLowerCase() : '';
}

/**
 * A tagged property's id as Graph compares it: 'Integer 0x0E08' and 'Integer 0xe08' (as Graph writes
 * it back) are the same property.
 */
function normalizedPropertyId(id: string): string | undefined {
  const match = /^(\w+)\s+0x([0-9a-f]{1,4})$/i.exec(id.trim());
  return match ? `${match[1]!.toLowerCase()} 0x${parseInt(match[2]!, 16).toString(16)}` : undefined;
}

function extendedProperty(
  properties: ReadonlyArray<{ id?: string | null; value?: string | null }>,
  id: string,
): string | undefined {
  const wanted = normalizedPropertyId(id);
  const found = properties.find((p) => typeof p?.id === 'string' && normalizedPropertyId(p.id) === wanted);
  return typeof found?.value === 'string' ? found.value : undefined;
}

function sizeOf(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/** S/MIME by the message class, or by the top-level Content-Type of the transport headers. */
function isSmime(messageClass: string | undefined, contentType: string | undefined): boolean {
  if (messageClass !== undefined && /^ipm\.note\.smime(\.|$)/i.test(messageClass.trim())) return true;
  if (contentType === undefined) return false;
  const type = contentType.trim().toLowerCase();
  if (/^application\/(x-)?pkcs7-mime\b/.test(type)) return true;
  return /^multipart\/signed\b/.test(type) && /protocol\s*=\s*"?application\/(x-)?pkcs7-signature/.test(type);
}
