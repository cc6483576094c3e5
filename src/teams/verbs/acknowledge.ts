import { acknowledge } from '../../app/colleague-actions';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Gelezen': by the colleague the card was sent to, and only by them. */
export const acknowledgeVerb = (services: Services) =>
  defineVerb({
    verb: 'colleague.acknowledge',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await acknowledge(services, caseId, { staffId, locale }, ctx),
    }),
  });
