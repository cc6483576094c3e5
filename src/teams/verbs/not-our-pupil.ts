import { notOurPupil } from '../../app/coordinator-actions';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Niet onze leerling': closes the case; everything of it is deleted. */
export const notOurPupilVerb = (services: Services) =>
  defineVerb({
    verb: 'case.not-our-pupil',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await notOurPupil(services, caseId, { staffId, locale }, ctx),
    }),
  });
