import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  closeServer,
  FAKE_GRAPH_TOKEN,
  listenAsGraph,
  openGraphRequest,
  type RecordedRequest,
} from './fake-graph';

/**
 * A fake of Microsoft Graph's mail API on 127.0.0.1, for tests of the mailbox adapter
 * (src/graph/graph-mailbox.ts). It holds mailboxes with folders and messages, checks the bearer
 * token, records every request (and its answer) and can be told to fail, and behaves as Microsoft
 * documents it where the adapter depends on it:
 *
 *   GET    /users/:m/mailFolders/:f/messages/delta     delta          a round of pages: `@odata.nextLink`
 *          ($skiptoken) until the last page, which has `@odata.deltaLink` ($deltatoken). The links
 *          are opaque: they name the mailbox by its user id and the folder as mailFolders('…'), like
 *          Graph's. Query options count on the first request only (Graph encodes them in the
 *          tokens); the page size is `Prefer: odata.maxpagesize=N` (default 10), on every request.
 *          A deltaLink gives what changed in the folder since: messages that came in (also moved in,
 *          with their new id), and `@removed` ({ reason: 'deleted' }) for ones that left it. An
 *          unknown or expired token answers 410 (SyncStateNotFound), after which a client starts over.
 *   GET    /users/:m/messages/:id                      message        `$select` picks properties;
 *          internetMessageHeaders only when selected, as Graph does. `$expand=singleValueExtendedProperties(
 *          $filter=id eq '…' or id eq '…')` gives PR_MESSAGE_SIZE ('Integer 0x0E08') and PR_MESSAGE_CLASS
 *          ('String 0x001A'), with the id as Graph writes it back ('Integer 0xe08'). 404 ErrorItemNotFound.
 *   DELETE /users/:m/messages/:id                      deleteMessage  moves it to Deleted Items (new id)
 *   POST   /users/:m/messages/:id/permanentDelete      permanentDelete 204; to Recoverable Items\Purges,
 *          in no mail folder any more
 *   POST   /users/:m/messages/:id/move                 move           { destinationId } (a folder id or a
 *          well-known name); 201 with the moved message, which has a new id
 *   GET    /users/:m/mailFolders                       listFolders    the folders under the root;
 *          `$filter=displayName eq '…'` (case-insensitive, as Exchange compares names)
 *   GET    /users/:m/mailFolders/:f/childFolders       childFolders   (msgfolderroot: the same as above)
 *   POST   /users/:m/mailFolders                       createFolder   201; 409 ErrorFolderExists
 *   POST   /users/:m/mailFolders/:f/childFolders       createFolder   the same, under folder :f
 *   POST   /users/:m/sendMail                          sendMail       202; kept in `sent`, and in
 *          Sent Items unless saveToSentItems is false
 *
 * A mailbox is named by its address (any case) or its user id; an unknown one answers 404
 * ErrorInvalidUser. Ids are URL-safe base64 like Graph's, with '-', '_' and '=' (a test may give
 * one with '/' and '+'). Errors have Graph's shape `{ "error": { "code", "message" } }`.
 *
 * S/MIME: Exchange keeps an encrypted or opaque-signed mail as class IPM.Note.SMIME, a clear-signed one as
 * IPM.Note.SMIME.MultipartSigned, each with a single attachment 'smime.p7m'; the transport headers
 * keep the top-level Content-Type (application/pkcs7-mime, or multipart/signed with protocol
 * application/pkcs7-signature). `deliver(…, { smime })` makes such a mail.
 */
export type GraphMailRoute =
  | 'delta'
  | 'message'
  | 'deleteMessage'
  | 'permanentDelete'
  | 'move'
  | 'listFolders'
  | 'childFolders'
  | 'createFolder'
  | 'sendMail';

export interface MailFailureRule {
  /** Which route fails; '*' for any. */
  route: GraphMailRoute | '*';
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  /** How many matching requests are answered first (default 0): a failure on a later page, say. */
  skip?: number;
  /** Sets `Retry-After` (seconds), as Graph does on 429 and 503. */
  retryAfterSeconds?: number;
  /** `error.code` in the body; defaults from the status. */
  code?: string;
}

export type RecordedMailRequest = RecordedRequest<GraphMailRoute>;

export interface EmailAddress {
  emailAddress: { name?: string; address: string };
}

export interface InternetMessageHeader {
  name: string;
  value: string;
}

export interface FakeAttachment {
  name: string;
  contentType: string;
}

/** A message as the fake keeps it; `id` changes when it is moved, as Graph's ids do. */
export interface FakeMessage {
  id: string;
  /** The folder holding it (a folder id). */
  folderId: string;
  internetMessageId: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  from: EmailAddress;
  toRecipients: EmailAddress[];
  ccRecipients: EmailAddress[];
  attachments: FakeAttachment[];
  receivedDateTime: string;
  /** Absent for a mail that never went through transport (Graph then leaves the property out). */
  internetMessageHeaders: InternetMessageHeader[] | undefined;
  messageClass: string;
  /** Undefined: the mail has no PR_MESSAGE_SIZE. */
  sizeBytes: number | undefined;
  isRead: boolean;
  /** The mailbox's change number when it last came into its folder or changed there. */
  changeNumber: number;
}

