import { z } from 'zod';
import type { Services } from '../../app/ports';
import { pupilAbsent } from '../../app/talk-with-pupil';
import { caseIdSchema, defineVerb } from './verb-handler';

/**
 * `forDay` is the support day the card showed: a second click on the same card moves nothing.
 * Without `confirmed` the answer is the question, never the move.
 */
const pupilAbsentSchema = z.strictObject({
  caseId: caseIdSchema,
  forDay: z.iso.date(),
  confirmed: z.literal(true).optional(),
});

/** 'Leerling is er vandaag niet': on the support day, confirmed, the case moves to the next school day. */
export const pupilAbsentVerb = (services: Services) =>
  defineVerb({
    verb: 'case.pupil-absent',
    schema: pupilAbsentSchema,
    handle: async ({ caseId, forDay, confirmed }, { staffId, locale, ctx }) => ({
      card: await pupilAbsent(services, caseId, forDay, confirmed === true, { staffId, locale }, ctx),
    }),
  });
