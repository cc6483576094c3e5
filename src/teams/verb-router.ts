import type { Services } from '../app/ports';
import type { AdaptiveCardJson } from '../cards/card-data';
import { noticeCard } from '../app/case-cards';
import { SentForms, type SentFormLedger } from '../app/teams-intake';
import { isHwcError } from '../domain/errors';
import { acknowledgeVerb } from './verbs/acknowledge';
import { claimCaseVerb } from './verbs/claim-case';
import { closeCaseVerb } from './verbs/close-case';
import { colleaguePupilAbsentVerb } from './verbs/colleague-pupil-absent';
import { handOverVerb } from './verbs/hand-over';
import { mailDraftNotASignalVerb } from './verbs/mail-draft-not-a-signal';
import { sendMailDraftVerb } from './verbs/mail-draft-send';
import { viewMailDraftVerb } from './verbs/mail-draft-view';
import { notOurPupilVerb } from './verbs/not-our-pupil';
import { openTalkFormVerb } from './verbs/open-talk-form';
import { colleagueParentsInformedVerb, parentsInformedVerb } from './verbs/parents-informed';
import { pupilAbsentVerb } from './verbs/pupil-absent';
import { recordParentsVerb } from './verbs/record-parents';
import { recordTalkVerb } from './verbs/record-talk';
import { remindColleaguesVerb } from './verbs/remind-colleagues';
import { submitIntakeVerb } from './verbs/submit-intake';
import type { VerbHandler, VerbInvocation, VerbOutcome } from './verbs/verb-handler';
import { viewCaseVerb } from './verbs/view-case';
import { viewColleagueCardVerb } from './verbs/view-colleague-card';

/** Every Action.Execute verb the bot answers, in one table. */
export function verbHandlers(
  services: Services,
  sentForms: SentFormLedger = new SentForms(24 * 3600_000, () => services.clock().getTime()),
): VerbHandler[] {
  return [
    // The coordinator's (and a deputy's) morning, in the order of the flow.
    viewCaseVerb(services),
    claimCaseVerb(services),
    notOurPupilVerb(services),
    handOverVerb(services),
    openTalkFormVerb(services),
    pupilAbsentVerb(services),
    recordTalkVerb(services),
    remindColleaguesVerb(services),
    recordParentsVerb(services),
    parentsInformedVerb(services),
    closeCaseVerb(services),
    // The colleague's card.
    viewColleagueCardVerb(services),
    acknowledgeVerb(services),
    colleagueParentsInformedVerb(services),
    colleaguePupilAbsentVerb(services),
    submitIntakeVerb(services, sentForms),
    // A mail the bot could not read with certainty.
    viewMailDraftVerb(services),
    sendMailDraftVerb(services, sentForms),
    mailDraftNotASignalVerb(services),
  ];
}

/**
 * Routes a card action to its handler. Whatever is wrong with an action (an unknown verb,
 * data that does not fit, someone who may not see it) gets the same neutral 'not available'
 * card. A case that is gone answers how it ended while its tombstone lasts, or that the bot does
 * not know it. (Someone holding a case id may so tell an open case from an ended one; the id is a
 * random UUID that only the case's own cards carry, and an ended case tells nothing more.) A store
 * that does not answer gets a neutral 'try again shortly', never an error.
 */
export class VerbRouter {
  private readonly handlers: Map<string, VerbHandler>;

  /** `goneCard` answers for a case the store does not hold: how it ended, or that it is not known. */
  constructor(
    handlers: readonly VerbHandler[],
    private readonly goneCard: (
      caseId: string,
      locale: string | undefined,
    ) => Promise<AdaptiveCardJson> = async (_caseId, locale) => noticeCard('unknown', locale),
  ) {
    this.handlers = new Map(handlers.map((h) => [h.verb, h]));
  }

  async dispatch(verb: string | undefined, data: unknown, invocation: VerbInvocation): Promise<VerbOutcome> {
    const { log } = invocation.ctx;
    const handler = verb === undefined ? undefined : this.handlers.get(verb);
    if (!handler) {
      log.warn({ code: 'action.invalid' }, 'card action with an unknown verb');
      return { card: noticeCard('notAvailable', invocation.locale) };
    }
    const parsed = handler.schema.safeParse(data);
    if (!parsed.success) {
      log.warn(
        { code: 'action.invalid', verb, fields: parsed.error.issues.map((i) => i.path.join('.')) },
        'card action data refused',
      );
      return { card: noticeCard('notAvailable', invocation.locale) };
    }
    try {
      return await handler.handle(parsed.data, invocation);
    } catch (error) {
      if (isHwcError(error, 'case.not-found') || isHwcError(error, 'case.closed')) {
        log.info({ code: error.code, verb }, 'card action on a case that is gone');
        return { card: await this.cardForGone(parsed.data, invocation) };
      }
      if (isHwcError(error, 'store.unavailable')) {
        log.warn({ code: error.code, verb }, 'card action while the store is unavailable');
        return { card: noticeCard('tryAgain', invocation.locale) };
      }
      if (isHwcError(error, 'action.invalid')) {
        log.warn({ code: error.code, verb }, 'card action refused: does not fit the case');
        return { card: noticeCard('notAvailable', invocation.locale) };
      }
      if (isHwcError(error, 'case.not-authorized') || isHwcError(error, 'case.not-owner')) {
        log.warn({ code: error.code, verb }, 'card action refused: not authorized');
        return { card: noticeCard('notAvailable', invocation.locale) };
      }
      throw error;
    }
  }

  private async cardForGone(data: unknown, invocation: VerbInvocation): Promise<AdaptiveCardJson> {
    const caseId = (data as { caseId?: unknown }).caseId;
    if (typeof caseId !== 'string') return noticeCard('unknown', invocation.locale);
    try {
      return await this.goneCard(caseId, invocation.locale);
    } catch (error) {
      if (!isHwcError(error, 'store.unavailable')) throw error;
      return noticeCard('tryAgain', invocation.locale);
    }
  }
}
