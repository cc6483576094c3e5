import { z } from 'zod';
import { reportAbsenceAsColleague } from '../../app/colleague-actions';
import type { Services } from '../../app/ports';
import { caseIdSchema, defineVerb } from './verb-handler';

/** As the coordinator's: `forDay` makes a second click harmless; without `confirmed` it asks first. */
const colleaguePupilAbsentSchema = z.strictObject({
  caseId: caseIdSchema,
  forDay: z.iso.date(),
  confirmed: z.literal(true).optional(),
});

/** 'Leerling is er vandaag niet' on the group teacher's card, in the teacher-first procedure. */
export const colleaguePupilAbsentVerb = (services: Services) =>
  defineVerb({
    verb: 'colleague.pupil-absent',
    schema: colleaguePupilAbsentSchema,
    handle: async ({ caseId, forDay, confirmed }, { staffId, locale, ctx }) => ({
      card: await reportAbsenceAsColleague(
        services,
        caseId,
        forDay,
        confirmed === true,
        { staffId, locale },
        ctx,
      ),
    }),
  });
