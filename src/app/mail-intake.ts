import { createHash } from 'node:crypto';
import { supportDayFor } from '../domain/calendar';
import { localDateOf } from '../domain/local-date';
import {
  allowedSourceOf,
  passedAuthentication,
  schoolForMail,
  type MailRefusal,
} from '../domain/mail-sender';
import type { School } from '../domain/school';
import { parseSignal } from '../domain/signal';
import { readSignalMail } from '../domain/signal-mail';
import { errorSummary } from '../logging/error-summary';
import { renderCard } from '../cards/render-card';
import { formatDateTime, stringsFor } from '../i18n/strings';
import type { UncertainReason } from '../domain/signal-mail';
import { awaitConfirmation } from './mail-drafts';
import type { InboxMail, MailServices, RequestContext, Services } from './ports';
import { receiveSignal } from './receive-signal';
import { settleAll } from './shells';

/** What became of one mail in this pass. */
export type MailVerdict = 'taken' | 'awaiting-confirmation' | 'not-processed' | 'handled-before' | 'gone';

/** A signal mail is a few lines; anything this large is something else (a 20 MB newsletter, say). */
export const MAX_SIGNAL_MAIL_BYTES = 512 * 1024;

/** The mailboxes the schools file names, each once (a board-wide mailbox serves several schools). */
export function mailboxesOf(schools: readonly School[]): string[] {
  return [...new Set(schools.flatMap((s) => (s.mail ? [s.mail.mailbox] : [])))];
}

/**
 * One pass over every mailbox: the new mail of each, found with a delta query and handled one at
 * a time. Where the query goes on next time is saved only after every mail of the pass was handled,
 * so a pass cut off (Graph away, a restart) is read again; the ledger makes that harmless. With
 * several instances, one polls a mailbox at a time.
 */
export async function pollMailboxes(
  services: Services,
  ctx: RequestContext,
  claimMs = 60_000,
): Promise<void> {
  const mail = services.mail;
  if (!mail) return;
  for (const mailbox of mailboxesOf(services.schools.all())) {
    let claimed = false;
    try {
      claimed = await mail.ledger.claimPoll(mailbox, claimMs);
      if (!claimed) continue;
      const changes = await mail.mailbox.changes(mailbox, await mail.ledger.deltaLink(mailbox));
      const verdicts: MailVerdict[] = [];
      for (const id of changes.ids) verdicts.push(await takeMail(services, mail, mailbox, id, ctx));
      await mail.ledger.saveDeltaLink(mailbox, changes.deltaLink);
      if (verdicts.length > 0) {
        ctx.log.info(
          {
            taken: verdicts.filter((v) => v === 'taken').length,
            awaitingConfirmation: verdicts.filter((v) => v === 'awaiting-confirmation').length,
            notProcessed: verdicts.filter((v) => v === 'not-processed').length,
            handledBefore: verdicts.filter((v) => v === 'handled-before').length,
          },
          'mailbox read',
        );
      }
    } catch (error) {
      // Read again at the next pass: nothing was lost, and what was handled stays handled.
      ctx.log.warn(errorSummary(error), 'could not read a mailbox; trying again at the next pass');
    } finally {
      if (claimed) await mail.ledger.releasePoll(mailbox).catch(() => undefined);
    }
  }
}

/**
 * One mail: taken when an allowed sender sent it, it passed DMARC and one pupil's name and date of
 * birth can be read from it with certainty. Its signal then goes the way of any other, and the mail
 * is deleted for good. Read without certainty (no name, two dates, no codeword), it waits in the
 * inbox for a coordinator to correct and send it, or to say it is no signal (mail-drafts.ts). Any
 * other mail is moved to 'Niet verwerkt' for a person to look at, and the school's coordinators
 * hear that (why, never what it said).
 */