export interface FakeMailFolder {
  id: string;
  displayName: string;
  /** Undefined for the root (msgfolderroot). */
  parentFolderId: string | undefined;
  wellKnownName?: string;
}

/** What `deliver` takes; everything but `from` has a default. */
export interface FakeMailInput {
  from: string;
  /** Default: the mailbox's own address. */
  to?: string[];
  cc?: string[];
  subject?: string;
  /** A string is a text body. */
  body?: string | { contentType: 'text' | 'html'; content: string };
  /** Authentication-Results header(s), as the receiving server added them. */
  authenticationResults?: string | string[];
  /** More transport headers. */
  headers?: InternetMessageHeader[];
  /** A mail without transport headers (made in the mailbox, not received). */
  noHeaders?: boolean;
  attachments?: FakeAttachment[];
  /** An S/MIME mail: encrypted (or opaque-signed), or clear-signed. */
  smime?: 'encrypted' | 'signed';
  /** Overrides the class Exchange would give it ('IPM.Note', 'IPM.Note.SMIME', …). */
  messageClass?: string;
  /** PR_MESSAGE_SIZE; default the length of the headers and the body; null: Exchange gives none. */
  sizeBytes?: number | null;
  receivedAt?: Date;
  /** A given id (default a random base64 one). */
  id?: string;
  /** Another folder than the Inbox: a well-known name ('archive', 'junkemail', …). */
  folder?: string;
}

export interface SentMail {
  /** The mailbox it was sent from (its address). */
  from: string;
  message: unknown;
  saveToSentItems: unknown;
}

export interface FakeMailboxInfo {
  address: string;
  userId: string;
}

interface MailboxState extends FakeMailboxInfo {
  folders: Map<string, FakeMailFolder>;
  messages: Map<string, FakeMessage>;
  /** Recoverable Items\Purges: what permanentDelete took out of every mail folder. */
  purged: FakeMessage[];
  changeNumber: number;
  /** Every message that came into or left a folder, for delta queries. */
  changes: Array<{ changeNumber: number; folderId: string; id: string; kind: 'in' | 'out' }>;
}

/** A delta round under way: the items found at its first request, and how far it got. */
interface DeltaRound {
  mailbox: string;
  folderId: string;
  items: Array<Record<string, unknown>>;
  offset: number;
  select: string[] | undefined;
  /** The change number the round's deltaLink continues from. */
  upTo: number;
}

/** What a deltaLink continues from. */
interface DeltaState {
  mailbox: string;
  folderId: string;
  select: string[] | undefined;
  since: number;
}

const WELL_KNOWN_FOLDERS: Array<[string, string]> = [
  ['inbox', 'Inbox'],
  ['drafts', 'Drafts'],
  ['sentitems', 'Sent Items'],
  ['deleteditems', 'Deleted Items'],
  ['junkemail', 'Junk Email'],
  ['archive', 'Archive'],
  ['outbox', 'Outbox'],
];

/** The message properties this fake knows; a $select of any other one is a 400, as Graph's. */
const MESSAGE_PROPERTIES = [
  'id',
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'receivedDateTime',
  'sentDateTime',
  'hasAttachments',
  'internetMessageId',
  'subject',
  'bodyPreview',
  'importance',
  'parentFolderId',
  'conversationId',
  'isRead',
  'isDraft',
  'body',
  'sender',
  'from',
  'toRecipients',
  'ccRecipients',
  'bccRecipients',
  'replyTo',
  'flag',
  'internetMessageHeaders',
];
const NOT_BY_DEFAULT = new Set(['internetMessageHeaders']);

/** The extended properties the fake holds, by normalized id ('integer 0xe08'). */
const PR_MESSAGE_SIZE = 'integer 0xe08';
const PR_MESSAGE_CLASS = 'string 0x1a';

export class FakeGraphMail {
  readonly requests: RecordedMailRequest[] = [];
  /** Every mail sent with sendMail, in order. */
  readonly sent: SentMail[] = [];
  token: string;

