import { claim } from '../../app/coordinator-actions';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Oppakken': the first coordinator to claim owns the case. */
export const claimCaseVerb = (services: Services) =>
  defineVerb({
    verb: 'case.claim',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await claim(services, caseId, { staffId, locale }, ctx),
    }),
  });
