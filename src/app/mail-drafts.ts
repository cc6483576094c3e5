import type { AdaptiveCardJson } from '../cards/card-data';
import { renderCard } from '../cards/render-card';
import { supportDayFor } from '../domain/calendar';
import { HwcError, isHwcError } from '../domain/errors';
import { changedDraft, mailDraftId, type MailDraft } from '../domain/mail-draft';
import type { PostedShell } from '../domain/case';
import { coordinatingStaff, type School, type StaffMember } from '../domain/school';
import { parseSignal, type SignalSource } from '../domain/signal';
import type { UncertainReason } from '../domain/signal-mail';
import { localDateOf } from '../domain/local-date';
import { errorSummary } from '../logging/error-summary';
import { formatDateTime, stringsFor } from '../i18n/strings';
import { noticeCard, withoutUnknownUser } from './case-cards';
import type { Actor } from './case-access';
import type { InboxMail, MailServices, RecipientContext, RequestContext, Services } from './ports';
import { receiveSignal, type SignalReceipt } from './receive-signal';
import { settleAll } from './shells';
import { intakeFormCard, type IntakeValues, type SentFormLedger } from './teams-intake';

/** What the bot read of a mail it could not read with certainty; nothing else of the mail. */
export interface UncertainMail {
  read: InboxMail;
  school: School;
  source: SignalSource;
  reading: { name?: string; birthDate?: string; reasons: UncertainReason[] };
  receivedAt: Date;
  /** The sender's id as the logs know it (a hash of the domain). */
  senderId: string;
}

/**
 * The mail waits in the inbox for a coordinator: what was read is kept as an encrypted draft until
 * the end of the support day the mail arrived for, and each coordinator gets a neutral card. Read
 * again (a restart before its outcome was recorded), the mail finds its draft and no second card
 * goes out. False when not one coordinator could be reached: then nothing is kept, and the caller
 * leaves the mail to a person.
 */
export async function awaitConfirmation(
  services: Services,
  mail: MailServices,
  uncertain: UncertainMail,
  ctx: RequestContext,
): Promise<boolean> {
  const { read, school } = uncertain;
  const id = mailDraftId(read.mailbox, read.id);
  const expiresAt = supportDayFor(school, uncertain.receivedAt).dayEnd;
  const fresh: MailDraft = {
    id,
    schoolId: school.id,
    mailbox: read.mailbox,
    messageId: read.id,
    source: uncertain.source,
    receivedAt: uncertain.receivedAt,
    expiresAt,
    reading: uncertain.reading,
    ...(school.mail?.receipts ? { mailSender: { mailbox: read.mailbox, address: read.from } } : {}),
    state: 'open',
    shells: [],
    version: 1,
  };
  const log = ctx.log.child({ draftId: id, schoolId: school.id });
  const created = await mail.drafts.create(fresh);
  // The expiry first: a draft is never without the task that moves its mail aside at the day's end.
  await services.scheduler.schedule(`${id}:expire`, expiresAt, { kind: 'mail-draft-expire', draftId: id });
  const draft = created ? fresh : await mail.drafts.get(id);
  if (!draft) return false;

  if (draft.shells.length === 0) {
    const shells = await postDraftShells(services, school, draft, ctx);
    if (shells.length === 0) {
      await mail.drafts.delete(id);
      await services.scheduler.cancel(`${id}:`);
      log.error(
        { coordinators: school.coordinators.length },
        'no coordinator reachable for a mail to confirm',
      );
      return false;
    }
    await changeDraft(mail, id, (d) => changedDraft(d, { shells: [...d.shells, ...shells] }));
  }
  await mail.ledger.record(read.mailbox, read.id, 'awaiting-confirmation');
  log.info(
    { source: uncertain.source, reasons: uncertain.reading.reasons, sender: uncertain.senderId },
    'a mail waits for a coordinator to confirm it',
  );
  return true;
}

