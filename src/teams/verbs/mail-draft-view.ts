import { z } from 'zod';
import { viewMailDraft } from '../../app/mail-drafts';
import type { Services } from '../../app/ports';
import { caseIdSchema, defineVerb } from './verb-handler';

/** A mail draft's id has a case id's shape (a UUID), and is as opaque. */
export const draftActionSchema = z.strictObject({ draftId: caseIdSchema });

/** 'Bekijk' and the automatic refresh of a mail to confirm: what was read, in the intake form. */
export const viewMailDraftVerb = (services: Services) =>
  defineVerb({
    verb: 'mail-draft.view',
    schema: draftActionSchema,
    handle: async ({ draftId }, { staffId, locale }) => ({
      card: await viewMailDraft(services, draftId, { staffId, locale }),
    }),
  });
