import { HwcError } from '../domain/errors';

/**
 * What may be logged of an error: its kind, code and HTTP status, never its message, which
 * for errors from libraries can quote what a user typed.
 */
export function errorSummary(error: unknown): Record<string, unknown> {
  if (error instanceof HwcError) return { name: error.name, code: error.code };
  if (error instanceof Error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    return { name: error.name, ...(typeof status === 'number' ? { statusCode: status } : {}) };
  }
  return { name: typeof error };
}
