import type { IncomingMessage } from 'node:http';
import type * as restify from 'restify';
import { HwcError, isHwcError } from '../domain/errors';
import { EXTRA_FIELDS_MESSAGE, parseSignal, type SignalInput, type SignalRules } from '../domain/signal';
import {
  answerRequest,
  problemReply,
  refuseOutsideTheHandler,
  refuseUnauthenticated,
  sendReply,
  type ApiReply,
} from '../http/api-replies';
import { clientAddress } from '../http/client-address';
import { errorSummary } from '../logging/error-summary';
import { newCorrelationId, type Logger } from '../logging/logger';
import { readBodyWithLimit } from './body';
import type { RedisClient } from '../redis/redis-client';
import {
  MemoryIdempotencyStore,
  parseIdempotencyKey,
  type IdempotencyStore,
  type StoredResponse,
} from './idempotency';
import {
  createIntakeAuthenticator,
  type AuthResult,
  type IntakeAuthOptions,
  type SenderIdentity,
} from './intake-auth';
import { makeProblem, PROBLEM_CONTENT_TYPE } from './problem';
import { MemoryRateLimiter, type AsyncRateLimiter } from './rate-limiter';
import { RedisIdempotencyStore } from './redis-idempotency';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisSignalReceipts } from './redis-signal-receipts';
import { MemorySignalReceipts } from './signal-receipts';
import { tombstoneUntil } from '../app/end-case';
import type { SignalReceipts } from '../app/ports';
import type { CaseEnding, CaseStore } from '../store/case-store';
import type { HwcCase } from '../domain/case';

export type { SenderIdentity, IntakeAuthOptions } from './intake-auth';

export const SIGNALS_PATH = '/api/signals';
/** GET: the state of a signal, for its sender (a lowercase pattern, as the request log names it). */
export const SIGNAL_STATE_PATH = '/api/signals/:id';

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

/**
 * What the instances of the bot share, so that a retry, a sender's budget and a failing address
 * count the same whichever instance a request reaches. Without it, each instance keeps its own in
 * memory (one instance only).
 */
export interface IntakeShared {
  idempotency: IdempotencyStore;
  /** Per authenticated sender; its limit is the limiter's own, not `limits.requestsPerMinute`. */
  senderLimiter: AsyncRateLimiter;
  /** Failed authentications per client address; its limit is the limiter's own. */
  failedAuthLimiter: AsyncRateLimiter;
  /** Which signal became which case, for its sender's GET; default: in memory. */
  receipts?: SignalReceipts;
}

export interface IntakeDeps {
  receiveSignal(
    signal: SignalInput,
    ctx: { correlationId: string; sender: SenderIdentity },
  ): Promise<{
    signalId: string;
    deliveredTo: number;
    caseId?: string;
    /** The end of the last day the case can be on (a pupil absent moves it); its receipt lasts past it. */
    latestDayEnd?: Date;
  }>;
  /**
   * The open cases and the tombstones of ended ones. With it, GET /api/signals/{signalId} tells a
   * sender what became of a signal it posted (a signal is remembered only when receiveSignal names
   * its case and support day); without it, that route is not there.
   */
  cases?: Pick<CaseStore, 'get' | 'ending'>;
  signalRules(): SignalRules;
  /** False → 403. */
  isSenderAllowed(sender: SenderIdentity, schoolId: string): boolean;
  /** The school's own id for what a sender gave as `schoolId` (its id, or its BRIN code); else as given. */
  resolveSchoolId?(schoolId: string): string;
  auth: IntakeAuthOptions;
  logger: Logger;
  now?: () => Date;
  limits?: IntakeLimits;
  /** The shared pieces (createRedisIntakeShared); default: in memory, built from `limits`. */
  shared?: IntakeShared;
}

type Reply = ApiReply;

/** The answer when the shared store failed: nothing was decided, so nothing is claimed. */
export const STORE_UNAVAILABLE_DETAIL =
  'The signal was not accepted and is not kept. Send it again after the Retry-After interval.';

const BUSY_DETAIL =
  'An earlier request with this Idempotency-Key is still being handled. Send it again after the Retry-After interval to get its answer.';

/** The limits with their defaults, checked: a positive whole number each. */
export function resolveIntakeLimits(limits: IntakeLimits = {}): Required<IntakeLimits> {
  const resolved = {
    maxBodyBytes: limits.maxBodyBytes ?? 4096,
    requestsPerMinute: limits.requestsPerMinute ?? 60,
    failedAuthPerMinute: limits.failedAuthPerMinute ?? 20,
    idempotencyTtlMs: limits.idempotencyTtlMs ?? 24 * 60 * 60 * 1000,
    idempotencyMaxEntries: limits.idempotencyMaxEntries ?? 10_000,
    retryAfterSeconds: limits.retryAfterSeconds ?? 60,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1)
      throw new HwcError('config.invalid', `intake limit ${name} must be a positive whole number`);
  }
  return resolved;
}

