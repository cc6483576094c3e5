import type * as restify from 'restify';
import type { SignalViolation } from '../domain/signal';
import type { AuthResult, SenderIdentity } from '../intake/intake-auth';
import type { AsyncRateLimiter } from '../intake/rate-limiter';
import type { Logger } from '../logging/logger';
import { makeProblem, PROBLEM_CONTENT_TYPE, problemKindForStatus, type ProblemKind } from '../intake/problem';
import { errorSummary } from '../logging/error-summary';
import { newCorrelationId } from '../logging/logger';
import { onRouteError } from './http-server';

/** The answer of an API route (the intake, the statistics), and what its log line needs. */
export interface ApiReply {
  status: number;
  body: string;
  headers: Record<string, string | string[]>;
  problem?: ProblemKind;
  fields?: string[];
  sender?: SenderIdentity;
  replayed?: boolean;
  /** For the log only: a code, never a message that could carry data. */
  reason?: string;
  /** Close the connection after answering (the request body was not fully read). */
  close?: boolean;
}

/** An application/problem+json answer (RFC 9457) that never repeats what the caller sent. */
export function problemReply(
  kind: ProblemKind,
  detail: string,
  correlationId: string,
  extra: Omit<Partial<ApiReply>, 'status' | 'body' | 'problem' | 'fields'> & {
    errors?: SignalViolation[];
  } = {},
): ApiReply {
  const { errors, headers, ...rest } = extra;
  const problem = makeProblem(kind, detail, correlationId, errors);
  return {
    ...rest,
    status: problem.status,
    body: JSON.stringify(problem),
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...headers },
    problem: kind,
    ...(errors ? { fields: errors.map((e) => e.field) } : {}),
  };
}

/**
 * The answer to a request whose credentials did not pass: 503 when the tenant's signing keys
 * cannot be fetched (try again later), 429 for an address that keeps failing, 401 otherwise.
 */
export async function refuseUnauthenticated(
  auth: Extract<AuthResult, { ok: false }>,
  /** clientAddress(req): the connection's, or behind trusted proxies the one they forwarded for. */
  address: string | undefined,
  correlationId: string,
  deps: { failedAuth: AsyncRateLimiter; retryAfterSeconds: number; log: Logger; logPrefix: string },
): Promise<ApiReply> {
  if (auth.kind === 'unavailable') {
    deps.log.error({ correlationId, reason: auth.reason }, `${deps.logPrefix}: cannot check bearer tokens`);
    return problemReply('auth-unavailable', auth.detail, correlationId, {
      headers: { 'Retry-After': String(deps.retryAfterSeconds) },
      reason: auth.reason,
    });
  }
  const budget = await deps.failedAuth.take(`ip:${address ?? 'unknown'}`);
  if (!budget.ok) {
    return problemReply('rate-limited', 'Too many failed authentications; slow down.', correlationId, {
      headers: { 'Retry-After': String(budget.retryAfterSeconds) },
      reason: auth.reason,
    });
  }
  return problemReply('unauthorized', auth.detail, correlationId, {
    headers: { 'WWW-Authenticate': auth.challenges },
    reason: auth.reason,
  });
}

/** Writes the answer; nothing of an API answer may be cached on the way. */
export function sendReply(res: restify.Response, correlationId: string, reply: ApiReply): void {
  const body = Buffer.from(reply.body, 'utf8');
  for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Correlation-Id', correlationId);
  res.setHeader('Content-Length', String(body.length));
  if (reply.replayed) res.setHeader('Idempotent-Replayed', 'true');
  if (reply.close) res.setHeader('Connection', 'close');
  res.sendRaw(reply.status, body);
}

/**
 * Answers one API request with what `work` gives, then `done` logs it. A failure nobody expected
 * becomes a 500 problem that quotes the correlation id (the error is logged, never shown); an
 * answer that cannot be written is logged, and the connection gets a bare 500 if nothing went out.
 */
export function answerRequest(
  res: restify.Response,
  next: restify.Next,
  correlationId: string,
  work: Promise<ApiReply>,
  deps: { log: Logger; logPrefix: string; done: (reply: ApiReply) => void },
): void {
  const { log, logPrefix } = deps;
  work
    .catch((error: unknown): ApiReply => {
      log.error({ correlationId, ...errorSummary(error) }, `${logPrefix}: unexpected failure`);
      return problemReply(
        'internal-error',
        'Something went wrong on our side. Quote the correlationId.',
        correlationId,
      );
    })
    .then((reply) => {
      sendReply(res, correlationId, reply);
      deps.done(reply);
    })
    .catch((error: unknown) => {
      log.error({ correlationId, ...errorSummary(error) }, `${logPrefix}: could not send the answer`);
      if (!res.headersSent) res.sendRaw(500, '');
    })
    .finally(() => next());
}

/**
 * The answers an API path gives outside its own handler, as problems rather than restify's own
 * bodies: 405 for every other method, and for a request a server-wide plugin (a body parser, a
 * throttle) failed, whose restify error message could quote the body (JSON.parse errors do).
 * Nothing of such an error's message is used. `answer` sends and logs the reply.
 */
export function refuseOutsideTheHandler(
  server: restify.Server,
  route: { path: string; method: 'GET' | 'POST'; refusedDetail: string },
  answer: (res: restify.Response, correlationId: string, reply: ApiReply) => void,
): void {
  const { path, method } = route;
  const notAllowed = (_req: restify.Request, res: restify.Response, next: restify.Next) => {
    const correlationId = newCorrelationId();
    const reply = problemReply('method-not-allowed', `Only ${method} is supported here.`, correlationId, {
      headers: { Allow: method },
    });
    answer(res, correlationId, reply);
    next();
  };
  if (method !== 'GET') server.get(path, notAllowed);
  if (method !== 'POST') server.post(path, notAllowed);
  server.put(path, notAllowed);
  server.patch(path, notAllowed);
  server.del(path, notAllowed);

  onRouteError(server, (req: restify.Request, res: restify.Response, err: unknown) => {
    const requested = (req.url ?? '').split('?')[0]?.replace(/\/+$/, '');
    if (requested !== path || res.headersSent) return;
    const status = Number((err as { statusCode?: unknown } | null)?.statusCode);
    const kind = problemKindForStatus(
      Number.isInteger(status) && status >= 400 && status < 600 ? status : 500,
    );
    const correlationId = newCorrelationId();
    const retryAfter = res.getHeader('Retry-After');
    const reply = problemReply(kind, route.refusedDetail, correlationId, {
      headers: {
        ...(retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) }),
        ...(kind === 'method-not-allowed' ? { Allow: method } : {}),
      },
      reason: `restify.${kind}`,
    });
    answer(res, correlationId, reply);
  });
}
