import type { HwcCase } from '../domain/case';
import { expiryNoticeRecipients, leftoversOf, type Leftovers } from '../domain/case-leftovers';
import type { School } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { expiryNoticeCard } from './case-cards';
import { ConcurrencyGate } from './concurrency-gate';
import type { CaseEnding } from '../store/case-store';
import type { RequestContext, Services } from './ports';
import { settleAll } from './shells';

/**
 * A closed case: deleted at once, counted anonymously, its follow-ups cancelled and its cards
 * handed to the cleanup, which keeps only their ids. Nothing else stays behind.
 */
export async function finishCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  const now = services.clock();
  const how = c.closed?.reason ?? 'completed';
  await services.store.delete(c.id, { how, until: tombstoneUntil(c.supportDay.dayEnd, now) });
  await letGo(services, c, how, ctx);
  ctx.log.info(
    { caseId: c.id, schoolId: c.schoolId, reason: c.closed?.reason, cards: c.shells.length },
    'case closed and deleted',
  );
}

/**
 * The support day ended: the store has already dropped the case. Its cards go to the cleanup and,
 * when something was left undone, the coordinator gets a notice that names no pupil. The notice
 * is sent with counts and a date only, so no suspended function holds the case while Teams answers.
 */
export async function expireCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  await letGo(services, c, 'expired', ctx);
  ctx.log.info({ caseId: c.id, schoolId: c.schoolId, state: c.state }, 'case expired and deleted');
  const school = services.schools.get(c.schoolId);
  const leftovers = school && leftoversOf(school, c);
  if (!school || !leftovers) return;
  const notice = {
    caseId: c.id,
    supportDayStart: c.supportDay.lessonStart,
    leftovers,
    recipients: expiryNoticeRecipients(school, c),
  };
  await sendExpiryNotice(services, school, notice, ctx);
}

/**
 * The expiry task of a case: takes the case out of the store if its time has come (it may have
 * moved to a later day, or another instance may have taken it already) and lets it go.
 */
export async function expireIfDue(services: Services, caseId: string, ctx: RequestContext): Promise<void> {
  const now = services.clock();
  const expired = await services.store.takeExpired(caseId, tombstoneUntil(now, now));
  if (expired) await expireCase(services, expired, ctx);
}

/** How long a tombstone (a random id and how the case ended) answers for an ended case. */
export const TOMBSTONE_MIN_MS = 12 * 3600_000;

/** Until the end of the support day, and at least TOMBSTONE_MIN_MS after the end, for a card opened late. */
export function tombstoneUntil(dayEnd: Date, endedAt: Date): Date {
  return new Date(Math.max(dayEnd.getTime(), endedAt.getTime() + TOMBSTONE_MIN_MS));
}

/**
 * Its timers and cards go first, so a failure in counting cannot leave them behind; the anonymous
 * counts are all that outlives the case.
 */
async function letGo(services: Services, c: HwcCase, ending: CaseEnding, ctx: RequestContext): Promise<void> {
  services.cleanup.forget(c.shells, ending, ctx);
  try {
    await services.scheduler.cancel(`${c.id}:`);
  } catch (error) {
    // The case is gone, so a follow-up that still runs finds nothing to do.
    ctx.log.warn(
      { caseId: c.id, ...errorSummary(error) },
      'could not cancel the follow-ups of an ended case',
    );
  }
  const school = services.schools.get(c.schoolId);
  try {
    if (school) services.stats.caseEnded(c, school);
  } catch (error) {
    ctx.log.error({ caseId: c.id, ...errorSummary(error) }, 'could not count an ended case');
  }
}

// Notices of a mass expiry (a thousand cases at the end of one day) go out a few at a time.
const noticeGate = new ConcurrencyGate(25);

async function sendExpiryNotice(
  services: Services,
  school: School,
  notice: { caseId: string; supportDayStart: Date; leftovers: Leftovers; recipients: string[] },
  ctx: RequestContext,
): Promise<void> {
  const { caseId, supportDayStart, leftovers, recipients } = notice;
  const sent = await settleAll(
    recipients.map((staffId) =>
      noticeGate.run(() =>
        services.messenger.sendCard({ staffId }, (r) =>
          expiryNoticeCard(school, supportDayStart, leftovers, r.locale),
        ),
      ),
    ),
    ctx,
    'could not send every expiry notice',
    { caseId },
  );
  ctx.log.info({ caseId, recipients: recipients.length, sent }, 'expiry notice sent');
}