  private readonly mailboxes = new Map<string, MailboxState>();
  private rules: Array<MailFailureRule & { remaining: number; toSkip: number }> = [];
  private hooks: Array<{ route: GraphMailRoute; action: () => void }> = [];
  private readonly rounds = new Map<string, DeltaRound>();
  private readonly deltaStates = new Map<string, DeltaState>();
  private server: Server | undefined;
  private origin: string | undefined;

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? FAKE_GRAPH_TOKEN;
  }

  /** The base URL, like https://graph.microsoft.com/v1.0 (no trailing '/'). */
  get url(): string {
    if (!this.origin) throw new Error('FakeGraphMail: not started');
    return `${this.origin}/v1.0`;
  }

  async start(): Promise<string> {
    if (!this.server)
      ({ server: this.server, origin: this.origin } = await listenAsGraph((req, res) =>
        this.handle(req, res),
      ));
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }

  /** A mailbox with the usual folders under its root (Inbox, Sent Items, Deleted Items, …). */
  addMailbox(address: string, userId: string = randomUUID()): FakeMailboxInfo {
    const key = address.toLowerCase();
    const existing = this.mailboxes.get(key);
    if (existing) return { address: existing.address, userId: existing.userId };
    const root: FakeMailFolder = {
      id: exchangeId(),
      displayName: 'Top of Information Store',
      parentFolderId: undefined,
      wellKnownName: 'msgfolderroot',
    };
    const folders = new Map<string, FakeMailFolder>([[root.id, root]]);
    for (const [wellKnownName, displayName] of WELL_KNOWN_FOLDERS) {
      const folder = { id: exchangeId(), displayName, parentFolderId: root.id, wellKnownName };
      folders.set(folder.id, folder);
    }
    this.mailboxes.set(key, {
      address: key,
      userId,
      folders,
      messages: new Map(),
      purged: [],
      changeNumber: 0,
      changes: [],
    });
    return { address: key, userId };
  }

  /** Puts a mail in the mailbox's Inbox (or `mail.folder`), as if it came in now. */
  deliver(address: string, mail: FakeMailInput): FakeMessage {
    const box = this.box(address);
    const inbox = this.wellKnown(box, mail.folder ?? 'inbox');
    const received = mail.receivedAt ?? new Date();
    const body =
      typeof mail.body === 'string' || mail.body === undefined
        ? { contentType: 'text' as const, content: mail.body ?? '' }
        : { ...mail.body };
    const smimeClass =
      mail.smime === 'encrypted'
        ? 'IPM.Note.SMIME'
        : mail.smime === 'signed'
          ? 'IPM.Note.SMIME.MultipartSigned'
          : 'IPM.Note';
    const attachments =
      mail.attachments ??
      (mail.smime === 'encrypted'
        ? [{ name: 'smime.p7m', contentType: 'application/pkcs7-mime' }]
        : mail.smime === 'signed'
          ? [{ name: 'smime.p7m', contentType: 'multipart/signed' }]
          : []);
    const to = mail.to ?? [box.address];
    const internetMessageId = `<${randomUUID()}@${mail.from.split('@')[1] ?? 'mail.example'}>`;
    const contentType =
      mail.smime === 'encrypted'
        ? 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
        : mail.smime === 'signed'
          ? `multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="${randomUUID()}"`
          : `${body.contentType === 'html' ? 'text/html' : 'text/plain'}; charset="utf-8"`;
    const authResults =
      mail.authenticationResults === undefined
        ? []
        : Array.isArray(mail.authenticationResults)
          ? mail.authenticationResults
          : [mail.authenticationResults];
    const headers: InternetMessageHeader[] | undefined = mail.noHeaders
      ? undefined
      : [
          { name: 'Received', value: `from mail.example by mx.outlook.example; ${received.toUTCString()}` },
          ...authResults.map((value) => ({ name: 'Authentication-Results', value })),
          { name: 'From', value: mail.from },
          { name: 'To', value: to.join(', ') },
          ...(mail.cc?.length ? [{ name: 'Cc', value: mail.cc.join(', ') }] : []),
          { name: 'Subject', value: mail.subject ?? '' },
          { name: 'Date', value: received.toUTCString() },
          { name: 'Message-ID', value: internetMessageId },
          { name: 'MIME-Version', value: '1.0' },
          { name: 'Content-Type', value: contentType },
          ...(mail.headers ?? []),
        ];
    const headerBytes = (headers ?? []).reduce(
      (n, h) => n + Buffer.byteLength(`${h.name}: ${h.value}\r\n`),
      0,
    );
    box.changeNumber += 1;
    const message: FakeMessage = {
      id: mail.id ?? exchangeId(),
      folderId: inbox.id,
      internetMessageId,
      subject: mail.subject ?? '',
      body,
      from: { emailAddress: { address: mail.from } },
      toRecipients: to.map((a) => ({ emailAddress: { address: a } })),
      ccRecipients: (mail.cc ?? []).map((a) => ({ emailAddress: { address: a } })),
      attachments,
      receivedDateTime: graphDate(received),
      internetMessageHeaders: headers,
      messageClass: mail.messageClass ?? smimeClass,
      sizeBytes:
        mail.sizeBytes === null
          ? undefined
          : (mail.sizeBytes ?? headerBytes + Buffer.byteLength(body.content)),
      isRead: false,
      changeNumber: box.changeNumber,
    };
    if (box.messages.has(message.id)) throw new Error(`FakeGraphMail: id ${message.id} is taken`);
    box.messages.set(message.id, message);
    box.changes.push({ changeNumber: box.changeNumber, folderId: inbox.id, id: message.id, kind: 'in' });
    return message;
  }

  /** Makes a folder (under the root by default), as someone in Outlook (or another instance) would. */
  createFolder(address: string, displayName: string, parent = 'msgfolderroot'): FakeMailFolder {
    const box = this.box(address);
    const parentFolder = this.folder(box, parent);
    if (!parentFolder) throw new Error(`FakeGraphMail: no folder ${parent}`);
    const folder = { id: exchangeId(), displayName, parentFolderId: parentFolder.id };
    box.folders.set(folder.id, folder);
    return folder;
  }

  /** Deletes a folder (with what it holds) under the root, as someone in Outlook might. */
  deleteFolder(address: string, displayName: string): void {
    const box = this.box(address);
    const root = this.wellKnown(box, 'msgfolderroot');
    const folder = [...box.folders.values()].find(
      (f) => f.parentFolderId === root.id && f.displayName.toLowerCase() === displayName.toLowerCase(),
    );
    if (!folder || folder.wellKnownName) throw new Error('FakeGraphMail: no such folder to delete');
    box.folders.delete(folder.id);
    for (const message of [...box.messages.values()]) {
      if (message.folderId === folder.id) box.messages.delete(message.id);
    }
  }

  /** The display name of the mail folder holding the message with this id; undefined when none does. */
  folderOf(address: string, id: string): string | undefined {
    const box = this.box(address);
    const message = box.messages.get(id);
    return message ? box.folders.get(message.folderId)?.displayName : undefined;
  }

  /** The display names of the mail folders holding a message that matches (ids change on a move). */
  foldersHolding(address: string, predicate: (message: FakeMessage) => boolean): string[] {
    return this.allMessages(address)
      .filter(({ message }) => predicate(message))
      .map(({ folder }) => folder);
  }

  /** Every message in every mail folder, with its folder's display name. */
  allMessages(address: string): Array<{ folder: string; message: FakeMessage }> {
    const box = this.box(address);
    return [...box.messages.values()].map((message) => ({
      folder: box.folders.get(message.folderId)?.displayName ?? '?',
      message,
    }));
  }

  /** What permanentDelete put in Recoverable Items\Purges (no mail folder, no client sees it). */
  purged(address: string): FakeMessage[] {
    return [...this.box(address).purged];
  }

  /** The mailbox's folders, root included. */
  folders(address: string): FakeMailFolder[] {
    return [...this.box(address).folders.values()];
  }

  /** Marks a message read: a change a delta query reports (as the message, not as new). */
  markRead(address: string, id: string): void {
    const box = this.box(address);
    const message = box.messages.get(id);
    if (!message) throw new Error('FakeGraphMail: no such message');
    box.changeNumber += 1;
    message.isRead = true;
    message.changeNumber = box.changeNumber;
    box.changes.push({ changeNumber: box.changeNumber, folderId: message.folderId, id, kind: 'in' });
  }

  /** Forgets every delta and skip token of a mailbox: the next use answers 410, as an expired one. */
  expireDeltaTokens(address: string): void {
    const key = this.box(address).address;
    for (const [token, state] of this.deltaStates) if (state.mailbox === key) this.deltaStates.delete(token);
    for (const [token, round] of this.rounds) if (round.mailbox === key) this.rounds.delete(token);
  }

  /** Scripts a failure for the next matching request(s). Rules are consulted in the order added. */
  failNext(rule: MailFailureRule): this {
    this.rules.push({ ...rule, remaining: rule.times ?? 1, toSkip: rule.skip ?? 0 });
    return this;
  }

  /** Runs `action` once, just before the next request to `route` is handled (a race, say). */
  beforeNext(route: GraphMailRoute, action: () => void): this {
    this.hooks.push({ route, action });
    return this;
  }

  requestsTo(route: GraphMailRoute): RecordedMailRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  /** Forgets recorded requests, sent mail, scripted failures and hooks (mailboxes stay). */
  reset(): void {
    this.requests.length = 0;
    this.sent.length = 0;
    this.rules = [];
    this.hooks = [];
  }

  /** Forgets everything, mailboxes too. */
  clear(): void {
    this.reset();
    this.mailboxes.clear();
    this.rounds.clear();
    this.deltaStates.clear();
  }

  private box(address: string): MailboxState {
    const box = this.mailboxes.get(address.toLowerCase());
    if (!box) throw new Error('FakeGraphMail: no such mailbox');
    return box;
  }

  /** A mailbox by the path segment Graph takes: its address (any case) or its user id. */
  private mailboxBy(segment: string): MailboxState | undefined {
    const byAddress = this.mailboxes.get(segment.toLowerCase());
    if (byAddress) return byAddress;
    return [...this.mailboxes.values()].find((b) => b.userId === segment);
  }

  private wellKnown(box: MailboxState, name: string): FakeMailFolder {
    const folder = [...box.folders.values()].find((f) => f.wellKnownName === name);
    if (!folder) throw new Error(`FakeGraphMail: no ${name}`);
    return folder;
  }

  /** A folder by its id or its well-known name (case-insensitive, as Graph takes them). */
  private folder(box: MailboxState, idOrName: string): FakeMailFolder | undefined {
    return (
      box.folders.get(idOrName) ??
      [...box.folders.values()].find((f) => f.wellKnownName === idOrName.toLowerCase())
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const exchange = await openGraphRequest(req, res, this.token, this.requests);
    if (!exchange) return;
    const { url: parsed, method, record, answer, fail } = exchange;

    let segments: string[];
    try {
      segments = pathSegments(parsed.pathname);
    } catch {
      return fail(400, 'BadRequest', 'Malformed path');
    }
    if (segments.shift() !== 'v1.0') return fail(404, 'NotFound', 'Unknown version');
    const route = routeOf(method, segments);
    if (!route) return fail(400, 'BadRequest', 'Resource not found for the segment.');
    record.route = route;

    const rule = this.rules.find((r) => r.remaining > 0 && (r.route === '*' || r.route === route));
    if (rule && rule.toSkip > 0) {
      rule.toSkip -= 1;
    } else if (rule) {
      rule.remaining -= 1;
      const headers: Record<string, string> =
        rule.retryAfterSeconds !== undefined ? { 'retry-after': String(rule.retryAfterSeconds) } : {};
      return fail(rule.status, rule.code ?? codeFor(rule.status), 'Scripted failure', headers);
    }
    const hook = this.hooks.findIndex((h) => h.route === route);
    if (hook >= 0) this.hooks.splice(hook, 1)[0]?.action();

    const box = this.mailboxBy(segments[1]!);
    if (!box) return fail(404, 'ErrorInvalidUser', 'The requested user is invalid.');
    const body = (record.body ?? {}) as Record<string, unknown>;

    switch (route) {
      case 'delta':
        return this.delta(box, segments[3]!, parsed, req.headers, answer, fail);
      case 'message': {
        const message = box.messages.get(segments[3]!);
        if (!message)
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        const select = selectOf(parsed);
        if (typeof select === 'string') return fail(400, 'RequestBroker--ParseUri', select);
        const expand = expandOf(parsed.searchParams.get('$expand'));
        if (typeof expand === 'string') return fail(400, 'BadRequest', expand);
        return answer(200, {
          '@odata.context': `${this.url}/$metadata#users('${box.userId}')/messages/$entity`,
          ...render(message, select, expand),
        });
      }
      case 'deleteMessage': {
        const message = box.messages.get(segments[3]!);
        if (!message)
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        this.moveMessage(box, message, this.wellKnown(box, 'deleteditems'));
        return answer(204);
      }
      case 'permanentDelete': {
        const message = box.messages.get(segments[3]!);
        if (!message)
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        box.messages.delete(message.id);
        box.changeNumber += 1;
        box.changes.push({
          changeNumber: box.changeNumber,
          folderId: message.folderId,
          id: message.id,
          kind: 'out',
        });
        box.purged.push({ ...message, folderId: 'Purges' });
        return answer(204);
      }
      case 'move': {
        const message = box.messages.get(segments[3]!);
        if (!message)
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        const destinationId = body.destinationId;
        if (typeof destinationId !== 'string' || destinationId === '') {
          return fail(400, 'ErrorInvalidRequest', 'destinationId is required.');
        }
        const destination = this.folder(box, destinationId);
        if (!destination || destination.wellKnownName === 'msgfolderroot') {
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        }
        const moved = this.moveMessage(box, message, destination);
        return answer(201, {
          '@odata.context': `${this.url}/$metadata#users('${box.userId}')/messages/$entity`,
          ...render(moved, undefined, []),
        });
      }
      case 'listFolders':
      case 'childFolders': {
        const parent =
          route === 'listFolders' ? this.wellKnown(box, 'msgfolderroot') : this.folder(box, segments[3]!);
        if (!parent)
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        let children = [...box.folders.values()].filter((f) => f.parentFolderId === parent.id);
        const filter = parsed.searchParams.get('$filter');
        if (filter !== null) {
          const match = /^displayName eq '((?:[^']|'')*)'$/.exec(filter);
          if (!match) return fail(400, 'ErrorInvalidUrlQueryFilter', 'Unsupported filter.');
          const name = match[1]!.replace(/''/g, "'").toLowerCase();
          children = children.filter((f) => f.displayName.toLowerCase() === name);
        }
        return this.folderPage(box, children, parsed, answer);
      }
      case 'createFolder': {
        const parent =
          segments.length === 3 ? this.wellKnown(box, 'msgfolderroot') : this.folder(box, segments[3]!);
        if (!parent)
          return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        const displayName = body.displayName;
        if (typeof displayName !== 'string' || displayName.trim() === '') {
          return fail(400, 'ErrorInvalidRequest', 'displayName is required.');
        }
        const taken = [...box.folders.values()].some(
          (f) => f.parentFolderId === parent.id && f.displayName.toLowerCase() === displayName.toLowerCase(),
        );
        if (taken) return fail(409, 'ErrorFolderExists', 'A folder with the specified name already exists.');
        const folder = { id: exchangeId(), displayName, parentFolderId: parent.id };
        box.folders.set(folder.id, folder);
        return answer(201, {
          '@odata.context': `${this.url}/$metadata#users('${box.userId}')/mailFolders/$entity`,
          ...this.renderFolder(box, folder),
        });
      }
      case 'sendMail': {
        const message = body.message as
          { toRecipients?: Array<{ emailAddress?: { address?: unknown } }> } | undefined;
        if (typeof message !== 'object' || message === null) {
          return fail(400, 'ErrorInvalidRequest', 'message is required.');
        }
        const recipients = message.toRecipients;
        if (
          !Array.isArray(recipients) ||
          recipients.length === 0 ||
          recipients.some(
            (r) => typeof r?.emailAddress?.address !== 'string' || !r.emailAddress.address.includes('@'),
          )
        ) {
          return fail(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
        }
        this.sent.push({ from: box.address, message, saveToSentItems: body.saveToSentItems });
        if (body.saveToSentItems !== false) {
          const m = message as { subject?: string; body?: { contentType?: string; content?: string } };
          box.changeNumber += 1;
          const copy: FakeMessage = {
            id: exchangeId(),
            folderId: this.wellKnown(box, 'sentitems').id,
            internetMessageId: `<${randomUUID()}@${box.address.split('@')[1]}>`,
            subject: m.subject ?? '',
            body: {
              contentType: m.body?.contentType?.toLowerCase() === 'html' ? 'html' : 'text',
              content: m.body?.content ?? '',
            },
            from: { emailAddress: { address: box.address } },
            toRecipients: recipients as EmailAddress[],
            ccRecipients: [],
            attachments: [],
            receivedDateTime: graphDate(new Date()),
            internetMessageHeaders: undefined,
            messageClass: 'IPM.Note',
            sizeBytes: Buffer.byteLength(m.body?.content ?? ''),
            isRead: true,
            changeNumber: box.changeNumber,
          };
          box.messages.set(copy.id, copy);
          box.changes.push({
            changeNumber: box.changeNumber,
            folderId: copy.folderId,
            id: copy.id,
            kind: 'in',
          });
        }
        return answer(202);
      }
    }
  }

  /** Moves a message to another folder; it gets a new id there, as it does in Exchange. */
  private moveMessage(box: MailboxState, message: FakeMessage, destination: FakeMailFolder): FakeMessage {
    box.messages.delete(message.id);
    box.changeNumber += 1;
    box.changes.push({
      changeNumber: box.changeNumber,
      folderId: message.folderId,
      id: message.id,
      kind: 'out',
    });
    box.changeNumber += 1;
    const moved: FakeMessage = {
      ...message,
      id: exchangeId(),
      folderId: destination.id,
      changeNumber: box.changeNumber,
    };
    box.messages.set(moved.id, moved);
    box.changes.push({ changeNumber: box.changeNumber, folderId: destination.id, id: moved.id, kind: 'in' });
    return moved;
  }

  private delta(
    box: MailboxState,
    folderSegment: string,
    parsed: URL,
    headers: IncomingHttpHeaders,
    answer: (status: number, body?: unknown) => void,
    fail: (status: number, code: string, message: string) => void,
  ): void {
    const folder = this.folder(box, folderSegment);
    if (!folder) return fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const prefer = /odata\.maxpagesize=(\d+)/i.exec(String(headers.prefer ?? ''));
    const pageSize = prefer ? Math.max(1, Number(prefer[1])) : 10;
    const skipToken = parsed.searchParams.get('$skiptoken');
    const deltaToken = parsed.searchParams.get('$deltatoken');

    let round: DeltaRound;
    if (skipToken !== null) {
      const found = this.rounds.get(skipToken);
      if (!found || found.mailbox !== box.address || found.folderId !== folder.id) {
        return fail(410, 'SyncStateNotFound', 'The sync state is not found. Synchronize again.');
      }
      round = found;
    } else {
      let since = 0;
      let select: string[] | undefined;
      if (deltaToken !== null) {
        const state = this.deltaStates.get(deltaToken);
        if (!state || state.mailbox !== box.address || state.folderId !== folder.id) {
          return fail(410, 'SyncStateNotFound', 'The sync state is not found. Synchronize again.');
        }
        since = state.since;
        select = state.select;
      } else {
        const selected = selectOf(parsed);
        if (typeof selected === 'string') return fail(400, 'RequestBroker--ParseUri', selected);
        select = selected;
      }
      round = {
        mailbox: box.address,
        folderId: folder.id,
        items: this.changesIn(box, folder, since, select, deltaToken !== null),
        offset: 0,
        select,
        upTo: box.changeNumber,
      };
    }

    const value = round.items.slice(round.offset, round.offset + pageSize);
    const link = (query: string) =>
      `${this.url}/users/${box.userId}/mailFolders('${folder.id}')/messages/delta?${query}`;
    const page: Record<string, unknown> = {
      '@odata.context': `${this.url}/$metadata#Collection(message)`,
      value,
    };
    if (round.offset + pageSize < round.items.length) {
      const token = opaqueToken();
      this.rounds.set(token, { ...round, offset: round.offset + pageSize });
      page['@odata.nextLink'] = link(`$skiptoken=${encodeURIComponent(token)}`);
    } else {
      const token = opaqueToken();
      this.deltaStates.set(token, {
        mailbox: box.address,
        folderId: folder.id,
        select: round.select,
        since: round.upTo,
      });
      page['@odata.deltaLink'] = link(`$deltatoken=${encodeURIComponent(token)}`);
    }
    answer(200, page);
  }

  /**
   * A round's items: every message in the folder (a first round), or what changed since `since`:
   * messages in the folder that came in or changed since, and `@removed` for ones that left it.
   */
  private changesIn(
    box: MailboxState,
    folder: FakeMailFolder,
    since: number,
    select: string[] | undefined,
    incremental: boolean,
  ): Array<Record<string, unknown>> {
    const present = [...box.messages.values()]
      .filter((m) => m.folderId === folder.id && m.changeNumber > since)
      .sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime))
      .map((m) => ({ '@odata.type': '#microsoft.graph.message', ...render(m, select, []) }));
    if (!incremental) return present;
    const left = new Set(
      box.changes
        .filter((c) => c.changeNumber > since && c.folderId === folder.id && c.kind === 'out')
        .map((c) => c.id),
    );
    const removed = [...left]
      .filter((id) => box.messages.get(id)?.folderId !== folder.id)
      .map((id) => ({ '@odata.type': '#microsoft.graph.message', id, '@removed': { reason: 'deleted' } }));
    return [...removed, ...present];
  }

  private folderPage(
    box: MailboxState,
    folders: FakeMailFolder[],
    parsed: URL,
    answer: (status: number, body?: unknown) => void,
  ): void {
    const top = Number(parsed.searchParams.get('$top') ?? '10');
    const offset = Number(parsed.searchParams.get('$skip') ?? '0');
    const value = folders.slice(offset, offset + top).map((f) => this.renderFolder(box, f));
    const page: Record<string, unknown> = {
      '@odata.context': `${this.url}/$metadata#users('${box.userId}')/mailFolders`,
      value,
    };
    if (offset + top < folders.length) {
      const next = new URL(parsed.pathname + parsed.search, this.origin);
      next.searchParams.set('$skip', String(offset + top));
      page['@odata.nextLink'] = next.toString();
    }
    answer(200, page);
  }

  private renderFolder(box: MailboxState, folder: FakeMailFolder): Record<string, unknown> {
    const held = [...box.messages.values()].filter((m) => m.folderId === folder.id);
    return {
      id: folder.id,
      displayName: folder.displayName,
      parentFolderId: folder.parentFolderId ?? null,
      childFolderCount: [...box.folders.values()].filter((f) => f.parentFolderId === folder.id).length,
      unreadItemCount: held.filter((m) => !m.isRead).length,
      totalItemCount: held.length,
      isHidden: false,
    };
  }
}

