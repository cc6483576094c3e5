import { closeCase } from '../../app/coordinator-actions';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Afsluiten': the owner closes the case early; everything of it is deleted. */
export const closeCaseVerb = (services: Services) =>
  defineVerb({
    verb: 'case.close',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await closeCase(services, caseId, { staffId, locale }, ctx),
    }),
  });
