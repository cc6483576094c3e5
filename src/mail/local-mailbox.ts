import type { InboxMail, Mailbox, MailboxChanges } from '../app/ports';

/**
 * The Playground's demo mailbox: an in-memory `Mailbox` for `npm run playground` only
 * (scripts/playground-bot.ts passes it to `startApp({ mailbox })`). Production reads the schools'
 * mailboxes through Microsoft Graph (src/graph/graph-mailbox.ts); nothing else creates this class.
 *
 * It has the three places a mail can be: the Inbox, the folder 'Niet verwerkt', and `purged`
 * (permanently deleted, past Deleted Items: in no folder any more, only counted). Nothing is
 * written to disk, and the mails are gone with the process.
 *
 * DEMO STAND-IN FOR EXCHANGE ONLINE'S CHECK. A mail dropped from a file never went through mail
 * transport, so nobody checked SPF, DKIM or DMARC for it. In a real mailbox Exchange Online adds
 * the topmost `Authentication-Results` header on receipt, and the bot believes only that one
 * (src/domain/mail-sender.ts, `passedAuthentication`). To let the demo show both ways, `deliver`
 * stamps that header itself: `dmarc=pass ... header.from=<sender's domain>` when the `authenticates`
 * callback says the sender is allowed in the demo school, `dmarc=none` for anyone else. This proves
 * nothing about a sender and must never be used outside `npm run playground`.
 */
export interface LocalMailboxOptions {
  /** Whether the demo stand-in should say DMARC passed for this sender (an allowed sender of the demo school). */
  authenticates(from: string, mailboxAddress: string): boolean;
  /** Ids of delivered mails; default `local-1`, `local-2`, ... */
  newId?: () => string;
  clock?: () => Date;
}

/** What `deliver` takes: a mail as the drop script reads it from a file. */
export interface LocalMailInput {
  from: string;
  /** Default: the mailbox's own address. */
  to?: string[];
  subject: string;
  body: string;
  contentType?: 'text' | 'html';
}

/** Where the mails are now, for checks (ids only, never what they say). */
export interface LocalMailboxContents {
  inbox: string[];
  notProcessed: string[];
  /** How many were permanently deleted. */
  purged: number;
}

type Folder = 'inbox' | 'not-processed';

interface Stored {
  mail: InboxMail;
  folder: Folder;
  /** Delivery order: what a delta link continues from. */
  seq: number;
}

const DELTA_PREFIX = 'local-delta:';

export class LocalMailbox implements Mailbox {
  private readonly mails = new Map<string, Stored>();
  private readonly purgedIds = new Set<string>();
  private seq = 0;
  private ids = 0;
  private readonly newId: () => string;
  private readonly clock: () => Date;

  /** The mails `send` would have sent (receipts), kept for checks; never sent anywhere. */
  readonly sent: Array<{ mailbox: string; to: string; subject: string; text: string }> = [];

  constructor(private readonly options: LocalMailboxOptions) {
    this.newId = options.newId ?? (() => `local-${++this.ids}`);
    this.clock = options.clock ?? (() => new Date());
  }

  /** A mail arrives in the Inbox of `mailboxAddress`; returns its id. */
  deliver(mailboxAddress: string, input: LocalMailInput): string {
    const mailbox = mailboxAddress.toLowerCase();
    const from = input.from.trim().toLowerCase();
    const domain = from.slice(from.lastIndexOf('@') + 1);
    // The demo stand-in for Exchange Online's check (see above).
    const authenticationResults = this.options.authenticates(from, mailbox)
      ? `spf=pass (demo stand-in, npm run playground) smtp.mailfrom=${domain}; ` +
        `dkim=pass header.d=${domain}; dmarc=pass action=none header.from=${domain}`
      : `spf=none (demo stand-in, npm run playground) smtp.mailfrom=${domain}; ` +
        `dkim=none; dmarc=none action=none header.from=${domain}`;
    const id = this.newId();
    const content = input.body;
    this.mails.set(id, {
      folder: 'inbox',
      seq: ++this.seq,
      mail: {
        id,
        mailbox,
        recipients: (input.to && input.to.length > 0 ? input.to : [mailbox]).map((r) =>
          r.trim().toLowerCase(),
        ),
        from,
        subject: input.subject,
        body: { contentType: input.contentType ?? 'text', content },
        authenticationResults,
        hasAttachments: false,
        encrypted: false,
        sizeBytes: Buffer.byteLength(content, 'utf8') + Buffer.byteLength(input.subject, 'utf8'),
        receivedAt: this.clock(),
      },
    });
    return id;
  }

  /** Where every mail is now. */
  contents(mailboxAddress?: string): LocalMailboxContents {
    const box = mailboxAddress?.toLowerCase();
    const of = (folder: Folder) =>
      [...this.mails.values()]
        .filter((s) => s.folder === folder && (box === undefined || s.mail.mailbox === box))
        .map((s) => s.mail.id);
    return { inbox: of('inbox'), notProcessed: of('not-processed'), purged: this.purgedIds.size };
  }

  /** Where one mail is now: 'gone' when it never was here. */
  whereIs(id: string): 'inbox' | 'not-processed' | 'purged' | 'gone' {
    if (this.purgedIds.has(id)) return 'purged';
    return this.mails.get(id)?.folder ?? 'gone';
  }

  changes(mailbox: string, deltaLink: string | undefined): Promise<MailboxChanges> {
    const box = mailbox.toLowerCase();
    const after = deltaLink?.startsWith(DELTA_PREFIX) ? Number(deltaLink.slice(DELTA_PREFIX.length)) : 0;
    const ids = [...this.mails.values()]
      .filter((s) => s.folder === 'inbox' && s.mail.mailbox === box && s.seq > after)
      .sort((a, b) => a.seq - b.seq)
      .map((s) => s.mail.id);
    return Promise.resolve({ ids, deltaLink: `${DELTA_PREFIX}${this.seq}` });
  }

  read(mailbox: string, id: string): Promise<InboxMail | undefined> {
    const stored = this.find(mailbox, id);
    return Promise.resolve(stored ? { ...stored.mail, recipients: [...stored.mail.recipients] } : undefined);
  }

  permanentDelete(mailbox: string, id: string): Promise<'deleted' | 'gone'> {
    const stored = this.find(mailbox, id);
    if (!stored) return Promise.resolve('gone');
    this.mails.delete(id);
    this.purgedIds.add(id);
    return Promise.resolve('deleted');
  }

  moveToNotProcessed(mailbox: string, id: string): Promise<'moved' | 'gone'> {
    const stored = this.find(mailbox, id);
    if (!stored) return Promise.resolve('gone');
    // Graph gives a moved mail a new id; here it keeps its own, so the drop script can follow it.
    stored.folder = 'not-processed';
    return Promise.resolve('moved');
  }

  send(mailbox: string, to: string, subject: string, text: string): Promise<void> {
    this.sent.push({ mailbox: mailbox.toLowerCase(), to, subject, text });
    return Promise.resolve();
  }

  private find(mailbox: string, id: string): Stored | undefined {
    const stored = this.mails.get(id);
    return stored && stored.mail.mailbox === mailbox.toLowerCase() ? stored : undefined;
  }
}