async function postDraftShells(
  services: Services,
  school: School,
  draft: MailDraft,
  ctx: RequestContext,
): Promise<PostedShell[]> {
  const attempts = await Promise.allSettled(
    school.coordinators.map(async (coordinator): Promise<PostedShell> => {
      let recipient: RecipientContext = {};
      const posted = await services.messenger.sendCard({ staffId: coordinator.id }, (r) => {
        recipient = r;
        return draftShellCard(school, draft, r);
      });
      return {
        staffId: coordinator.id,
        role: 'coordinator',
        ...posted,
        ...(recipient.teamsUserId ? { teamsUserId: recipient.teamsUserId } : {}),
        ...(recipient.locale ? { locale: recipient.locale } : {}),
      };
    }),
  );
  const failed = attempts.filter((a) => a.status === 'rejected');
  if (failed[0]?.status === 'rejected') {
    ctx.log.warn(
      { failed: failed.length, total: attempts.length, ...errorSummary(failed[0].reason) },
      'could not reach every coordinator with a mail to confirm',
    );
  }
  return attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
}

/** The neutral card in the chat: that a mail waits, when it came in; never what it said. */
export function draftShellCard(
  school: School,
  draft: MailDraft,
  recipient: RecipientContext,
): AdaptiveCardJson {
  const t = stringsFor(recipient.locale).mailDraft;
  const card = renderCard('shell', {
    viewData: { draftId: draft.id },
    fallbackData: { verb: 'mail-draft.view', draftId: draft.id },
    summary: t.summary,
    received: t.received(formatDateTime(draft.receivedAt, school.timeZone, recipient.locale)),
    userId: recipient.teamsUserId ?? '',
    title: t.title,
    body: t.body,
    status: '',
    viewLabel: t.view,
    viewVerb: 'mail-draft.view',
  });
  return withoutUnknownUser(card, recipient);
}

/** The draft, its school and the actor as one of its coordinators or deputies; refused otherwise. */
async function loadDraft(
  services: Services,
  draftId: string,
  actor: Actor,
): Promise<{ mail: MailServices; draft: MailDraft; school: School; staff: StaffMember } | undefined> {
  const mail = services.mail;
  const draft = mail && (await mail.drafts.get(draftId));
  if (!mail || !draft || draft.expiresAt.getTime() <= services.clock().getTime()) return undefined;
  const school = services.schools.get(draft.schoolId);
  const staff = school && coordinatingStaff(school, actor.staffId);
  if (!school || !staff)
    throw new HwcError('case.not-authorized', `actor may not confirm mail draft ${draftId}`);
  return { mail, draft, school, staff };
}

function goneCard(locale: string | undefined): AdaptiveCardJson {
  const t = stringsFor(locale).mailDraft;
  return renderCard('notice', { title: t.confirmSubject, body: t.gone });
}

/** 'Bekijk': what the bot read, in the intake form, to correct and send; served on invoke only. */
export async function viewMailDraft(
  services: Services,
  draftId: string,
  actor: Actor,
): Promise<AdaptiveCardJson> {
  const loaded = await loadDraft(services, draftId, actor);
  if (!loaded || loaded.draft.state !== 'open') return goneCard(actor.locale);
  const { school, draft } = loaded;
  return mailDraftFormCard(services, school, draft, actor.locale);
}

/** The intake form, prefilled with what was read (or what the coordinator typed), with the mail's own buttons. */
export function mailDraftFormCard(
  services: Services,
  school: School,
  draft: MailDraft,
  locale: string | undefined,
  values: IntakeValues = {
    schoolId: school.id,
    pupilName: draft.reading.name ?? '',
    birthDate: draft.reading.birthDate ?? '',
    source: draft.source,
  },
  invalidFields: readonly string[] = [],
): AdaptiveCardJson {
  const t = stringsFor(locale).mailDraft;
  const unclear = draft.reading.reasons.map((r) => t.reasons[r]).join('; ');
  return intakeFormCard(services, [school], locale, draft.id, values, invalidFields, {
    submitVerb: 'mail-draft.send',
    submitData: { draftId: draft.id },
    notes: [
      `${t.received(formatDateTime(draft.receivedAt, school.timeZone, locale))}.`,
      ...(unclear ? [t.unclear(unclear)] : []),
    ],
    otherActions: [{ title: t.notASignal, verb: 'mail-draft.not-a-signal', data: { draftId: draft.id } }],
    title: t.formTitle,
    hint: t.formHint(draft.mailbox),
    submit: t.send,
  });
}

