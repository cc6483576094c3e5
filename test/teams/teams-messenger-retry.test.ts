import assert from 'node:assert/strict';
import {
  DEFAULT_RETRY_POLICY,
  backoffMs,
  certainlyNotTaken,
  httpStatusOf,
  isRetryable,
  isRetryableOnce,
  parseRetryAfter,
  retryAfterMsOf,
  withRetries,
  type RetryEnvironment,
  type RetryNotice,
} from '../../src/teams/retry';

const NOW = Date.parse('2026-03-02T08:00:00Z');

/** The shape botbuilder throws: a RestError with statusCode and the response's headers. */
function restError(statusCode: number, headers: Record<string, string> = {}) {
  const error = Object.assign(new Error(`status ${statusCode}`), { name: 'RestError', statusCode });
  Object.defineProperty(error, 'response', {
    value: { status: statusCode, headers: new Map(Object.entries(headers)) },
    enumerable: false,
  });
  return error;
}

function networkError(code: string) {
  return Object.assign(new Error(`socket error ${code}`), { name: 'RestError', code });
}

function recordingEnv(): RetryEnvironment & { waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms), random: () => 0.5, now: () => NOW };
}

/** An operation that fails with the given errors, then answers 'done'. */
function failingWith(...errors: unknown[]) {
  const calls: number[] = [];
  const operation = async (attempt: number) => {
    calls.push(attempt);
    const error = errors[attempt - 1];
    if (error !== undefined) throw error;
    return 'done';
  };
  return { calls, operation };
}