/** Which extended properties to expand, by normalized id; a string is an error message. */
type Expand = string[];

/** A message as Graph writes it: `select` picks properties (id always), `expand` adds extended ones. */
function render(message: FakeMessage, select: string[] | undefined, expand: Expand): Record<string, unknown> {
  const all: Record<string, unknown> = {
    id: message.id,
    createdDateTime: message.receivedDateTime,
    lastModifiedDateTime: message.receivedDateTime,
    changeKey: `CQAAAB${message.changeNumber}`,
    categories: [],
    receivedDateTime: message.receivedDateTime,
    sentDateTime: message.receivedDateTime,
    hasAttachments: message.attachments.length > 0,
    internetMessageId: message.internetMessageId,
    subject: message.subject,
    bodyPreview: message.body.content.slice(0, 255),
    importance: 'normal',
    parentFolderId: message.folderId,
    conversationId: `AAQkA${message.internetMessageId.length}`,
    isRead: message.isRead,
    isDraft: false,
    body: { ...message.body },
    sender: message.from,
    from: message.from,
    toRecipients: message.toRecipients,
    ccRecipients: message.ccRecipients,
    bccRecipients: [],
    replyTo: [],
    flag: { flagStatus: 'notFlagged' },
    internetMessageHeaders: message.internetMessageHeaders,
  };
  const picked: Record<string, unknown> = { '@odata.etag': `W/"CQAAAB${message.changeNumber}"` };
  const fields = select ?? MESSAGE_PROPERTIES.filter((p) => !NOT_BY_DEFAULT.has(p));
  for (const field of ['id', ...fields]) {
    // Graph leaves out internetMessageHeaders when the item has none.
    if (all[field] !== undefined) picked[field] = all[field];
  }
  const extended = expand
    .map((id) =>
      id === PR_MESSAGE_SIZE && message.sizeBytes !== undefined
        ? { id: 'Integer 0xe08', value: String(message.sizeBytes) }
        : id === PR_MESSAGE_CLASS
          ? { id: 'String 0x1a', value: message.messageClass }
          : undefined,
    )
    .filter((p) => p !== undefined);
  if (extended.length > 0) picked.singleValueExtendedProperties = extended;
  return picked;
}