export interface DraftOutcome {
  card: AdaptiveCardJson;
  /** Set when the clicked message itself is to become this neutral card. */
  replace: boolean;
}

/**
 * The coordinator corrected what was read and sends it: the same checks and pipeline as a signal
 * through the API, counted from when the mail arrived. Then the mail is deleted for good and the
 * draft forgotten; the other coordinators' cards say who sent it. A double click, or two
 * coordinators at once, send one signal.
 */
export async function sendMailDraft(
  services: Services,
  sentForms: SentFormLedger,
  draftId: string,
  values: Omit<IntakeValues, 'schoolId'>,
  actor: Actor,
  ctx: RequestContext,
): Promise<DraftOutcome> {
  const loaded = await loadDraft(services, draftId, actor);
  if (!loaded || loaded.draft.state !== 'open') return { card: goneCard(actor.locale), replace: true };
  const { mail, school, staff } = loaded;
  const t = stringsFor(actor.locale);
  const parsed = parseSignal(
    {
      schoolId: school.id,
      pupil: { name: values.pupilName, birthDate: values.birthDate },
      source: values.source,
    },
    { today: localDateOf(services.clock(), school.timeZone), isKnownSchool: (id) => id === school.id },
  );
  if (!parsed.ok) {
    const fields = parsed.violations.map((v) => v.field);
    ctx.log.info({ fields }, 'a corrected mail has invalid fields');
    const card = mailDraftFormCard(
      services,
      school,
      loaded.draft,
      actor.locale,
      { schoolId: school.id, ...values },
      fields,
    );
    return { card, replace: false };
  }

  // Only the click whose send ran deletes the mail and tells the others; a second one shares its receipt.
  let sentHere = false;
  try {
    const receipt = await sentForms.once(`mail-draft:${draftId}`, async () => {
      sentHere = true;
      // From here on a 'Dit is geen signaal' elsewhere finds the draft taken.
      const sending = await changeDraft(mail, draftId, (d) => {
        if (d.state !== 'open') throw new HwcError('action.invalid', 'the mail draft is being decided on');
        return changedDraft(d, { state: 'sending' });
      });
      let receipt: SignalReceipt;
      try {
        receipt = await receiveSignal(
          services,
          parsed.signal,
          {
            kind: 'mail',
            id: 'confirmed-mail',
            receivedAt: sending.receivedAt,
            ...(sending.mailSender ? { mailSender: sending.mailSender } : {}),
          },
          ctx,
        );
      } catch (error) {
        await changeDraft(mail, draftId, (d) => changedDraft(d, { state: 'open' })).catch(() => undefined);
        throw error;
      }
      // At once: a restart from here on still deletes the mail (the draft's expiry reads the ledger).
      await mail.ledger.record(sending.mailbox, sending.messageId, 'signal-stored');
      return receipt;
    });
    const draft = sentHere ? await mail.drafts.get(draftId) : undefined;
    if (draft) await forgetSentMail(services, mail, school, draft, staff, ctx);
    return {
      card: renderCard('notice', {
        title: t.intake.sentTitle,
        body: t.intake.sentBody(receipt.deliveredTo, school.name),
      }),
      replace: true,
    };
  } catch (error) {
    if (isHwcError(error, 'delivery.no-coordinator-reachable')) {
      return {
        card: renderCard('notice', { title: t.intake.undeliveredTitle, body: t.intake.undeliveredBody }),
        replace: false,
      };
    }
    if (isHwcError(error, 'case.not-found') || isHwcError(error, 'action.invalid')) {
      return { card: goneCard(actor.locale), replace: true };
    }
    throw error;
  }
}

