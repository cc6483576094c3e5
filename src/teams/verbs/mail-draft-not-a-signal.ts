import { z } from 'zod';
import { markNotASignal } from '../../app/mail-drafts';
import type { Services } from '../../app/ports';
import { caseIdSchema, defineVerb } from './verb-handler';

/** Without `confirmed` the answer is the question; confirmed, the mail goes to 'Niet verwerkt'. */
const notASignalSchema = z.strictObject({ draftId: caseIdSchema, confirmed: z.literal(true).optional() });

/** 'Dit is geen signaal' on a mail the bot could not read with certainty. */
export const mailDraftNotASignalVerb = (services: Services) =>
  defineVerb({
    verb: 'mail-draft.not-a-signal',
    schema: notASignalSchema,
    handle: async ({ draftId, confirmed }, { staffId, locale, ctx }) => {
      const outcome = await markNotASignal(services, draftId, confirmed === true, { staffId, locale }, ctx);
      return { card: outcome.card, ...(outcome.replace ? { replaceMessageWith: outcome.card } : {}) };
    },
  });
