import type { Services } from '../../app/ports';
import { openTalkForm } from '../../app/talk-with-pupil';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Gesprek gevoerd': the form for what was agreed and who may know. */
export const openTalkFormVerb = (services: Services) =>
  defineVerb({
    verb: 'case.talk-form',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await openTalkForm(services, caseId, { staffId, locale }, ctx),
    }),
  });
