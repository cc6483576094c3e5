/**
 * The Playground's demo mailbox, as `npm run playground` (scripts/playground-bot.ts) and
 * `npm run playground:mail` (scripts/playground-mail.ts) and the end-to-end suite share it: the
 * demo mail file format, where a run says how to reach its drop point, and the drop itself.
 * Only node built-ins are used here.
 *
 * The drop point is a small HTTP server on 127.0.0.1 (a free port) that only the playground's bot
 * process serves, never the product (`npm start`, `npm run dev`). Its port and a random token are
 * written to `mail-drop.json` in the run's temporary folder (readable by this user only, deleted
 * when the run stops).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { findRecording } from './playground-settings';

/** The file in the run's temporary folder that says where the drop point listens. */
export const MAIL_DROP_FILE = 'mail-drop.json';
/** The environment variable scripts/playground.ts sets for the bot: the path of that file. */
export const MAIL_DROP_FILE_ENV = 'HWC_PLAYGROUND_MAIL_DROP_FILE';

/** A demo mail: what `deliver` of src/mail/local-mailbox.ts takes. */
export interface DemoMail {
  from: string;
  to?: string[];
  subject: string;
  body: string;
  contentType?: 'text' | 'html';
}

/** What the drop point answers: where the mail is after the bot read the mailbox. */
export interface DropResult {
  /** taken: its signal was stored, a card posted and the mail permanently deleted. */
  /** 'awaiting-confirmation': read without certainty, it waits in the Inbox for a coordinator's card. */
  outcome: 'taken' | 'awaiting-confirmation' | 'not-processed' | 'still-in-inbox';
  /** Why it went to 'Niet verwerkt' (src/domain/mail-sender.ts, `mailRefusals`), when known. */
  reason?: string;
  /** Where every mail of the demo mailbox is now (ids only). */
  contents: { inbox: string[]; notProcessed: string[]; purged: number };
}

export interface DropPoint {
  port: number;
  token: string;
}

/**
 * A demo mail file: header lines `From:`, `To:` (optional, comma-separated; default the demo
 * mailbox), `Subject:` and `Content-Type:` (optional, `text/plain` or `text/html`), then a blank
 * line, then the body. Lines starting with `#` before the headers are comments.
 */
export function parseDemoMail(text: string): DemoMail {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headers = new Map<string, string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') break;
    if (line.startsWith('#')) continue;
    const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (!match) throw new Error(`line ${i + 1}: expected 'Name: value' or a blank line before the body`);
    headers.set((match[1] as string).toLowerCase(), (match[2] as string).trim());
  }
  const from = headers.get('from');
  if (!from) throw new Error("the mail has no 'From:' line");
  const subject = headers.get('subject') ?? '';
  const to = headers
    .get('to')
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const type = headers.get('content-type')?.toLowerCase();
  if (type !== undefined && !/^text\/(plain|html)\b/.test(type)) {
    throw new Error(`Content-Type must be text/plain or text/html, not '${type}'`);
  }
  return {
    // 'Name <address>' or an address alone.
    from: /<([^>]+)>/.exec(from)?.[1] ?? from,
    ...(to && to.length > 0 ? { to: to.map((t) => /<([^>]+)>/.exec(t)?.[1] ?? t) } : {}),
    subject,
    body: lines.slice(i + 1).join('\n'),
    ...(type?.startsWith('text/html') ? { contentType: 'html' as const } : {}),
  };
}

/** Where the running `npm run playground` on this Playground port listens for mail, if it runs. */
export function findDropPoint(playgroundPort: number): DropPoint | undefined {
  const recording = findRecording(playgroundPort);
  if (!recording) return undefined;
  try {
    return JSON.parse(readFileSync(path.join(path.dirname(recording), MAIL_DROP_FILE), 'utf8')) as DropPoint;
  } catch {
    return undefined;
  }
}

/** Drops the mail into the demo mailbox and has the bot read it now; resolves with where it went. */
export function dropMail(point: DropPoint, mail: DemoMail): Promise<DropResult> {
  const body = JSON.stringify(mail);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: point.port,
        path: '/mail',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${point.token}`,
        },
        timeout: 60_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`the demo mailbox answered ${res.statusCode}: ${text}`));
            return;
          }
          try {
            resolve(JSON.parse(text) as DropResult);
          } catch (error) {
            reject(error as Error);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the demo mailbox did not answer in 60 s')));
    req.on('error', reject);
    req.end(body);
  });
}
