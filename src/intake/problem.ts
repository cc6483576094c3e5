import type { SignalViolation } from '../domain/signal';

/**
 * Problem details (RFC 9457) for the intake API. Every problem kind has a stable `type` URN that
 * senders can branch on; `detail` is written by us and never contains anything the sender sent.
 */
export const PROBLEM_TYPE_PREFIX = 'urn:hwc:problem:';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemKinds = {
  'bad-request': { status: 400, title: 'Bad request' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'invalid-idempotency-key': { status: 400, title: 'The Idempotency-Key header is not valid' },
  unauthorized: { status: 401, title: 'No valid credentials' },
  forbidden: { status: 403, title: 'This sender may not send signals for this school' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON' },
  'extra-fields': { status: 422, title: 'The signal contains fields that are not allowed' },
  'invalid-signal': { status: 422, title: 'The signal is not valid' },
  'idempotency-key-reused': {
    status: 422,
    title: 'The Idempotency-Key was already used for a different request',
  },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'not-found': { status: 404, title: 'Not found' },
  'unknown-signal': { status: 404, title: 'No such signal is known for these credentials' },
  'internal-error': { status: 500, title: 'Internal error' },
  'no-coordinator-reachable': { status: 503, title: 'No coordinator of the school could be reached' },
  'auth-unavailable': { status: 503, title: 'Credentials cannot be checked right now' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof problemKinds;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  correlationId: string;
  /** Only for 422: which fields failed and why, never their values. */
  errors?: SignalViolation[];
}

export function problemType(kind: ProblemKind): string {
  return `${PROBLEM_TYPE_PREFIX}${kind}`;
}

export function makeProblem(
  kind: ProblemKind,
  detail: string,
  correlationId: string,
  errors?: SignalViolation[],
): Problem {
  const { status, title } = problemKinds[kind];
  const problem: Problem = { type: problemType(kind), title, status, detail, correlationId };
  if (errors) problem.errors = errors.map(({ field, message }) => ({ field, message }));
  return problem;
}

const kindByStatus: Record<number, ProblemKind> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'rate-limited',
  503: 'service-unavailable',
};

/** The closest problem kind for an HTTP status raised by something other than the intake handler. */
export function problemKindForStatus(status: number): ProblemKind {
  return kindByStatus[status] ?? (status >= 500 ? 'internal-error' : 'bad-request');
}
