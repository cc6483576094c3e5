import type { HwcCase } from '../domain/case';
import { expiryNoticeRecipients, leftoversOf, type Leftovers } from '../domain/case-leftovers';
import type { School } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { expiryNoticeCard } from './case-cards';
import type { RequestContext, Services } from './ports';
import { settleAll } from './shells';

/**
 * A closed case: deleted at once, counted anonymously, its follow-ups cancelled and its cards
 * handed to the cleanup, which keeps only their ids. Nothing else stays behind.
 */
export async function finishCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  await services.store.delete(c.id);
  letGo(services, c, ctx);
  ctx.log.info(
    { caseId: c.id, schoolId: c.schoolId, reason: c.closed?.reason, cards: c.shells.length },
    'case closed and deleted',
  );
}

/**
 * The support day ended: the store has already dropped the case. Its cards go to the cleanup and,
 * when something was left undone, the coordinator gets a notice that names no pupil.
 *
 * Not async on purpose: the notice is sent with counts and a date only, so no suspended function
 * holds the case while Teams answers.
 */
export function expireCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  letGo(services, c, ctx);
  ctx.log.info({ caseId: c.id, schoolId: c.schoolId, state: c.state }, 'case expired and deleted');
  const school = services.schools.get(c.schoolId);
  const leftovers = leftoversOf(c);
  if (!school || !leftovers) return Promise.resolve();
  const notice = {
    caseId: c.id,
    supportDayStart: c.supportDay.lessonStart,
    leftovers,
    recipients: expiryNoticeRecipients(school, c),
  };
  return sendExpiryNotice(services, school, notice, ctx);
}

/**
 * Its timers and cards go first, so a failure in counting cannot leave them behind; the anonymous
 * counts are all that outlives the case.
 */
function letGo(services: Services, c: HwcCase, ctx: RequestContext): void {
  services.scheduler.cancel(`${c.id}:`);
  services.cleanup.forget(c.shells, ctx);
  const school = services.schools.get(c.schoolId);
  try {
    if (school) services.stats.caseEnded(c, school);
  } catch (error) {
    ctx.log.error({ caseId: c.id, ...errorSummary(error) }, 'could not count an ended case');
  }
}

async function sendExpiryNotice(
  services: Services,
  school: School,
  notice: { caseId: string; supportDayStart: Date; leftovers: Leftovers; recipients: string[] },
  ctx: RequestContext,
): Promise<void> {
  const { caseId, supportDayStart, leftovers, recipients } = notice;
  const sent = await settleAll(
    recipients.map((staffId) =>
      services.messenger.sendCard({ staffId }, (r) =>
        expiryNoticeCard(school, supportDayStart, leftovers, r.locale),
      ),
    ),
    ctx,
    'could not send every expiry notice',
    { caseId },
  );
  ctx.log.info({ caseId, recipients: recipients.length, sent }, 'expiry notice sent');
}
