/**
 * The bot as `npm run playground` starts it: `src/index.ts`'s `startApp`, with the Playground's
 * demo mailbox (src/mail/local-mailbox.ts) in place of the schools' mailboxes in Microsoft Graph,
 * and a drop point for demo mails on 127.0.0.1 (scripts/playground-mailbox.ts) that
 * `npm run playground:mail -- <file>` posts to. Never used outside `npm run playground`: the
 * product starts from src/index.ts, which serves neither.
 *
 * The drop point (POST /mail, with the run's token) delivers the mail to the demo mailbox, has the
 * bot read the mailboxes now (`pollMail()`), and answers where the mail went: taken (its card is
 * in the coordinator's chat and the mail permanently deleted), waiting for a coordinator to confirm
 * it, or 'Niet verwerkt' with the reason.
 * It logs nothing of the mail; the bot's own log lines are what they always are.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { allowedSourceOf } from '../src/domain/mail-sender';
import { startApp, type RunningApp } from '../src/index';
import { createLogger, newCorrelationId } from '../src/logging/logger';
import { mailDraftId } from '../src/domain/mail-draft';
import { LocalMailbox } from '../src/mail/local-mailbox';
import { MAIL_DROP_FILE_ENV, type DemoMail, type DropResult } from './playground-mailbox';

const MAX_MAIL_BYTES = 1024 * 1024;
/** The bot's log message when it leaves a mail for a person (src/app/mail-intake.ts). */
const LEFT_FOR_A_PERSON = 'a mail was left in Niet verwerkt';

let app: RunningApp | undefined;
/** The reasons the bot logged for mails it left in 'Niet verwerkt', in order (no mail content). */
const reasons: string[] = [];

const mailbox = new LocalMailbox({
  // The demo stand-in for Exchange Online's DMARC check: a sender allowed in a demo school passes.
  authenticates: (from, address) =>
    (app?.services.schools.all() ?? []).some(
      (s) => s.mail?.mailbox === address && allowedSourceOf(s, from) !== undefined,
    ),
});

/** The bot's log lines go to stdout as always; the reason of a mail left for a person is noted. */
const destination = {
  write(line: string): void {
    process.stdout.write(line);
    if (!line.includes(LEFT_FOR_A_PERSON)) return;
    try {
      const parsed = JSON.parse(line) as { msg?: string; reason?: string };
      if (parsed.msg === LEFT_FOR_A_PERSON && parsed.reason) reasons.push(parsed.reason);
    } catch {
      // Not one line of JSON: not ours.
    }
  },
};

/** The demo school's mailbox the mail is for: the one whose address (or alias) it is sent to. */
function mailboxFor(mail: DemoMail, running: RunningApp): string | undefined {
  const schools = running.services.schools.all().filter((s) => s.mail);
  const to = (mail.to ?? []).map((t) => t.toLowerCase());
  const addressed = schools.find(
    (s) => to.includes(s.mail?.mailbox ?? '') || to.includes(s.mail?.recipient ?? ''),
  );
  return (addressed ?? schools[0])?.mail?.mailbox;
}

function isDemoMail(value: unknown): value is DemoMail {
  const mail = value as Partial<DemoMail> | null;
  return (
    typeof mail === 'object' &&
    mail !== null &&
    typeof mail.from === 'string' &&
    typeof mail.subject === 'string' &&
    typeof mail.body === 'string' &&
    (mail.to === undefined || (Array.isArray(mail.to) && mail.to.every((t) => typeof t === 'string'))) &&
    (mail.contentType === undefined || mail.contentType === 'text' || mail.contentType === 'html')
  );
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  // Separately: restify (in this process) patches writeHead, which then does not return `res`.
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function serveDropPoint(token: string): http.Server {
  return http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/mail') return answer(res, 404, { error: 'POST /mail only' });
    if (req.headers.authorization !== `Bearer ${token}`) return answer(res, 401, { error: 'wrong token' });
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_MAIL_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      void (async () => {
        if (size > MAX_MAIL_BYTES) return answer(res, 413, { error: 'over 1 MB' });
        let mail: unknown;
        try {
          mail = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return answer(res, 400, { error: 'not JSON' });
        }
        if (!isDemoMail(mail)) return answer(res, 400, { error: 'expected { from, subject, body, to? }' });
        if (!app) return answer(res, 503, { error: 'the bot is still starting' });
        const address = mailboxFor(mail, app);
        if (!address)
          return answer(res, 409, { error: 'no demo school has a mail block in the schools file' });
        const before = reasons.length;
        const id = mailbox.deliver(address, mail);
        // A pass already under way (the timer's) is waited for; then one that surely sees this mail.
        await app.pollMail();
        if (mailbox.whereIs(id) === 'inbox') await app.pollMail();
        const where = mailbox.whereIs(id);
        const waiting = where === 'inbox' && (await app.services.mail?.drafts.get(mailDraftId(address, id)));
        const result: DropResult = {
          outcome:
            where === 'purged'
              ? 'taken'
              : where === 'not-processed'
                ? 'not-processed'
                : waiting
                  ? 'awaiting-confirmation'
                  : 'still-in-inbox',
          ...(where === 'not-processed' && reasons.length > before
            ? { reason: reasons[reasons.length - 1] }
            : {}),
          contents: mailbox.contents(),
        };
        answer(res, 200, result);
      })().catch((error: unknown) => {
        if (!res.headersSent) answer(res, 500, { error: (error as Error).message });
      });
    });
  });
}

async function main(): Promise<void> {
  try {
    // As src/index.ts: a .env file beside the app is read if present; the environment wins over it.
    if (existsSync('.env')) process.loadEnvFile('.env');
    app = await startApp({ mailbox, log: { destination } });
  } catch (error) {
    createLogger().fatal({ err: error, correlationId: newCorrelationId() }, 'could not start');
    process.exitCode = 1;
    return;
  }
  const running = app;
  const token = randomBytes(24).toString('hex');
  const server = serveDropPoint(token);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dropFile = process.env[MAIL_DROP_FILE_ENV];
  if (dropFile) writeFileSync(dropFile, JSON.stringify({ port, token }), { mode: 0o600 });
  console.log(
    `[playground] The demo mailbox takes mail on http://127.0.0.1:${port}/mail (npm run playground:mail).`,
  );

  process.on('SIGHUP', () => void running.reloadSchools());
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      running.logger.info({ signal }, 'shutting down');
      server.close();
      void running.stop().then(() => process.exit(0));
    });
  }
}

void main();