export async function takeMail(
  services: Services,
  mail: MailServices,
  mailbox: string,
  id: string,
  ctx: RequestContext,
): Promise<MailVerdict> {
  const before = await mail.ledger.outcome(mailbox, id);
  if (before === 'signal-stored') {
    // Its signal was stored, and the bot stopped before the mail was deleted.
    await mail.mailbox.permanentDelete(mailbox, id);
    return 'handled-before';
  }
  if (before === 'not-processed' || before === 'awaiting-confirmation') return 'handled-before';
  const read = await mail.mailbox.read(mailbox, id);
  if (!read) return 'gone';

  const schools = services.schools.all();
  const school = schoolForMail(schools, mailbox, read.recipients);
  if (!school)
    return leaveForAPerson(services, mail, read, 'no-school', mailboxSchools(schools, mailbox), ctx);
  const refusal = refusalOf(read, school);
  if (refusal) return leaveForAPerson(services, mail, read, refusal.reason, [school], ctx);
  const source = allowedSourceOf(school, read.from);
  if (!source) return leaveForAPerson(services, mail, read, 'unknown-sender', [school], ctx);

  const now = services.clock();
  // A mail read after it arrived counts from its arrival; one whose day has passed needs a person.
  const receivedAt = read.receivedAt.getTime() < now.getTime() ? read.receivedAt : now;
  if (supportDayFor(school, receivedAt).dayEnd.getTime() <= now.getTime()) {
    return leaveForAPerson(services, mail, read, 'too-late', [school], ctx);
  }
  const today = localDateOf(now, school.timeZone);
  const reading = readSignalMail(read, { today });
  // Two pupils in one mail: confirming one would delete the other's signal with the mail.
  if (reading.kind === 'uncertain' && reading.reasons.includes('several-pupils')) {
    return leaveForAPerson(services, mail, read, 'several-pupils', [school], ctx);
  }
  // The same checks as a signal through the API.
  const parsed =
    reading.kind === 'certain'
      ? parseSignal(
          { schoolId: school.id, pupil: reading.pupil, source },
          { today, isKnownSchool: (schoolId) => schoolId === school.id },
        )
      : undefined;
  if (!parsed?.ok) {
    const uncertain =
      reading.kind === 'uncertain'
        ? { ...reading.candidate, reasons: reading.reasons }
        : { ...reading.pupil, reasons: violationReasons(parsed?.ok === false ? parsed.violations : []) };
    const waiting = await awaitConfirmation(
      services,
      mail,
      { read, school, source, reading: uncertain, receivedAt, senderId: senderId(read.from) },
      ctx,
    );
    return waiting
      ? 'awaiting-confirmation'
      : leaveForAPerson(services, mail, read, 'uncertain', [school], ctx);
  }

  await receiveSignal(
    services,
    parsed.signal,
    {
      kind: 'mail',
      id: senderId(read.from),
      receivedAt,
      // Where to say 'niet onze leerling', if it comes to that, when the school answers senders.
      ...(school.mail?.receipts ? { mailSender: { mailbox, address: read.from } } : {}),
    },
    ctx,
  );
  // Recorded before the delete: a restart between the two deletes the mail, and stores nothing twice.
  await mail.ledger.record(mailbox, id, 'signal-stored');
  await mail.mailbox.permanentDelete(mailbox, id);
  ctx.log.info({ schoolId: school.id, source }, 'signal taken from a mail; the mail is deleted');
  if (school.mail?.receipts) await sendReceipt(mail, school, read, receivedAt, ctx);
  return 'taken';
}

/**
 * A new mail to the sender (never a reply, which would quote the original): received, by which
 * school, when. The signal is stored whatever becomes of this: a failure is only logged.
 */
async function sendReceipt(
  mail: MailServices,
  school: School,
  read: InboxMail,
  receivedAt: Date,
  ctx: RequestContext,
): Promise<void> {
  // Senders are Dutch organisations: the answer is in Dutch, as the schools file names the school.
  const t = stringsFor('nl').mail;
  const when = formatDateTime(receivedAt, school.timeZone, 'nl');
  try {
    await mail.mailbox.send(read.mailbox, read.from, t.receiptSubject, t.receiptBody(school.name, when));
  } catch (error) {
    ctx.log.warn(
      { schoolId: school.id, ...errorSummary(error) },
      'could not tell the sender the signal arrived',
    );
  }
}

/** A reason to leave the mail to a person before reading it at all. */
function refusalOf(read: InboxMail, school: School): { reason: MailRefusal } | undefined {
  if (read.encrypted) return { reason: 'encrypted' };
  const size = read.sizeBytes ?? read.body.content.length;
  if (size > MAX_SIGNAL_MAIL_BYTES) return { reason: 'too-large' };
  if (allowedSourceOf(school, read.from) === undefined) return { reason: 'unknown-sender' };
  if (!passedAuthentication(read.authenticationResults, read.from)) return { reason: 'not-authenticated' };
  if (read.hasAttachments) return { reason: 'attachment' };
  return undefined;
}

/** Why a reading the API's checks refuse (a birth date in the future, say) needs a coordinator. */
function violationReasons(violations: readonly { field: string }[]): UncertainReason[] {
  const reasons = new Set<UncertainReason>();
  for (const { field } of violations) {
    if (field === 'pupil.name') reasons.add('invalid-name');
    if (field === 'pupil.birthDate') reasons.add('invalid-birth-date');
  }
  return [...reasons];
}

/** The schools a mailbox serves: who hears of a mail that names none of them. */
function mailboxSchools(schools: readonly School[], mailbox: string): School[] {
  return schools.filter((s) => s.mail?.mailbox === mailbox.toLowerCase());
}

/** The sender as the logs may know it: a hash of the domain, so senders can be told apart, not named. */
function senderId(from: string): string {
  const domain = from.slice(from.lastIndexOf('@') + 1);
  return createHash('sha256').update(domain).digest('hex').slice(0, 16);
}

/**
 * Moved to 'Niet verwerkt', never deleted unseen; then recorded, so a restart between the two
 * cannot leave it in the inbox marked as handled. The coordinators get a neutral notice.
 */
async function leaveForAPerson(
  services: Services,
  mail: MailServices,
  read: InboxMail,
  reason: MailRefusal,
  schools: readonly School[],
  ctx: RequestContext,
): Promise<MailVerdict> {
  const moved = await mail.mailbox.moveToNotProcessed(read.mailbox, read.id);
  await mail.ledger.record(read.mailbox, read.id, 'not-processed');
  if (moved === 'gone') return 'gone';
  ctx.log.warn({ reason, schools: schools.map((s) => s.id) }, 'a mail was left in Niet verwerkt');
  const coordinators = [...new Set(schools.flatMap((s) => s.coordinators.map((p) => p.id)))];
  await settleAll(
    coordinators.map((staffId) =>
      services.messenger.sendCard({ staffId }, (recipient) => {
        const t = stringsFor(recipient.locale).mail;
        return renderCard('notice', {
          title: t.notProcessedTitle,
          body: t.notProcessedBody(t.reasons[reason]),
        });
      }),
    ),
    ctx,
    'could not tell every coordinator of a mail left in Niet verwerkt',
  );
  return 'not-processed';
}
