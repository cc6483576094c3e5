import { z } from 'zod';
import { pupilNameSchema } from './pupil-name';

export { MAX_NAME_LENGTH } from './pupil-name';

export const signalSources = ['police', 'municipality', 'veilig-thuis'] as const;
export type SignalSource = (typeof signalSources)[number];

/** Pupils in primary, secondary and vocational education; anything older is a typing error. */
export const MAX_PUPIL_AGE_YEARS = 30;

export interface Pupil {
  name: string;
  birthDate: string;
}

/** A signal carries exactly the three facts of Handle with Care, plus where it goes and comes from. */
export interface SignalInput {
  schoolId: string;
  pupil: Pupil;
  source: SignalSource;
}

export interface SignalRules {
  /** The sender's 'today' as YYYY-MM-DD, so a birth date in the future can be refused. */
  today: string;
  isKnownSchool: (schoolId: string) => boolean;
}

function isRealDate(value: string): boolean {
  const [y, m, d] = value.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function yearsBefore(today: string, years: number): string {
  const year = Number(today.slice(0, 4)) - years;
  return `${String(year).padStart(4, '0')}${today.slice(4)}`;
}

// The rules of a request (its sender's 'today', the schools known now) reach the schema through
// zod's context-free refinements below as the argument of one parse: the schema itself is built
// once, not per request (building it cost more than parsing a signal with it).
let current: SignalRules | undefined;

function rulesInForce(): SignalRules {
  if (!current) throw new Error('the signal schema is used only through parseSignal');
  return current;
}

/**
 * The one schema for a signal, whether it arrives through the API or the form in Teams.
 * Messages name the rule that failed and never the value, so they can be shown and logged.
 */
const schema = z.strictObject({
  schoolId: z
    .string({ message: 'expected the id of a school' })
    .refine((id) => rulesInForce().isKnownSchool(id), { message: 'unknown school' }),
  pupil: z.strictObject({
    // Normalised (NFC, single spaces) and checked for letters, invisible and direction characters.
    name: pupilNameSchema,
    birthDate: z
      .string({ message: 'expected a date as YYYY-MM-DD' })
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
      .refine(isRealDate, { message: 'not a real calendar date' })
      .refine((d) => d <= rulesInForce().today, { message: 'the date of birth is in the future' })
      .refine((d) => d >= yearsBefore(rulesInForce().today, MAX_PUPIL_AGE_YEARS), {
        message: `the date of birth is more than ${MAX_PUPIL_AGE_YEARS} years ago`,
      }),
  }),
  source: z.enum(signalSources, { message: `expected one of: ${signalSources.join(', ')}` }),
});

/** Parses with the rules of this request; synchronous, so no other parse comes between. */
function parseWith(input: unknown, rules: SignalRules) {
  current = rules;
  try {
    return schema.safeParse(input);
  } finally {
    current = undefined;
  }
}

export interface SignalViolation {
  /** A dotted path such as 'pupil.birthDate'; never the value. */
  field: string;
  message: string;
}

export type SignalParseResult =
  { ok: true; signal: SignalInput } | { ok: false; extraFields: boolean; violations: SignalViolation[] };

export const EXTRA_FIELDS_MESSAGE =
  "A Handle with Care signal carries only the pupil's name and date of birth (and the school and source); other fields are refused.";

/** Parses untrusted input; the result never contains the input's values, only field names. */
export function parseSignal(input: unknown, rules: SignalRules): SignalParseResult {
  const result = parseWith(input, rules);
  if (result.success) return { ok: true, signal: result.data };
  let extraFields = false;
  const violations: SignalViolation[] = [];
  for (const issue of result.error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      // Extra keys are the sender's text too (a name could be sent as a key): not echoed.
      extraFields = true;
      violations.push({ field: base || '(body)', message: EXTRA_FIELDS_MESSAGE });
    } else {
      violations.push({ field: base || '(body)', message: issue.message });
    }
  }
  return { ok: false, extraFields, violations };
}
