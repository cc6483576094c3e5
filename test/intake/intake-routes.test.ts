import assert from 'node:assert/strict';
import * as restify from 'restify';
import { HwcError } from '../../src/domain/errors';
import { EXTRA_FIELDS_MESSAGE } from '../../src/domain/signal';
import {
  API_KEY_ALL,
  API_KEY_NOORD,
  PUPIL,
  PUPIL_DATE_DUTCH,
  startIntake,
  validSignal,
  type Harness,
  type Reply,
} from './helpers';

function assertProblem(reply: Reply, status: number, kind: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.json.type, `urn:hwc:problem:${kind}`);
  assert.equal(reply.json.status, status);
  assert.equal(typeof reply.json.title, 'string');
  assert.equal(typeof reply.json.detail, 'string');
  assert.equal(reply.json.correlationId, reply.headers['x-correlation-id']);
}

function assertNoPupilData(reply: Reply): void {
  for (const value of [PUPIL.name, PUPIL.birthDate, PUPIL_DATE_DUTCH, '2023-02-30', '2099-01-01']) {
    assert.ok(!reply.text.includes(value), `the response echoes ${value}`);
  }
}

function violation(reply: Reply, field: string): { field: string; message: string } {
  const errors = reply.json.errors as { field: string; message: string }[];
  assert.ok(Array.isArray(errors), 'a 422 lists its errors');
  const found = errors.find((e) => e.field === field);
  assert.ok(found, `no error for ${field} in ${JSON.stringify(errors)}`);
  return found;
}

