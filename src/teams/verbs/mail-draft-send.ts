import { z } from 'zod';
import { sendMailDraft } from '../../app/mail-drafts';
import type { Services } from '../../app/ports';
import type { SentFormLedger } from '../../app/teams-intake';
import { caseIdSchema, defineVerb } from './verb-handler';

// Inputs arrive as strings; a missing one is an empty field, reported by the signal schema.
const text = z.string().max(1000).optional().default('');

const sendSchema = z.strictObject({
  draftId: caseIdSchema,
  pupilName: text,
  birthDate: text,
  source: text,
});

/** 'Verstuur als signaal': the corrected reading of a mail, through the same pipeline as the API. */
export const sendMailDraftVerb = (services: Services, sentForms: SentFormLedger) =>
  defineVerb({
    verb: 'mail-draft.send',
    schema: sendSchema,
    handle: async ({ draftId, ...values }, { staffId, locale, ctx }) => {
      const outcome = await sendMailDraft(services, sentForms, draftId, values, { staffId, locale }, ctx);
      return { card: outcome.card, ...(outcome.replace ? { replaceMessageWith: outcome.card } : {}) };
    },
  });
