import { colleagueView } from '../../app/colleague-actions';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** A colleague's 'Bekijk' and refresh: what was agreed, for that colleague only. */
export const viewColleagueCardVerb = (services: Services) =>
  defineVerb({
    verb: 'colleague.view',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale }) => ({
      card: await colleagueView(services, caseId, { staffId, locale }),
    }),
  });