describe('retries of calls to Teams', function () {
  describe('reading the error', function () {
    it('reads the status of a RestError', function () {
      assert.equal(httpStatusOf(restError(429)), 429);
      assert.equal(httpStatusOf({ response: { status: 503 } }), 503);
      assert.equal(httpStatusOf(networkError('ECONNRESET')), undefined);
      assert.equal(httpStatusOf('boom'), undefined);
    });

    it('reads Retry-After in seconds and as an HTTP date', function () {
      assert.equal(parseRetryAfter('3', NOW), 3000);
      assert.equal(parseRetryAfter(' 0 ', NOW), 0);
      assert.equal(parseRetryAfter('1.5', NOW), 1500);
      assert.equal(parseRetryAfter(new Date(NOW + 7000).toUTCString(), NOW), 7000);
      assert.equal(parseRetryAfter(new Date(NOW - 7000).toUTCString(), NOW), 0);
      assert.equal(parseRetryAfter('soon', NOW), undefined);
      assert.equal(parseRetryAfter('', NOW), undefined);
      assert.equal(parseRetryAfter(undefined, NOW), undefined);
    });

    it('finds Retry-After in the response headers of the error', function () {
      assert.equal(retryAfterMsOf(restError(429, { 'retry-after': '2' }), NOW), 2000);
      assert.equal(retryAfterMsOf({ response: { headers: { 'Retry-After': '4' } } }, NOW), 4000);
      assert.equal(retryAfterMsOf(restError(429), NOW), undefined);
      assert.equal(retryAfterMsOf(networkError('ECONNRESET'), NOW), undefined);
    });

    it('retries 412, 429, 502, 503, 504 and dropped connections, never 400, 401, 403, 404, 500 or 501', function () {
      for (const status of [412, 429, 502, 503, 504])
        assert.ok(isRetryable(restError(status)), String(status));
      for (const status of [400, 401, 403, 404, 500, 501])
        assert.ok(!isRetryable(restError(status)), String(status));
      assert.ok(isRetryable(networkError('ECONNRESET')));
      assert.ok(isRetryable(networkError('ETIMEDOUT')));
      assert.ok(!isRetryable(networkError('PARSE_ERROR')));
      assert.ok(!isRetryable(new TypeError('bug')));
    });

    it('knows Teams did not take a request after a 4xx, a 503 with Retry-After, or a connection never made', function () {
      for (const error of [
        restError(429),
        restError(429, { 'retry-after': '1' }),
        restError(412),
        restError(400),
        restError(403),
        restError(503, { 'retry-after': '2' }),
        restError(503, { 'retry-after': new Date(NOW).toUTCString() }),
        networkError('ECONNREFUSED'),
        networkError('ENOTFOUND'),
        networkError('EAI_AGAIN'),
      ])
        assert.ok(certainlyNotTaken(error), `not taken: ${error.message}`);
    });

    it('does not know whether Teams took a request after a 5xx without Retry-After, or a connection broken once open', function () {
      for (const error of [
        restError(500),
        restError(502),
        restError(503),
        restError(504),
        networkError('ECONNRESET'),
        networkError('ETIMEDOUT'),
        networkError('ESOCKETTIMEDOUT'),
        networkError('EPIPE'),
        networkError('ECONNABORTED'),
        networkError('REQUEST_SEND_ERROR'),
        networkError('PARSE_ERROR'),
        Object.assign(new Error('aborted'), { name: 'AbortError' }),
        new TypeError('bug'),
      ])
        assert.ok(!certainlyNotTaken(error), `may have been taken: ${error.message} ${error.name}`);
    });

    it('retries a request that must not be carried out twice only when Teams did not take it', function () {
      for (const error of [
        restError(429),
        restError(412),
        restError(503, { 'retry-after': '1' }),
        networkError('ECONNREFUSED'),
        networkError('ENOTFOUND'),
        networkError('EAI_AGAIN'),
      ])
        assert.ok(isRetryableOnce(error), `retried: ${error.message}`);
      for (const error of [
        restError(502),
        restError(503),
        restError(504),
        networkError('ECONNRESET'),
        networkError('ETIMEDOUT'),
        networkError('EPIPE'),
        restError(400),
        restError(403),
      ])
        assert.ok(!isRetryableOnce(error), `not retried: ${error.message}`);
    });
  });

  describe('backoff', function () {
    it('waits a random time below a ceiling that doubles and is capped (full jitter)', function () {
      const policy = { maxAttempts: 10, baseDelayMs: 500, maxDelayMs: 3000 };
      assert.equal(
        backoffMs(0, policy, () => 0),
        0,
      );
      assert.equal(
        backoffMs(0, policy, () => 0.999),
        499,
      );
      assert.equal(
        backoffMs(1, policy, () => 0.5),
        500,
      );
      assert.equal(
        backoffMs(2, policy, () => 0.5),
        1000,
      );
      assert.equal(
        backoffMs(5, policy, () => 0.5),
        1500,
        'capped at 3000',
      );
    });
  });

  describe('withRetries', function () {
    it('honours Retry-After and then answers', async function () {
      const env = recordingEnv();
      const { calls, operation } = failingWith(restError(429, { 'retry-after': '2' }));

      assert.equal(await withRetries(operation, DEFAULT_RETRY_POLICY, env), 'done');
      assert.deepEqual(calls, [1, 2]);
      assert.deepEqual(env.waits, [2000]);
    });

    it('caps a long Retry-After', async function () {
      const env = recordingEnv();
      const { operation } = failingWith(restError(429, { 'retry-after': '120' }));

      await withRetries(operation, { ...DEFAULT_RETRY_POLICY, maxDelayMs: 20_000 }, env);
      assert.deepEqual(env.waits, [20_000]);
    });

    it('backs off with jitter when there is no Retry-After', async function () {
      const env = recordingEnv();
      const { operation } = failingWith(restError(503), restError(502), restError(412));

      await withRetries(operation, { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 }, env);
      assert.deepEqual(env.waits, [50, 100, 200]);
    });

    it('gives up after maxAttempts with the last error as it was', async function () {
      const env = recordingEnv();
      const last = restError(504);
      const { calls, operation } = failingWith(restError(503), restError(503), last);

      await assert.rejects(
        withRetries(operation, { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 }, env),
        (e) => e === last,
      );
      assert.deepEqual(calls, [1, 2, 3]);
      assert.equal(env.waits.length, 2);
    });

    it('does not retry what will fail again', async function () {
      for (const status of [400, 401, 403, 404, 501]) {
        const env = recordingEnv();
        const { calls, operation } = failingWith(restError(status));
        await assert.rejects(withRetries(operation, DEFAULT_RETRY_POLICY, env));
        assert.deepEqual(calls, [1], String(status));
        assert.deepEqual(env.waits, []);
      }
    });

    it('asks the given test whether a failure is worth another try', async function () {
      const env = recordingEnv();
      const { calls, operation } = failingWith(restError(429), restError(504));

      await assert.rejects(
        withRetries(operation, DEFAULT_RETRY_POLICY, env, undefined, isRetryableOnce),
        (e) => httpStatusOf(e) === 504,
        'the 504 ends it',
      );
      assert.deepEqual(calls, [1, 2], 'the 429 was retried, the 504 not');
    });

    it('tells of each retry before waiting', async function () {
      const env = recordingEnv();
      const notices: RetryNotice[] = [];
      const { operation } = failingWith(restError(429, { 'retry-after': '1' }), networkError('ECONNRESET'));

      await withRetries(operation, DEFAULT_RETRY_POLICY, env, (n) => notices.push(n));
      assert.deepEqual(
        notices.map(({ attempt, status, retryAfterMs, delayMs }) => ({
          attempt,
          status,
          retryAfterMs,
          delayMs,
        })),
        [
          { attempt: 1, status: 429, retryAfterMs: 1000, delayMs: 1000 },
          { attempt: 2, status: undefined, retryAfterMs: undefined, delayMs: 500 },
        ],
      );
    });
  });
});
