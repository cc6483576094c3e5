import { z } from 'zod';
import type { Services } from '../../app/ports';
import { submitIntakeForm, type SentFormLedger } from '../../app/teams-intake';
import { defineVerb } from './verb-handler';

// Inputs arrive as strings; a missing one is an empty field, reported by the signal schema.
const text = z.string().max(1000).optional().default('');

const intakeFormSchema = z.strictObject({
  formId: z.string().regex(/^[0-9a-f-]{36}$/),
  schoolId: text,
  pupilName: text,
  birthDate: text,
  source: text,
});

/** The filled 'nieuw signaal' form: same pipeline as the API, then the form is blanked. */
export const submitIntakeVerb = (services: Services, sentForms: SentFormLedger) =>
  defineVerb({
    verb: 'intake.submit',
    schema: intakeFormSchema,
    handle: async ({ formId, ...values }, { staffId, locale, ctx }) => {
      const outcome = await submitIntakeForm(services, sentForms, staffId, locale, formId, values, ctx);
      // Only a sent (or refused) form is replaced; an invalid one stays so it can be corrected.
      const replace = outcome.kind === 'sent' || outcome.kind === 'not-allowed';
      return { card: outcome.card, ...(replace ? { replaceMessageWith: outcome.card } : {}) };
    },
  });
