/**
 * Every error the product raises on purpose carries a stable code. Messages are written for an
 * operator or a log and must never contain a pupil's data: callers pass ids and field names only.
 */
export type ErrorCode =
  | 'config.invalid'
  | 'signal.invalid'
  | 'signal.unknown-school'
  | 'delivery.no-coordinator-reachable'
  | 'case.not-found'
  | 'case.not-authorized'
  | 'case.already-claimed'
  | 'case.closed'
  | 'case.conflict'
  | 'action.invalid';

export class HwcError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HwcError';
  }
}

export function isHwcError(error: unknown, code?: ErrorCode): error is HwcError {
  return error instanceof HwcError && (code === undefined || error.code === code);
}
