/**
 * Every error the product raises on purpose carries a stable code. Messages are written for an
 * operator or a log and must never contain a pupil's data: callers pass ids and field names only.
 */
export type ErrorCode =
  | 'config.invalid'
  | 'signal.invalid'
  | 'signal.unknown-school'
  | 'delivery.no-coordinator-reachable'
  /** The person cannot be reached in Teams: the app is not installed for them and could not be installed. */
  | 'delivery.unreachable'
  /** Teams did not take the message, after retries. */
  | 'delivery.failed'
  /** The school's directory (roster file or Microsoft Graph) could not be read. */
  | 'directory.unavailable'
  | 'case.not-found'
  | 'case.not-authorized'
  | 'case.already-claimed'
  /** A coordinator's command on a case someone else owns. */
  | 'case.not-owner'
  /** A command that does not fit the case's current step (a talk before a claim, say). */
  | 'case.wrong-step'
  /** 'Leerling is er vandaag niet' before the support day: nobody can know that yet. */
  | 'case.not-support-day'
  | 'case.closed'
  | 'case.conflict'
  /** The shared store (Redis) did not answer or failed: nothing was decided, try again shortly. */
  | 'store.unavailable'
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

/** A start-up (or reload) refusal: every problem on its own line, each naming its setting. */
export function configError(problems: readonly string[]): HwcError {
  return new HwcError(
    'config.invalid',
    `The configuration is not valid; fix these settings and start again:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
}

export function isHwcError(error: unknown, code?: ErrorCode): error is HwcError {
  return error instanceof HwcError && (code === undefined || error.code === code);
}
