import { z } from 'zod';
import { recordParents } from '../../app/parents-step';
import type { Services } from '../../app/ports';
import { parentsChoices } from '../../domain/case';
import { caseIdSchema, defineVerb, staffIdSchema } from './verb-handler';

const recordParentsSchema = z.strictObject({
  caseId: caseIdSchema,
  // Absent when nothing was ticked (a client that skips the required check): the view says what is missing.
  parents: z.enum(parentsChoices).optional(),
  /** The colleague who informs the parents; an untouched picker sends an empty string. */
  parentsBy: z.union([staffIdSchema, z.literal('').transform(() => undefined)]).optional(),
});

/** The parents step, as a choice, with the colleague who informs them when that is not the coordinator. */
export const recordParentsVerb = (services: Services) =>
  defineVerb({
    verb: 'case.record-parents',
    schema: recordParentsSchema,
    handle: async ({ caseId, parents, parentsBy }, { staffId, locale, ctx }) => ({
      card: await recordParents(services, caseId, parents, parentsBy, { staffId, locale }, ctx),
    }),
  });
