import { z } from 'zod';
import { viewCase } from '../../app/coordinator-actions';
import { recordParents } from '../../app/parents-step';
import type { Services } from '../../app/ports';
import { parentsChoices } from '../../domain/case';
import { caseIdSchema, defineVerb } from './verb-handler';

const recordParentsSchema = z.strictObject({
  caseId: caseIdSchema,
  // Absent when nothing was ticked (a client that skips the required check): the view comes back.
  parents: z.enum(parentsChoices).optional(),
});

/** The parents step, as a choice; with every acknowledgement in, it closes the case. */
export const recordParentsVerb = (services: Services) =>
  defineVerb({
    verb: 'case.record-parents',
    schema: recordParentsSchema,
    handle: async ({ caseId, parents }, { staffId, locale, ctx }) => ({
      card: parents
        ? await recordParents(services, caseId, parents, { staffId, locale }, ctx)
        : await viewCase(services, caseId, { staffId, locale }),
    }),
  });
