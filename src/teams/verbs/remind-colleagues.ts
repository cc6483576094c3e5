import { z } from 'zod';
import { remind } from '../../app/inform-colleagues';
import type { Services } from '../../app/ports';
import { caseIdSchema, defineVerb } from './verb-handler';

/** `round` is how many reminders the card had seen: a double click reminds once. */
const remindSchema = z.strictObject({ caseId: caseIdSchema, round: z.number().int().min(0).max(1000) });

/** 'Herinner': notifies again the colleagues who have not read their card. */
export const remindColleaguesVerb = (services: Services) =>
  defineVerb({
    verb: 'case.remind',
    schema: remindSchema,
    handle: async ({ caseId, round }, { staffId, locale, ctx }) => ({
      card: await remind(services, caseId, round, { staffId, locale }, ctx),
    }),
  });
