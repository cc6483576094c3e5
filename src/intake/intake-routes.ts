import type { IncomingMessage } from 'node:http';
import type * as restify from 'restify';
import { HwcError, isHwcError } from '../domain/errors';
import { EXTRA_FIELDS_MESSAGE, parseSignal, type SignalInput, type SignalRules } from '../domain/signal';
import {
  problemReply,
  refuseOutsideTheHandler,
  refuseUnauthenticated,
  sendReply,
  type ApiReply,
} from '../http/api-replies';
import { errorSummary } from '../logging/error-summary';
import { newCorrelationId, type Logger } from '../logging/logger';
import { readBodyWithLimit } from './body';
import { IdempotencyStore, parseIdempotencyKey, type StoredResponse } from './idempotency';
import { createIntakeAuthenticator, type IntakeAuthOptions, type SenderIdentity } from './intake-auth';
import { makeProblem, PROBLEM_CONTENT_TYPE } from './problem';
import { RateLimiter } from './rate-limiter';

export type { SenderIdentity, IntakeAuthOptions } from './intake-auth';

export const SIGNALS_PATH = '/api/signals';

export interface IntakeLimits {
  /** Largest accepted body, counted while reading. Default 4096 bytes. */
  maxBodyBytes?: number;
  /** Per authenticated sender. Default 60. */
  requestsPerMinute?: number;
  /** Failed authentications per client IP before answering 429 instead of 401. Default 20. */
  failedAuthPerMinute?: number;
  /** How long an Idempotency-Key's answer is kept. Default 24 hours. */
  idempotencyTtlMs?: number;
  /** How many Idempotency-Key answers are kept at most (oldest go first). Default 10000. */
  idempotencyMaxEntries?: number;
  /** Retry-After on a 503. Default 60 seconds. */
  retryAfterSeconds?: number;
}

export interface IntakeDeps {
  receiveSignal(
    signal: SignalInput,
    ctx: { correlationId: string; sender: SenderIdentity },
  ): Promise<{ signalId: string; deliveredTo: number }>;
  signalRules(): SignalRules;
  /** False → 403. */
  isSenderAllowed(sender: SenderIdentity, schoolId: string): boolean;
  auth: IntakeAuthOptions;
  logger: Logger;
  now?: () => Date;
  limits?: IntakeLimits;
}

type Reply = ApiReply;

const JSON_CONTENT_TYPE = 'application/json';

/** `application/json`, optionally with `charset=utf-8`; nothing else. */
function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value.split(';');
  if (type?.trim().toLowerCase() !== JSON_CONTENT_TYPE) return false;
  return params.every((p) => {
    const [name, raw = ''] = p.split('=');
    if (name?.trim().toLowerCase() !== 'charset') return true;
    return raw.trim().replace(/^"|"$/g, '').toLowerCase() === 'utf-8';
  });
}

/** The signal as a canonical string, to tell requests under the same Idempotency-Key apart. */
function canonical(signal: SignalInput): string {
  return JSON.stringify([signal.schoolId, signal.pupil.name, signal.pupil.birthDate, signal.source]);
}

/**
 * Registers POST /api/signals, the HTTPS intake of Handle with Care signals, on a restify server.
 * The handler reads the body itself (do not put restify's bodyParser in front of this route) and
 * answers every failure with application/problem+json that never echoes what was sent.
 */
