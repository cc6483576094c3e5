import { z } from 'zod';
import type { RequestContext } from '../../app/ports';
import type { AdaptiveCardJson } from '../../cards/card-data';

/** Who invoked a verb, as Teams authenticated them. */
export interface VerbInvocation {
  staffId: string;
  locale: string | undefined;
  ctx: RequestContext;
}

export interface VerbOutcome {
  /** Returned to the invoke: shown to this user only, cached on their device only. */
  card: AdaptiveCardJson;
  /** When set, the message the action came from is replaced by this neutral card. */
  replaceMessageWith?: AdaptiveCardJson;
}

export interface VerbHandler<T = unknown> {
  verb: string;
  /** The card action's data; anything else in it is refused. */
  schema: z.ZodType<T>;
  handle(data: T, invocation: VerbInvocation): Promise<VerbOutcome>;
}

/** Case ids are random UUIDs; anything else is a tampered or foreign card. */
export const caseIdSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/** The action data of every case card: the case id, nothing more. */
export const caseActionSchema = z.strictObject({ caseId: caseIdSchema });

/** An Entra object id, as the people picker and the directory give them. */
export const staffIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/)
  .transform((id) => id.toLowerCase());

/** A multi-select input arrives as one comma-separated string; absent or empty is no choice. */
export function commaList<T>(item: z.ZodType<T, string>) {
  return z
    .string()
    .max(20_000)
    .optional()
    .transform((text) =>
      (text ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(item));
}

export function defineVerb<T>(handler: VerbHandler<T>): VerbHandler {
  return handler as VerbHandler;
}