/**
 * After its signal was stored (and recorded as such in the ledger): the mail is deleted past
 * Deleted Items. The draft goes only once the mail is gone; if Graph would not delete it now, the
 * draft's expiry task tries again.
 */
async function forgetSentMail(
  services: Services,
  mail: MailServices,
  school: School,
  draft: MailDraft,
  by: StaffMember,
  ctx: RequestContext,
): Promise<void> {
  try {
    await mail.mailbox.permanentDelete(draft.mailbox, draft.messageId);
  } catch (error) {
    ctx.log.warn(
      { draftId: draft.id, ...errorSummary(error) },
      'a confirmed mail could not be deleted yet; the draft’s expiry tries again',
    );
    return;
  }
  await mail.drafts.delete(draft.id);
  await services.scheduler.cancel(`${draft.id}:`);
  ctx.log.info(
    { draftId: draft.id, schoolId: school.id },
    'a confirmed mail became a signal; the mail is deleted',
  );
  await closeDraftShells(services, draft, by, (t) => t.sentBy(by.name), ctx);
  if (draft.mailSender) await sendReceiptFor(mail, school, draft, ctx);
}

/** The receipt a school with `receipts` sends: received, by which school, when; never about whom. */
async function sendReceiptFor(
  mail: MailServices,
  school: School,
  draft: MailDraft,
  ctx: RequestContext,
): Promise<void> {
  if (!draft.mailSender) return;
  const t = stringsFor('nl').mail;
  const when = formatDateTime(draft.receivedAt, school.timeZone, 'nl');
  try {
    await mail.mailbox.send(
      draft.mailSender.mailbox,
      draft.mailSender.address,
      t.receiptSubject,
      t.receiptBody(school.name, when),
    );
  } catch (error) {
    ctx.log.warn(
      { schoolId: school.id, ...errorSummary(error) },
      'could not tell the sender the signal arrived',
    );
  }
}

/**
 * 'Dit is geen signaal': asked first. Confirmed, the mail goes to 'Niet verwerkt' for a person,
 * what was read is forgotten, and every coordinator's card says who decided it.
 */
export async function markNotASignal(
  services: Services,
  draftId: string,
  confirmed: boolean,
  actor: Actor,
  ctx: RequestContext,
): Promise<DraftOutcome> {
  const loaded = await loadDraft(services, draftId, actor);
  if (!loaded || loaded.draft.state !== 'open') return { card: goneCard(actor.locale), replace: true };
  const { mail, staff } = loaded;
  const t = stringsFor(actor.locale).mailDraft;
  if (!confirmed) return { card: notASignalQuestionCard(draftId, actor.locale), replace: false };
  let draft: MailDraft;
  try {
    draft = await changeDraft(mail, draftId, (d) => {
      if (d.state !== 'open') throw new HwcError('action.invalid', 'the mail draft is being decided on');
      return changedDraft(d, { state: 'sending' });
    });
  } catch (error) {
    if (isHwcError(error, 'case.not-found') || isHwcError(error, 'action.invalid')) {
      return { card: goneCard(actor.locale), replace: true };
    }
    throw error;
  }
  try {
    await mail.mailbox.moveToNotProcessed(draft.mailbox, draft.messageId);
  } catch (error) {
    await changeDraft(mail, draftId, (d) => changedDraft(d, { state: 'open' })).catch(() => undefined);
    ctx.log.warn(
      { draftId, ...errorSummary(error) },
      'could not move a mail that is no signal; nothing changed',
    );
    return { card: noticeCard('tryAgain', actor.locale), replace: false };
  }
  await mail.ledger.record(draft.mailbox, draft.messageId, 'not-processed');
  await mail.drafts.delete(draftId);
  await services.scheduler.cancel(`${draftId}:`);
  ctx.log.info(
    { draftId, schoolId: draft.schoolId },
    'a mail is no signal, said a coordinator; it is in Niet verwerkt',
  );
  await closeDraftShells(services, draft, staff, (s) => s.notASignalBy(staff.name), ctx);
  return { card: renderCard('notice', { title: t.confirmSubject, body: t.notASignalDone }), replace: true };
}