describe('intake API: POST /api/signals', () => {
  let intake: Harness;

  beforeEach(async () => {
    intake = await startIntake();
  });
  afterEach(async () => {
    await intake.close();
  });

  describe('accepting a signal', () => {
    it('answers 201 with the signal id and the number of coordinators reached', async () => {
      const reply = await intake.request();
      assert.equal(reply.status, 201);
      assert.match(String(reply.headers['content-type']), /^application\/json/);
      assert.deepEqual(reply.json, { signalId: 'sig-1', deliveredTo: 2 });
      assert.equal(reply.headers['cache-control'], 'no-store');
    });

    it('hands the parsed signal, the correlation id and the sender to receiveSignal', async () => {
      const reply = await intake.request();
      assert.equal(intake.calls.length, 1);
      const call = intake.calls[0]!;
      assert.deepEqual(call.signal, validSignal());
      assert.deepEqual(call.ctx.sender, { kind: 'api-key', id: 'key#1' });
      assert.equal(call.ctx.correlationId, reply.headers['x-correlation-id']);
    });

    it('accepts a charset=utf-8 parameter on the content type', async () => {
      const reply = await intake.request({ headers: { 'Content-Type': 'application/json; charset=UTF-8' } });
      assert.equal(reply.status, 201);
    });
  });

  describe('refusing malformed requests', () => {
    it('answers 400 for malformed JSON without echoing it', async () => {
      const reply = await intake.request({ body: `{"pupil": {"name": "${PUPIL.name}", "birthDate": ` });
      assertProblem(reply, 400, 'malformed-json');
      assertNoPupilData(reply);
      assert.equal(intake.calls.length, 0);
    });

    it('answers 400 for an empty body', async () => {
      assertProblem(await intake.request({ body: '' }), 400, 'malformed-json');
    });

    it('answers 415 when the body is not declared as JSON', async () => {
      const reply = await intake.request({
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify(validSignal()),
      });
      assertProblem(reply, 415, 'unsupported-media-type');
      assert.equal(intake.calls.length, 0);
    });

    it('answers 415 when the content type is missing or the body is compressed', async () => {
      assertProblem(await intake.request({ headers: { 'Content-Type': '' } }), 415, 'unsupported-media-type');
      assertProblem(
        await intake.request({ headers: { 'Content-Encoding': 'gzip' } }),
        415,
        'unsupported-media-type',
      );
    });

    it('answers 413 for a body over the limit declared with Content-Length', async () => {
      const reply = await intake.request({
        body: { ...validSignal(), padding: 'x'.repeat(5000) },
      });
      assertProblem(reply, 413, 'payload-too-large');
      assertNoPupilData(reply);
      assert.equal(intake.calls.length, 0);
    });

    it('answers 413 for a chunked body over the limit that declares no length at all', async () => {
      const reply = await intake.request({
        chunks: [
          `{"schoolId":"oranjeschool","pupil":{"name":"${PUPIL.name}",`,
          ...Array(10).fill(' '.repeat(1000)),
          '}',
        ],
      });
      assertProblem(reply, 413, 'payload-too-large');
      assertNoPupilData(reply);
      assert.equal(intake.calls.length, 0);
    });

    it('accepts a chunked body under the limit', async () => {
      const body = JSON.stringify(validSignal());
      const reply = await intake.request({ chunks: [body.slice(0, 20), body.slice(20)] });
      assert.equal(reply.status, 201);
    });

    it('answers other methods with a 405 problem instead of a restify error', async () => {
      const reply = await intake.request({ method: 'GET' });
      assertProblem(reply, 405, 'method-not-allowed');
      assert.equal(reply.headers.allow, 'POST');
    });
  });

  describe('refusing invalid signals with 422, naming the field and never the value', () => {
    it('refuses an extra field and says only name and date of birth are carried', async () => {
      const reply = await intake.request({ body: { ...validSignal(), notes: `${PUPIL.name} was upset` } });
      assertProblem(reply, 422, 'extra-fields');
      assert.equal(reply.json.detail, EXTRA_FIELDS_MESSAGE);
      assert.equal(violation(reply, '(body)').message, EXTRA_FIELDS_MESSAGE);
      // The extra key itself is the sender's text too: it is not echoed.
      assert.ok(!reply.text.includes('notes'));
      assert.match(String(reply.json.detail), /name and date of birth/);
      assertNoPupilData(reply);
      assert.ok(!reply.text.includes('upset'));
      assert.equal(intake.calls.length, 0);
    });

    it('refuses an extra field inside the pupil, naming the pupil object and not the key', async () => {
      const reply = await intake.request({
        body: { ...validSignal(), pupil: { ...PUPIL, address: 'Lindelaan 12' } },
      });
      assertProblem(reply, 422, 'extra-fields');
      violation(reply, 'pupil');
      assert.ok(!reply.text.includes('Lindelaan'));
      assert.ok(!reply.text.includes('address'));
    });

    it('refuses an unknown school', async () => {
      const reply = await intake.request({ body: validSignal({ schoolId: 'school-that-does-not-exist' }) });
      assertProblem(reply, 422, 'invalid-signal');
      assert.equal(violation(reply, 'schoolId').message, 'unknown school');
      assert.ok(!reply.text.includes('school-that-does-not-exist'));
      assertNoPupilData(reply);
    });

    it('refuses an impossible date (2023-02-30)', async () => {
      const reply = await intake.request({
        body: validSignal({ pupil: { name: PUPIL.name, birthDate: '2023-02-30' } }),
      });
      assertProblem(reply, 422, 'invalid-signal');
      assert.equal(violation(reply, 'pupil.birthDate').message, 'not a real calendar date');
      assertNoPupilData(reply);
    });

    it('refuses a date of birth in the future', async () => {
      const reply = await intake.request({
        body: validSignal({ pupil: { name: PUPIL.name, birthDate: '2099-01-01' } }),
      });
      assertProblem(reply, 422, 'invalid-signal');
      assert.match(violation(reply, 'pupil.birthDate').message, /future/);
      assertNoPupilData(reply);
    });

    it('refuses an empty name', async () => {
      const reply = await intake.request({
        body: validSignal({ pupil: { name: '   ', birthDate: PUPIL.birthDate } }),
      });
      assertProblem(reply, 422, 'invalid-signal');
      assert.match(violation(reply, 'pupil.name').message, /empty/);
      assertNoPupilData(reply);
    });

    it('refuses a 500-character name without repeating it', async () => {
      const longName = 'Zwartbroekvan'.repeat(39).slice(0, 500);
      const reply = await intake.request({
        body: validSignal({ pupil: { name: longName, birthDate: PUPIL.birthDate } }),
      });
      assertProblem(reply, 422, 'invalid-signal');
      assert.match(violation(reply, 'pupil.name').message, /longer than/);
      assert.ok(!reply.text.includes('Zwartbroekvan'));
      assertNoPupilData(reply);
    });

    it('refuses a body that is JSON but not an object', async () => {
      const reply = await intake.request({ body: `["${PUPIL.name}"]` });
      assertProblem(reply, 422, 'invalid-signal');
      assertNoPupilData(reply);
    });
  });

  describe('school scope', () => {
    it('answers 403 for an API key scoped to another school', async () => {
      const reply = await intake.request({ auth: { apiKey: API_KEY_NOORD } });
      assertProblem(reply, 403, 'forbidden');
      assert.equal(intake.calls.length, 0);
    });

    it('answers 403, not 422, for a school id that does not exist: a scoped key learns no school ids', async () => {
      const unknown = await intake.request({
        auth: { apiKey: API_KEY_NOORD },
        body: validSignal({ schoolId: 'no-such-school' }),
      });
      assertProblem(unknown, 403, 'forbidden');
    });

    it('answers 201 for an API key scoped to this school', async () => {
      const reply = await intake.request({
        auth: { apiKey: API_KEY_NOORD },
        body: validSignal({ schoolId: 'de-noordster' }),
      });
      assert.equal(reply.status, 201);
      assert.deepEqual(intake.calls[0]!.ctx.sender, { kind: 'api-key', id: 'key#2' });
    });
  });

  describe('rate limiting', () => {
    it('answers 429 with Retry-After once the per-minute budget of a sender is spent', async () => {
      await intake.close();
      intake = await startIntake({ limits: { requestsPerMinute: 3 } });
      for (let i = 0; i < 3; i++) assert.equal((await intake.request()).status, 201);
      const reply = await intake.request();
      assertProblem(reply, 429, 'rate-limited');
      assert.ok(Number(reply.headers['retry-after']) >= 1, 'Retry-After in seconds');
      assert.equal(intake.calls.length, 3);
    });

    it('counts invalid requests against the budget too', async () => {
      await intake.close();
      intake = await startIntake({ limits: { requestsPerMinute: 2 } });
      for (let i = 0; i < 2; i++) assert.equal((await intake.request({ body: '{not json' })).status, 400);
      assertProblem(await intake.request(), 429, 'rate-limited');
    });

    it('a sender over its budget hears 429 first, whatever else is wrong with the request', async () => {
      await intake.close();
      intake = await startIntake({ limits: { requestsPerMinute: 1 } });
      assert.equal((await intake.request()).status, 201);
      // The budget is asked while the body is read and checked; its answer still comes first.
      assertProblem(await intake.request({ body: '{not json' }), 429, 'rate-limited');
      assertProblem(await intake.request({ headers: { 'Content-Type': 'text/plain' } }), 429, 'rate-limited');
      assertProblem(await intake.request({ body: { ...validSignal(), extra: 1 } }), 429, 'rate-limited');
      assertProblem(
        await intake.request({ body: validSignal({ schoolId: 'de-noordster' }) }),
        429,
        'rate-limited',
      );
      assert.equal(intake.calls.length, 1, 'nothing after the first was delivered');
    });

    it('keeps separate budgets per sender', async () => {
      await intake.close();
      intake = await startIntake({ limits: { requestsPerMinute: 1 } });
      assert.equal((await intake.request()).status, 201);
      assert.equal((await intake.request()).status, 429);
      const other = await intake.request({
        auth: { apiKey: API_KEY_NOORD },
        body: validSignal({ schoolId: 'de-noordster' }),
      });
      assert.equal(other.status, 201);
    });

    it('answers 429 instead of 401 after repeated failed authentication from one address', async () => {
      await intake.close();
      intake = await startIntake({ limits: { failedAuthPerMinute: 2 } });
      for (let i = 0; i < 2; i++) assert.equal((await intake.request({ auth: 'none' })).status, 401);
      const reply = await intake.request({ auth: { apiKey: 'wrong-key-wrong-key-wrong' } });
      assertProblem(reply, 429, 'rate-limited');
      assert.ok(Number(reply.headers['retry-after']) >= 1);
      // A valid credential is never held back by someone else's failures.
      assert.equal((await intake.request({ auth: { apiKey: API_KEY_ALL } })).status, 201);
    });

    it('ignores X-Forwarded-For for the failed-authentication budget unless a proxy is trusted', async () => {
      await intake.close();
      intake = await startIntake({ limits: { failedAuthPerMinute: 1 } });
      const from = (address: string) => ({ auth: 'none' as const, headers: { 'X-Forwarded-For': address } });
      assert.equal((await intake.request(from('198.51.100.1'))).status, 401, 'the first failure');
      assertProblem(await intake.request(from('198.51.100.2')), 429, 'rate-limited');
    });
  });

  describe('restify around the route', () => {
    it('turns an error of a server-wide body parser into a problem that does not quote the body', async () => {
      await intake.close();
      intake = await startIntake({
        configure: (server) => server.use(restify.plugins.bodyParser({ maxBodySize: 4096 })),
      });
      const reply = await intake.request({ body: `{"pupil": "${PUPIL.name}" ${PUPIL.birthDate}` });
      assertProblem(reply, 400, 'bad-request');
      assertNoPupilData(reply);
      assert.ok(!intake.logLines.join('').includes(PUPIL.name));
    });

    it('logs the route, not the path or query, of a request to an unknown path below it', async () => {
      const reply = await intake.request({
        path: `/api/signals/${encodeURIComponent(PUPIL.name)}?n=${PUPIL.birthDate}`,
      });
      assert.equal(reply.status, 404, reply.text);
      const logged = intake.logLines.join('');
      assert.ok(logged.includes('"route":"unknown-route"'), `the 404 is logged as unknown-route: ${logged}`);
      for (const value of ['Fenna', 'Zwartbroek', PUPIL.birthDate])
        assert.ok(!logged.includes(value), `the log holds ${value}`);
    });

    it('answers 500 and logs why when a server-wide body parser read the body first', async () => {
      await intake.close();
      intake = await startIntake({ configure: (server) => server.use(restify.plugins.bodyParser()) });
      const reply = await intake.request();
      assertProblem(reply, 500, 'internal-error');
      assert.ok(intake.logLines.some((l) => /body parser/.test(l)));
      assert.equal(intake.calls.length, 0);
    });
  });

  describe('delivery failures', () => {
    it('answers 503 with Retry-After when no coordinator could be reached', async () => {
      intake.receive = async () => {
        throw new HwcError('delivery.no-coordinator-reachable', 'no coordinator of oranjeschool reachable');
      };
      const reply = await intake.request();
      assertProblem(reply, 503, 'no-coordinator-reachable');
      assert.equal(reply.headers['retry-after'], '60');
    });

    it('answers 500 with only a correlation id when receiveSignal fails unexpectedly', async () => {
      intake.receive = async () => {
        throw new Error(`database said no for ${PUPIL.name}`);
      };
      const reply = await intake.request();
      assertProblem(reply, 500, 'internal-error');
      assert.deepEqual(Object.keys(reply.json).sort(), [
        'correlationId',
        'detail',
        'status',
        'title',
        'type',
      ]);
      assertNoPupilData(reply);
      assert.ok(!intake.logLines.join('').includes(PUPIL.name));
      assert.ok(
        intake.logLines.some(
          (l) => l.includes(String(reply.json.correlationId)) && l.includes('"level":"error"'),
        ),
      );
    });
  });
});