export function registerIntakeRoutes(server: restify.Server, deps: IntakeDeps): void {
  const log = deps.logger.child({ component: 'intake' });
  const now = deps.now ?? (() => new Date());
  const nowMs = () => now().getTime();
  const limits = {
    maxBodyBytes: deps.limits?.maxBodyBytes ?? 4096,
    requestsPerMinute: deps.limits?.requestsPerMinute ?? 60,
    failedAuthPerMinute: deps.limits?.failedAuthPerMinute ?? 20,
    idempotencyTtlMs: deps.limits?.idempotencyTtlMs ?? 24 * 60 * 60 * 1000,
    idempotencyMaxEntries: deps.limits?.idempotencyMaxEntries ?? 10_000,
    retryAfterSeconds: deps.limits?.retryAfterSeconds ?? 60,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1)
      throw new HwcError('config.invalid', `intake limit ${name} must be a positive whole number`);
  }
  const authenticator = createIntakeAuthenticator(deps.auth, now);
  const senderLimiter = new RateLimiter(limits.requestsPerMinute, nowMs);
  const failedAuthLimiter = new RateLimiter(limits.failedAuthPerMinute, nowMs);
  const idempotency = new IdempotencyStore({
    ttlMs: limits.idempotencyTtlMs,
    maxEntries: limits.idempotencyMaxEntries,
    now: nowMs,
  });

  async function deliver(signal: SignalInput, sender: SenderIdentity, correlationId: string): Promise<Reply> {
    try {
      const { signalId, deliveredTo } = await deps.receiveSignal(signal, { correlationId, sender });
      return {
        status: 201,
        body: JSON.stringify({ signalId, deliveredTo }),
        headers: { 'Content-Type': JSON_CONTENT_TYPE },
        sender,
      };
    } catch (error) {
      if (isHwcError(error, 'delivery.no-coordinator-reachable')) {
        return problemReply(
          'no-coordinator-reachable',
          'The signal was not delivered and is not kept. Send it again after the Retry-After interval.',
          correlationId,
          { headers: { 'Retry-After': String(limits.retryAfterSeconds) }, sender, reason: error.code },
        );
      }
      if (isHwcError(error, 'signal.unknown-school')) {
        return problemReply('invalid-signal', 'The signal is not valid; see errors.', correlationId, {
          errors: [{ field: 'schoolId', message: 'unknown school' }],
          sender,
          reason: error.code,
        });
      }
      if (isHwcError(error, 'signal.invalid')) {
        return problemReply('invalid-signal', 'The signal is not valid.', correlationId, {
          sender,
          reason: error.code,
        });
      }
      log.error({ correlationId, ...errorSummary(error) }, 'intake: receiving a signal failed');
      return problemReply(
        'internal-error',
        'Something went wrong on our side. Quote the correlationId.',
        correlationId,
        {
          sender,
        },
      );
    }
  }

  async function handle(req: IncomingMessage, correlationId: string): Promise<Reply> {
    // 1. Who is it? (401; 429 per client IP when failing repeatedly; 503 when keys cannot be fetched)
    const auth = await authenticator.authenticate(req.headers);
    if (!auth.ok) {
      return refuseUnauthenticated(auth, req.socket.remoteAddress, correlationId, {
        failedAuth: failedAuthLimiter,
        retryAfterSeconds: limits.retryAfterSeconds,
        log,
        logPrefix: 'intake',
      });
    }
    const sender = auth.sender;

    // 2. Per-sender budget (429), taken for every authenticated request, valid or not.
    const budget = senderLimiter.take(`${sender.kind}:${sender.id}`);
    if (!budget.ok) {
      return problemReply('rate-limited', 'Too many requests from this sender; slow down.', correlationId, {
        headers: { 'Retry-After': String(budget.retryAfterSeconds) },
        sender,
      });
    }

    // 3. JSON only (415).
    const encoding = req.headers['content-encoding'];
    if (
      !isJsonContentType(req.headers['content-type']) ||
      (encoding && encoding.toLowerCase() !== 'identity')
    ) {
      return problemReply(
        'unsupported-media-type',
        'Send the signal as Content-Type: application/json (UTF-8, not compressed).',
        correlationId,
        { headers: { 'Accept-Post': JSON_CONTENT_TYPE }, sender },
      );
    }

    // 4. Size, counted while reading (413).
    const read = await readBodyWithLimit(req, limits.maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'too-large') {
        return problemReply(
          'payload-too-large',
          `The request body is larger than ${limits.maxBodyBytes} bytes.`,
          correlationId,
          { sender, close: !read.drained },
        );
      }
      if (read.reason === 'consumed') {
        log.error(
          { correlationId },
          'intake: the request body was read before the intake handler (a body parser?)',
        );
        return problemReply(
          'internal-error',
          'Something went wrong on our side. Quote the correlationId.',
          correlationId,
          {
            sender,
          },
        );
      }
      return problemReply('malformed-json', 'The request body was not received completely.', correlationId, {
        sender,
        reason: 'aborted',
        close: true,
      });
    }

    // 4b. JSON (400).
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(read.body));
    } catch {
      return problemReply('malformed-json', 'The request body is not valid UTF-8 JSON.', correlationId, {
        sender,
      });
    }

    // 5. May this sender send for this school? (403) Before the schema, so that a credential
    // scoped to one school cannot learn from 403 versus 422 which other school ids exist.
    const schoolId = (json as { schoolId?: unknown } | null)?.schoolId;
    if (
      typeof schoolId === 'string' &&
      ((auth.schools !== 'all' && !auth.schools.includes(schoolId)) ||
        !deps.isSenderAllowed(sender, schoolId))
    ) {
      return problemReply(
        'forbidden',
        'These credentials may not send signals for this school.',
        correlationId,
        {
          sender,
        },
      );
    }

    // 6. The schema (422). Messages name the field and the rule, never the value.
    const parsed = parseSignal(json, deps.signalRules());
    if (!parsed.ok) {
      return problemReply(
        parsed.extraFields ? 'extra-fields' : 'invalid-signal',
        parsed.extraFields ? EXTRA_FIELDS_MESSAGE : 'The signal is not valid; see errors.',
        correlationId,
        { errors: parsed.violations, sender },
      );
    }
    const signal = parsed.signal;

    // 7. Idempotency: the first final answer per (sender, key) is the answer (400, 422).
    const key = parseIdempotencyKey(req.headers['idempotency-key']);
    if (key === null) {
      return problemReply(
        'invalid-idempotency-key',
        'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
        correlationId,
        { sender },
      );
    }
    if (key === undefined) return deliver(signal, sender, correlationId);

    const claim = idempotency.claim(
      `${sender.kind}:${sender.id}\n${key}`,
      idempotency.fingerprint(canonical(signal)),
    );
    if (claim.kind === 'mismatch') {
      return problemReply(
        'idempotency-key-reused',
        'This Idempotency-Key was already used for a different signal. Use a new key for a new signal.',
        correlationId,
        { sender },
      );
    }
    if (claim.kind === 'replay') {
      const answer = await claim.answer;
      return { ...answer, sender, replayed: true };
    }
    let reply: Reply | undefined;
    try {
      reply = await deliver(signal, sender, correlationId);
      return reply;
    } finally {
      const answer: StoredResponse = reply
        ? { status: reply.status, body: reply.body, headers: stringHeaders(reply.headers) }
        : {
            status: 500,
            body: JSON.stringify(
              makeProblem('internal-error', 'Something went wrong on our side.', correlationId),
            ),
            headers: { 'Content-Type': PROBLEM_CONTENT_TYPE },
          };
      const keep =
        answer.status === 201 || (answer.status >= 400 && answer.status < 500 && answer.status !== 429);
      claim.settle(answer, keep);
    }
  }

  function record(correlationId: string, reply: Reply, startedAt: number): void {
    const line = {
      correlationId,
      senderKind: reply.sender?.kind,
      senderId: reply.sender?.id,
      status: reply.status,
      problem: reply.problem,
      fields: reply.fields,
      reason: reply.reason,
      replayed: reply.replayed || undefined,
      durationMs: Date.now() - startedAt,
    };
    if (reply.status >= 500) log.error(line, 'intake: request failed');
    else if (reply.status === 201) log.info(line, 'intake: signal accepted');
    else log.warn(line, 'intake: request refused');
  }

  server.post(SIGNALS_PATH, (req: restify.Request, res: restify.Response, next: restify.Next) => {
    const correlationId = newCorrelationId();
    const startedAt = Date.now();
    handle(req, correlationId)
      .catch((error: unknown): Reply => {
        log.error({ correlationId, ...errorSummary(error) }, 'intake: unexpected failure');
        return problemReply(
          'internal-error',
          'Something went wrong on our side. Quote the correlationId.',
          correlationId,
        );
      })
      .then((reply) => {
        sendReply(res, correlationId, reply);
        record(correlationId, reply, startedAt);
      })
      .catch((error: unknown) => {
        log.error({ correlationId, ...errorSummary(error) }, 'intake: could not send the answer');
        if (!res.headersSent) res.sendRaw(500, '');
      })
      .finally(() => next());
  });

  refuseOutsideTheHandler(
    server,
    {
      path: SIGNALS_PATH,
      method: 'POST',
      refusedDetail: 'The request was refused before it reached the signal intake.',
    },
    (res, correlationId, reply) => {
      sendReply(res, correlationId, reply);
      record(correlationId, reply, Date.now());
    },
  );
}

function stringHeaders(headers: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
  );
}
