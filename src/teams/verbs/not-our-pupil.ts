import { z } from 'zod';
import { notOurPupil } from '../../app/coordinator-actions';
import type { Services } from '../../app/ports';
import { caseIdSchema, defineVerb } from './verb-handler';

/** Without `confirmed` (the view's button, or an old card's) the answer is the question, never the deletion. */
const notOurPupilSchema = z.strictObject({ caseId: caseIdSchema, confirmed: z.literal(true).optional() });

/** 'Niet onze leerling': asked first; confirmed, it closes the case and everything of it is deleted. */
export const notOurPupilVerb = (services: Services) =>
  defineVerb({
    verb: 'case.not-our-pupil',
    schema: notOurPupilSchema,
    handle: async ({ caseId, confirmed }, { staffId, locale, ctx }) => ({
      card: await notOurPupil(services, caseId, confirmed === true, { staffId, locale }, ctx),
    }),
  });
