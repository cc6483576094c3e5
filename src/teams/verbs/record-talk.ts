import { z } from 'zod';
import type { Services } from '../../app/ports';
import { recordTalk } from '../../app/talk-with-pupil';
import { SUPPORT_OPTION_ID } from '../../domain/school';
import { caseIdSchema, commaList, defineVerb, staffIdSchema } from './verb-handler';

const recordTalkSchema = z.strictObject({
  caseId: caseIdSchema,
  support: commaList(z.string().regex(SUPPORT_OPTION_ID)),
  // The card limits the note; a longer one comes back to the form with a message, not a refusal.
  note: z.string().max(20_000).optional().default(''),
  suggested: commaList(staffIdSchema),
  others: commaList(staffIdSchema),
  nobody: z.enum(['true', 'false']).optional().default('false'),
});

/** 'Vastleggen en informeren': what the pupil needs and who may know; the colleagues get their card. */
export const recordTalkVerb = (services: Services) =>
  defineVerb({
    verb: 'case.record-talk',
    schema: recordTalkSchema,
    handle: async ({ caseId, nobody, ...form }, { staffId, locale, ctx }) => ({
      card: await recordTalk(
        services,
        caseId,
        { ...form, nobody: nobody === 'true' },
        { staffId, locale },
        ctx,
      ),
    }),
  });
