import { parentsInformed, parentsInformedByColleague } from '../../app/parents-step';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Ouders geïnformeerd' by the coordinator: for themself, or for the colleague who was to do it. */
export const parentsInformedVerb = (services: Services) =>
  defineVerb({
    verb: 'case.parents-done',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await parentsInformed(services, caseId, { staffId, locale }, ctx),
    }),
  });

/** 'Ouders geïnformeerd' on the card of the colleague asked to inform them, and only theirs. */
export const colleagueParentsInformedVerb = (services: Services) =>
  defineVerb({
    verb: 'colleague.parents-done',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale, ctx }) => ({
      card: await parentsInformedByColleague(services, caseId, { staffId, locale }, ctx),
    }),
  });
