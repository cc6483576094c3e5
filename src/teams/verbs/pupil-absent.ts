import { z } from 'zod';
import type { Services } from '../../app/ports';
import { pupilAbsent } from '../../app/talk-with-pupil';
import { caseIdSchema, defineVerb } from './verb-handler';

/** `forDay` is the support day the card showed: a second click on the same card moves nothing. */
const pupilAbsentSchema = z.strictObject({ caseId: caseIdSchema, forDay: z.iso.date() });

/** 'Leerling is er vandaag niet': the case moves to the next school day, a bounded number of times. */
export const pupilAbsentVerb = (services: Services) =>
  defineVerb({
    verb: 'case.pupil-absent',
    schema: pupilAbsentSchema,
    handle: async ({ caseId, forDay }, { staffId, locale, ctx }) => ({
      card: await pupilAbsent(services, caseId, forDay, { staffId, locale }, ctx),
    }),
  });
