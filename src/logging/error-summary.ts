import { HwcError } from '../domain/errors';

function stackFrames(error: Error): string {
  let stack = error.stack ?? '';
  // Drop the "Name: message" head, however many lines the message spans, then keep frames only.
  const head = `${error.name}: ${error.message}`;
  if (stack.startsWith(head)) stack = stack.slice(head.length);
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .map((line) => line.trim())
    .join('\n');
}

/**
 * The log fields of an error: its name, our code, the HTTP status and the stack frames, never the
 * message of an error we did not raise, which (from a library, from JSON.parse) can quote what a
 * user typed. An HwcError's message holds ids and field names only, by contract.
 */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { errorName: typeof error };
  const fields: Record<string, unknown> = { errorName: error.name };
  if (error instanceof HwcError) {
    fields.errorCode = error.code;
    fields.errorMessage = error.message;
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number') fields.httpStatus = status;
  fields.errorStack = stackFrames(error);
  return fields;
}