export interface RedisIntakeSharedOptions {
  /** The process's shared, connected client. */
  client: RedisClient;
  /** INTAKE_IDEMPOTENCY_SECRET as bytes, the same on every instance (at least 32). */
  secret: Buffer;
  /** Before every key name; default '{hwc}:'. */
  prefix?: string;
  /** The same limits as given to registerIntakeRoutes. */
  limits?: IntakeLimits;
  /** The app's clock, the same as registerIntakeRoutes' `now`: a receipt expires by it. */
  now?: () => Date;
}

/** The intake's shared pieces in Redis, with the limits of `limits`. */
export function createRedisIntakeShared(options: RedisIntakeSharedOptions): IntakeShared {
  const limits = resolveIntakeLimits(options.limits);
  const common = {
    client: options.client,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
  };
  return {
    idempotency: new RedisIdempotencyStore({
      ...common,
      secret: options.secret,
      ttlMs: limits.idempotencyTtlMs,
    }),
    senderLimiter: new RedisRateLimiter({
      ...common,
      name: 'intake-sender',
      perMinute: limits.requestsPerMinute,
      keySecret: options.secret,
    }),
    failedAuthLimiter: new RedisRateLimiter({
      ...common,
      name: 'intake-failed-auth',
      perMinute: limits.failedAuthPerMinute,
      keySecret: options.secret,
    }),
    receipts: new RedisSignalReceipts({
      ...common,
      ...(options.now ? { now: () => options.now!().getTime() } : {}),
    }),
  };
}

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
  const limits = resolveIntakeLimits(deps.limits);
  const authenticator = createIntakeAuthenticator(deps.auth, now);
  const receipts = deps.shared?.receipts ?? new MemorySignalReceipts(nowMs);
  const { senderLimiter, failedAuthLimiter, idempotency } = deps.shared ?? {
    senderLimiter: new MemoryRateLimiter(limits.requestsPerMinute, nowMs),
    failedAuthLimiter: new MemoryRateLimiter(limits.failedAuthPerMinute, nowMs),
    idempotency: new MemoryIdempotencyStore({
      ttlMs: limits.idempotencyTtlMs,
      maxEntries: limits.idempotencyMaxEntries,
      now: nowMs,
    }),
  };

  function storeUnavailable(correlationId: string, sender: SenderIdentity | undefined): Reply {
    return problemReply('service-unavailable', STORE_UNAVAILABLE_DETAIL, correlationId, {
      headers: { 'Retry-After': String(limits.retryAfterSeconds) },
      reason: 'store.unavailable',
      ...(sender ? { sender } : {}),
    });
  }

  async function deliver(signal: SignalInput, sender: SenderIdentity, correlationId: string): Promise<Reply> {
    try {
      const { signalId, deliveredTo, caseId, latestDayEnd } = await deps.receiveSignal(signal, {
        correlationId,
        sender,
      });
      if (deps.cases && caseId !== undefined && latestDayEnd !== undefined) {
        try {
          // As long as the case's tombstone can last: past the end of the last day the case can be on.
          const from = Math.max(latestDayEnd.getTime(), nowMs());
          await receipts.remember(signalId, caseId, sender, tombstoneUntil(new Date(from), new Date(from)));
        } catch (error) {
          // The signal is in the coordinators' chats: it stands, only its state cannot be asked.
          log.warn({ correlationId, ...errorSummary(error) }, 'intake: the signal receipt could not be kept');
        }
      }
      return {
        status: 201,
        body: JSON.stringify({ signalId, deliveredTo }),
        headers: { 'Content-Type': JSON_CONTENT_TYPE },
        sender,
      };
    } catch (error) {
      if (isHwcError(error, 'store.unavailable')) {
        log.warn({ correlationId, ...errorSummary(error) }, 'intake: the shared store failed');
        return storeUnavailable(correlationId, sender);
      }
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

  /** A failing shared store (a limiter, the idempotency store) means 503: nothing was decided. */
  async function handle(req: IncomingMessage, correlationId: string): Promise<Reply> {
    const known: { sender?: SenderIdentity } = {};
    try {
      return await accept(req, correlationId, known);
    } catch (error) {
      if (!isHwcError(error, 'store.unavailable')) throw error;
      log.warn({ correlationId, ...errorSummary(error) }, 'intake: the shared store failed');
      return storeUnavailable(correlationId, known.sender);
    }
  }

  /**
   * Step 1 of every intake route: who is it? The sender, or the reply that refuses them (401; 429
   * per client address when failing repeatedly; 503 when keys cannot be fetched).
   */
  async function identify(
    req: IncomingMessage,
    correlationId: string,
    known: { sender?: SenderIdentity },
  ): Promise<{ reply: Reply } | { auth: Extract<AuthResult, { ok: true }> }> {
    const auth = await authenticator.authenticate(req.headers);
    if (!auth.ok) {
      return {
        reply: await refuseUnauthenticated(auth, clientAddress(req), correlationId, {
          failedAuth: failedAuthLimiter,
          retryAfterSeconds: limits.retryAfterSeconds,
          log,
          logPrefix: 'intake',
        }),
      };
    }
    known.sender = auth.sender;
    return { auth };
  }

  /** The answer to a sender over its budget. */
  function rateLimited(retryAfterSeconds: number, correlationId: string, sender: SenderIdentity): Reply {
    return problemReply('rate-limited', 'Too many requests from this sender; slow down.', correlationId, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      sender,
    });
  }

  /** Steps 3 to 6: the request's body as a signal, or the reply that refuses it. */
  async function readSignal(
    req: IncomingMessage,
    auth: { schools: 'all' | readonly string[] },
    sender: SenderIdentity,
    correlationId: string,
  ): Promise<Reply | { signal: SignalInput }> {
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
    // A sender knows the school by its BRIN code; from here on it is the school's own id.
    const given = (json as { schoolId?: unknown } | null)?.schoolId;
    const schoolId = typeof given === 'string' && deps.resolveSchoolId ? deps.resolveSchoolId(given) : given;
    if (schoolId !== given) (json as { schoolId: unknown }).schoolId = schoolId;
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
    return { signal: parsed.signal };
  }

  async function accept(
    req: IncomingMessage,
    correlationId: string,
    known: { sender?: SenderIdentity },
  ): Promise<Reply> {
    // 1. Who is it?
    const identified = await identify(req, correlationId, known);
    if ('reply' in identified) return identified.reply;
    const { auth } = identified;
    const sender = auth.sender;

    // 2. Per-sender budget (429), taken for every authenticated request, valid or not. Asked while
    // the body is read and checked (with Redis, one round trip less before the cards go out); its
    // answer still comes before any other.
    const budgetTaken = senderLimiter.take(`${sender.kind}:${sender.id}`);
    let checked: Reply | { signal: SignalInput };
    try {
      checked = await readSignal(req, auth, sender, correlationId);
    } catch (error) {
      await budgetTaken.catch(() => undefined);
      throw error;
    }
    const budget = await budgetTaken;
    if (!budget.ok) return rateLimited(budget.retryAfterSeconds, correlationId, sender);
    if (!('signal' in checked)) return checked;
    const signal = checked.signal;

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

    const claim = await idempotency.claim(
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
    if (claim.kind === 'busy') {
      return problemReply('service-unavailable', BUSY_DETAIL, correlationId, {
        headers: { 'Retry-After': String(limits.retryAfterSeconds) },
        sender,
        reason: 'idempotency.busy',
      });
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
      try {
        await claim.settle(answer, keep);
      } catch (error) {
        // The answer stands: after a 201 the signal is in the coordinators' chats, and a 503 in its
        // place would have it sent, and delivered, twice. The claim lapses by itself (pendingTtlMs).
        log.warn(
          { correlationId, status: answer.status, ...errorSummary(error) },
          'intake: the answer could not be kept for the Idempotency-Key',
        );
      }
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
    else if (reply.status === 200) log.info(line, 'intake: signal state given');
    else log.warn(line, 'intake: request refused');
  }

  /** What refuseOutsideTheHandler answers (a 405, a plugin's refusal) is sent and logged like the rest. */
  function answerOutside(res: restify.Response, correlationId: string, reply: Reply): void {
    sendReply(res, correlationId, reply);
    record(correlationId, reply, Date.now());
  }

  server.post(SIGNALS_PATH, (req: restify.Request, res: restify.Response, next: restify.Next) => {
    const correlationId = newCorrelationId();
    const startedAt = Date.now();
    answerRequest(res, next, correlationId, handle(req, correlationId), {
      log,
      logPrefix: 'intake',
      done: (reply) => record(correlationId, reply, startedAt),
    });
  });

  if (deps.cases) registerStatusRoute(deps.cases);

  /**
   * GET /api/signals/{signalId}: the state of a signal, for the credential that posted it only.
   * Every other credential, and every id not known (or no longer), gets the same 404.
   */
  function registerStatusRoute(cases: Pick<CaseStore, 'get' | 'ending'>): void {
    const unknown = (correlationId: string, sender: SenderIdentity): Reply =>
      problemReply('unknown-signal', UNKNOWN_SIGNAL_DETAIL, correlationId, { sender });

    async function status(
      req: IncomingMessage,
      signalId: unknown,
      correlationId: string,
      known: { sender?: SenderIdentity },
    ): Promise<Reply> {
      const identified = await identify(req, correlationId, known);
      if ('reply' in identified) return identified.reply;
      const sender = identified.auth.sender;
      const budget = await senderLimiter.take(`${sender.kind}:${sender.id}`);
      if (!budget.ok) return rateLimited(budget.retryAfterSeconds, correlationId, sender);
      if (typeof signalId !== 'string' || !SIGNAL_ID.test(signalId)) return unknown(correlationId, sender);
      const receipt = await receipts.lookUp(signalId);
      if (!receipt || receipt.sender.kind !== sender.kind || receipt.sender.id !== sender.id)
        return unknown(correlationId, sender);
      const state = await signalState(cases, receipt.caseId);
      if (state === 'unknown') return unknown(correlationId, sender);
      return {
        status: 200,
        body: JSON.stringify({ signalId, state }),
        headers: { 'Content-Type': JSON_CONTENT_TYPE },
        sender,
      };
    }

    server.get(SIGNAL_STATE_PATH, (req: restify.Request, res: restify.Response, next: restify.Next) => {
      const correlationId = newCorrelationId();
      const startedAt = Date.now();
      const known: { sender?: SenderIdentity } = {};
      const work = status(
        req,
        (req.params as Record<string, unknown> | undefined)?.id,
        correlationId,
        known,
      ).catch((error: unknown): Reply => {
        if (!isHwcError(error, 'store.unavailable')) throw error;
        log.warn({ correlationId, ...errorSummary(error) }, 'intake: the shared store failed');
        return problemReply('service-unavailable', STATE_UNAVAILABLE_DETAIL, correlationId, {
          headers: { 'Retry-After': String(limits.retryAfterSeconds) },
          reason: 'store.unavailable',
          ...(known.sender ? { sender: known.sender } : {}),
        });
      });
      answerRequest(res, next, correlationId, work, {
        log,
        logPrefix: 'intake',
        done: (reply) => record(correlationId, reply, startedAt),
      });
    });

    refuseOutsideTheHandler(
      server,
      {
        path: SIGNAL_STATE_PATH,
        method: 'GET',
        refusedDetail: 'The request was refused before it reached the signal state.',
      },
      answerOutside,
    );
  }

  refuseOutsideTheHandler(
    server,
    {
      path: SIGNALS_PATH,
      method: 'POST',
      refusedDetail: 'The request was refused before it reached the signal intake.',
    },
    answerOutside,
  );
}

/** The states GET /api/signals/{signalId} answers with 200. */
export const signalStates = ['delivered', 'claimed', 'closed', 'not-our-pupil', 'expired'] as const;

/** What a sender may learn of a signal it posted; 'unknown' is answered as 404. */
export type SignalState = (typeof signalStates)[number] | 'unknown';

/** A signal id as the bot hands them out (a UUID), or close; anything else is unknown unasked. */
const SIGNAL_ID = /^[A-Za-z0-9-]{1,64}$/;

const UNKNOWN_SIGNAL_DETAIL =
  'No signal with this id, sent with these credentials, is known (or it is known no longer).';

const STATE_UNAVAILABLE_DETAIL =
  "The signal's state cannot be read right now. Ask again after the Retry-After interval.";

/** The state of the case a signal became: open, or ended while its tombstone lasts. */
export async function signalState(
  cases: Pick<CaseStore, 'get' | 'ending'>,
  caseId: string,
): Promise<SignalState> {
  const open = await cases.get(caseId);
  if (open) return stateOfCase(open);
  const ending = await cases.ending(caseId);
  if (ending === undefined) return 'unknown';
  return stateOfEnding(ending);
}

function stateOfCase(c: HwcCase): SignalState {
  if (c.state === 'received') return 'delivered';
  if (c.state === 'closed') return stateOfEnding(c.closed?.reason ?? 'completed');
  return 'claimed';
}

function stateOfEnding(ending: CaseEnding): SignalState {
  if (ending === 'not-our-pupil') return 'not-our-pupil';
  if (ending === 'expired') return 'expired';
  return 'closed';
}

function stringHeaders(headers: Record<string, string | string[]>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]),
  );
}
