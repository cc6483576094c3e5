import assert from 'node:assert/strict';
import { HwcError } from '../../src/domain/errors';
import { MemoryIdempotencyStore, parseIdempotencyKey } from '../../src/intake/idempotency';
import { API_KEY_NOORD, deferred, PUPIL, startIntake, validSignal, type Harness } from './helpers';

describe('intake API: Idempotency-Key', () => {
  let intake: Harness;

  beforeEach(async () => {
    intake = await startIntake();
  });
  afterEach(async () => {
    await intake.close();
  });

  it('returns the first answer on a retry and calls receiveSignal once', async () => {
    const headers = { 'Idempotency-Key': 'retry-1' };
    const first = await intake.request({ headers });
    const second = await intake.request({ headers });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.text, first.text);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(intake.calls.length, 1);
  });

  it('makes concurrent requests with the same key wait for the first and share its answer', async () => {
    const gate = deferred<void>();
    intake.receive = async () => {
      await gate.promise;
      return { signalId: 'sig-concurrent', deliveredTo: 1 };
    };
    const headers = { 'Idempotency-Key': 'concurrent-1' };
    const pending = [intake.request({ headers }), intake.request({ headers }), intake.request({ headers })];
    await new Promise((resolve) => setTimeout(resolve, 100));
    gate.resolve();
    const replies = await Promise.all(pending);
    assert.deepEqual(
      replies.map((r) => r.status),
      [201, 201, 201],
    );
    assert.ok(replies.every((r) => r.text === replies[0]!.text));
    assert.equal(intake.calls.length, 1);
  });

  it('answers 422 idempotency-key-reused when the same key comes with a different signal', async () => {
    const headers = { 'Idempotency-Key': 'reused-1' };
    assert.equal((await intake.request({ headers })).status, 201);
    const reply = await intake.request({
      headers,
      body: validSignal({ pupil: { name: 'Joris Klaverveld', birthDate: '2013-11-21' } }),
    });
    assert.equal(reply.status, 422);
    assert.equal(reply.json.type, 'urn:hwc:problem:idempotency-key-reused');
    assert.ok(!reply.text.includes('Joris') && !reply.text.includes(PUPIL.name));
    assert.equal(intake.calls.length, 1);
  });

  it('keeps keys apart per sender', async () => {
    const headers = { 'Idempotency-Key': 'shared-key' };
    assert.equal(
      (await intake.request({ headers, body: validSignal({ schoolId: 'de-noordster' }) })).status,
      201,
    );
    const other = await intake.request({
      headers,
      auth: { apiKey: API_KEY_NOORD },
      body: validSignal({ schoolId: 'de-noordster' }),
    });
    assert.equal(other.status, 201);
    assert.equal(intake.calls.length, 2);
  });

  it('keeps nothing after a 503, so a retry with the same key calls receiveSignal again', async () => {
    let attempts = 0;
    intake.receive = async () => {
      attempts++;
      if (attempts === 1) throw new HwcError('delivery.no-coordinator-reachable', 'nobody reachable');
      return { signalId: 'sig-after-retry', deliveredTo: 1 };
    };
    const headers = { 'Idempotency-Key': 'after-503' };
    const first = await intake.request({ headers });
    assert.equal(first.status, 503);
    assert.equal(first.headers['retry-after'], '60');
    const second = await intake.request({ headers });
    assert.equal(second.status, 201);
    assert.deepEqual(second.json, { signalId: 'sig-after-retry', deliveredTo: 1 });
    assert.equal(intake.calls.length, 2);
  });

  it('keeps a 4xx answer of receiveSignal for the key', async () => {
    intake.receive = async () => {
      throw new HwcError('signal.unknown-school', 'the school left the configuration');
    };
    const headers = { 'Idempotency-Key': 'kept-422' };
    const first = await intake.request({ headers });
    assert.equal(first.status, 422);
    const second = await intake.request({ headers });
    assert.equal(second.text, first.text);
    assert.equal(intake.calls.length, 1);
  });

  it('answers 400 for a key longer than 255 characters or with non-ASCII characters', async () => {
    for (const key of ['k'.repeat(256), 'sleutel-é']) {
      const reply = await intake.request({ headers: { 'Idempotency-Key': key } });
      assert.equal(reply.status, 400);
      assert.equal(reply.json.type, 'urn:hwc:problem:invalid-idempotency-key');
    }
    assert.equal(intake.calls.length, 0);
  });

  it('forgets a key after its time to live', async () => {
    let now = Date.now();
    const store = new MemoryIdempotencyStore({ ttlMs: 1000, maxEntries: 10, now: () => now });
    const fp = store.fingerprint('a');
    const claim = await store.claim('s\nk', fp);
    assert.equal(claim.kind, 'new');
    if (claim.kind === 'new') await claim.settle({ status: 201, body: '{}', headers: {} }, true);
    assert.equal((await store.claim('s\nk', fp)).kind, 'replay');
    now += 1001;
    assert.equal((await store.claim('s\nk', fp)).kind, 'new');
  });

  it('stays bounded, dropping the oldest finished answers first', async () => {
    const store = new MemoryIdempotencyStore({ ttlMs: 60_000, maxEntries: 3, now: () => 0 });
    const fp = store.fingerprint('a');
    for (let i = 0; i < 10; i++) {
      const claim = await store.claim(`s\n${i}`, fp);
      if (claim.kind === 'new') await claim.settle({ status: 201, body: '{}', headers: {} }, true);
    }
    assert.ok(store.size <= 3);
    assert.equal((await store.claim('s\n9', fp)).kind, 'replay');
  });

  it('fingerprints with a keyed HMAC, not a plain hash of the body', () => {
    const a = new MemoryIdempotencyStore({ ttlMs: 1, maxEntries: 1, now: () => 0 });
    const b = new MemoryIdempotencyStore({ ttlMs: 1, maxEntries: 1, now: () => 0 });
    assert.deepEqual(a.fingerprint('same'), a.fingerprint('same'));
    assert.notDeepEqual(a.fingerprint('same'), b.fingerprint('same'));
  });

  it('reads the quoted structured-field form as the same key', () => {
    assert.equal(parseIdempotencyKey('"abc-123"'), 'abc-123');
    assert.equal(parseIdempotencyKey('abc-123'), 'abc-123');
    assert.equal(parseIdempotencyKey(undefined), undefined);
    assert.equal(parseIdempotencyKey(''), null);
  });
});