/** 'Is dit geen signaal?': asked before the mail goes to 'Niet verwerkt'. */
export function notASignalQuestionCard(draftId: string, locale: string | undefined): AdaptiveCardJson {
  const t = stringsFor(locale);
  return renderCard('confirm', {
    title: t.mailDraft.confirmTitle,
    subject: t.mailDraft.confirmSubject,
    body: t.mailDraft.confirmBody,
    confirm: {
      title: t.mailDraft.confirm,
      verb: 'mail-draft.not-a-signal',
      style: 'destructive',
      data: { draftId, confirmed: true },
    },
    back: t.confirm.back,
    backVerb: 'mail-draft.view',
    backData: { draftId },
  });
}

/**
 * The end of the support day the mail arrived for, and nobody decided: the mail goes to 'Niet
 * verwerkt' and the coordinators' cards say so. A mail whose signal was stored (a delete that
 * failed, a restart between the two) is deleted now instead. Safe to run twice.
 */
export async function expireMailDraft(
  services: Services,
  draftId: string,
  ctx: RequestContext,
): Promise<void> {
  const mail = services.mail;
  const draft = mail && (await mail.drafts.get(draftId));
  if (!mail || !draft) return;
  const outcome = await mail.ledger.outcome(draft.mailbox, draft.messageId);
  if (outcome === 'signal-stored') {
    await mail.mailbox.permanentDelete(draft.mailbox, draft.messageId);
    await mail.drafts.delete(draftId);
    ctx.log.info({ draftId }, 'a confirmed mail is deleted at last');
    return;
  }
  await mail.mailbox.moveToNotProcessed(draft.mailbox, draft.messageId);
  await mail.ledger.record(draft.mailbox, draft.messageId, 'not-processed');
  await mail.drafts.delete(draftId);
  ctx.log.warn(
    { draftId, schoolId: draft.schoolId, reason: 'unconfirmed' },
    'a mail was left in Niet verwerkt',
  );
  await closeDraftShells(services, draft, undefined, (t) => t.unconfirmed, ctx);
}

/** Every coordinator's card becomes a neutral notice; the one who decided got theirs as the answer. */
async function closeDraftShells(
  services: Services,
  draft: MailDraft,
  decidedBy: StaffMember | undefined,
  body: (t: ReturnType<typeof stringsFor>['mailDraft']) => string,
  ctx: RequestContext,
): Promise<void> {
  const others = draft.shells.filter((s) => s.staffId !== decidedBy?.id);
  await settleAll(
    others.map((shell) => {
      const t = stringsFor(shell.locale).mailDraft;
      return services.messenger.updateCard(
        shell,
        renderCard('notice', { title: t.confirmSubject, body: body(t) }),
        {
          final: true,
        },
      );
    }),
    ctx,
    'could not update every coordinator’s card of a mail',
  );
}

/** A compare-and-set change of a draft, retried when another click changed it in between. */
async function changeDraft(
  mail: MailServices,
  id: string,
  change: (current: MailDraft) => MailDraft,
): Promise<MailDraft> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const current = await mail.drafts.get(id);
    if (!current) throw new HwcError('case.not-found', `mail draft ${id} is not (or no longer) in the store`);
    const next = change(current);
    if (await mail.drafts.replace(current.version, next)) return next;
  }
  throw new HwcError('case.conflict', `mail draft ${id} kept changing`);
}