/** `$select` as a list; a string is the error for a property the message type does not have. */
function selectOf(parsed: URL): string[] | undefined | string {
  const raw = parsed.searchParams.get('$select');
  if (raw === null) return undefined;
  const fields = raw
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = fields.find((f) => !MESSAGE_PROPERTIES.includes(f));
  return unknown === undefined
    ? fields
    : `Could not find a property named '${unknown}' on type 'microsoft.graph.message'.`;
}

/**
 * `$expand=singleValueExtendedProperties($filter=id eq '…' or id eq '…')`: the normalized ids asked
 * for ('Integer 0x0E08' → 'integer 0xe08'). A string is an error message.
 */
function expandOf(raw: string | null): Expand | string {
  if (raw === null) return [];
  const match = /^singleValueExtendedProperties\(\$filter=(.+)\)$/.exec(raw.trim());
  if (!match) return 'Unsupported $expand.';
  const ids: string[] = [];
  for (const term of match[1]!.split(/\s+or\s+/)) {
    const eq = /^id eq '([^']+)'$/.exec(term.trim());
    const id = eq ? normalizePropertyId(eq[1]!) : undefined;
    if (!id) return 'Unsupported filter on singleValueExtendedProperties.';
    ids.push(id);
  }
  return ids;
}

/** 'Integer 0x0E08' → 'integer 0xe08', as Graph compares (and writes back) a tagged property's id. */
function normalizePropertyId(id: string): string | undefined {
  const match = /^(\w+)\s+0x([0-9a-f]{1,4})$/i.exec(id.trim());
  return match ? `${match[1]!.toLowerCase()} 0x${parseInt(match[2]!, 16).toString(16)}` : undefined;
}

