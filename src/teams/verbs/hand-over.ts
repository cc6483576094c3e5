import { z } from 'zod';
import { handOver } from '../../app/coordinator-actions';
import type { Services } from '../../app/ports';
import { caseIdSchema, defineVerb, staffIdSchema } from './verb-handler';

const handOverSchema = z.strictObject({ caseId: caseIdSchema, to: staffIdSchema });

/** 'Overdragen': the owner hands the case to another coordinator or deputy of the school. */
export const handOverVerb = (services: Services) =>
  defineVerb({
    verb: 'case.hand-over',
    schema: handOverSchema,
    handle: async ({ caseId, to }, { staffId, locale, ctx }) => ({
      card: await handOver(services, caseId, to, { staffId, locale }, ctx),
    }),
  });
