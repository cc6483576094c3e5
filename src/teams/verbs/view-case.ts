import { viewCase } from '../../app/coordinator-actions';
import type { Services } from '../../app/ports';
import { caseActionSchema, defineVerb } from './verb-handler';

/** 'Bekijk' and the automatic refresh: the signal's content, for a coordinator of the school. */
export const viewCaseVerb = (services: Services) =>
  defineVerb({
    verb: 'case.view',
    schema: caseActionSchema,
    handle: async ({ caseId }, { staffId, locale }) => ({
      card: await viewCase(services, caseId, { staffId, locale }),
    }),
  });