/** The path's segments, decoded; `mailFolders('id')` becomes 'mailFolders', 'id', as Graph reads it. */
function pathSegments(pathname: string): string[] {
  const out: string[] = [];
  for (const raw of pathname.split('/').filter((s) => s !== '')) {
    const segment = decodeURIComponent(raw);
    const keyed = /^(\w+)\('(.*)'\)$/.exec(segment);
    if (keyed) out.push(keyed[1]!, keyed[2]!.replace(/''/g, "'"));
    else out.push(segment);
  }
  return out;
}

/** Segments after 'v1.0': users, :mailbox, … (names compared case-insensitively, as Graph does). */
function routeOf(method: string, s: string[]): GraphMailRoute | undefined {
  if (s[0]?.toLowerCase() !== 'users' || s.length < 3) return undefined;
  const words = s.map((w) => w.toLowerCase());
  const rest = words.slice(2);
  const shape = (pattern: Array<string | null>): boolean =>
    rest.length === pattern.length && pattern.every((p, i) => p === null || p === rest[i]);
  if (method === 'GET' && shape(['mailfolders', null, 'messages', 'delta'])) return 'delta';
  if (method === 'GET' && shape(['messages', null])) return 'message';
  if (method === 'DELETE' && shape(['messages', null])) return 'deleteMessage';
  if (method === 'POST' && shape(['messages', null, 'permanentdelete'])) return 'permanentDelete';
  if (method === 'POST' && shape(['messages', null, 'move'])) return 'move';
  if (method === 'GET' && shape(['mailfolders'])) return 'listFolders';
  if (method === 'GET' && shape(['mailfolders', null, 'childfolders'])) return 'childFolders';
  if (method === 'POST' && (shape(['mailfolders']) || shape(['mailfolders', null, 'childfolders']))) {
    return 'createFolder';
  }
  if (method === 'POST' && shape(['sendmail'])) return 'sendMail';
  return undefined;
}

/** An id like Graph's: Exchange's base64 in its URL-safe form ('-', '_'), with '=' padding, starting 'AAMk'. */
function exchangeId(): string {
  return `AAMkAGI2${randomBytes(33).toString('base64url')}AAA=`;
}

function opaqueToken(): string {
  return randomBytes(18).toString('base64url');
}

/** Graph writes dates without milliseconds: 2024-03-04T07:15:00Z. */
function graphDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function codeFor(status: number): string {
  if (status === 400) return 'BadRequest';
  if (status === 401) return 'InvalidAuthenticationToken';
  if (status === 403) return 'ErrorAccessDenied';
  if (status === 404) return 'ErrorItemNotFound';
  if (status === 409) return 'ErrorFolderExists';
  if (status === 410) return 'SyncStateNotFound';
  if (status === 429) return 'ApplicationThrottled';
  if (status === 503) return 'ServiceNotAvailable';
  if (status === 504) return 'GatewayTimeout';
  return 'InternalServerError';
}
