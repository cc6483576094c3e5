import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { cardText, posting, waitFor } from '../support/flow-checks';
import { coordinatorA, signal } from '../support/fixtures';
import { freePort, RedisServerProcess } from '../support/redis';
import { dumpRedis, keysWithPupilData } from '../support/redis-scan';
import { startTestApp, type TestApp } from '../support/test-app';

describe('when Redis goes away mid-run (a redis-server of the test, stopped and started)', function () {
  this.timeout(60_000);
  let server: RedisServerProcess;
  let t: TestApp;

  before(function () {
    if (!RedisServerProcess.available()) this.skip();
  });

  beforeEach(async () => {
    server = new RedisServerProcess(await freePort());
    await server.start();
    t = await startTestApp({
      env: {
        REDIS_URL: server.url,
        CASE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        INTAKE_IDEMPOTENCY_SECRET: randomBytes(32).toString('base64'),
      },
    });
  });

  afterEach(async () => {
    await t?.stop();
    await server.stop();
  });

  const caseIds = () =>
    t.connector.activities
      .filter((a) => posting.has(a.kind))
      .flatMap((a) => /"caseId":"([0-9a-f-]{36})"/.exec(JSON.stringify(a.body))?.[1] ?? []);

  it('answers 503 to intake and /readyz and a neutral card to clicks, and works again once Redis is back', async () => {
    const before = await t.postSignal(signal, { 'Idempotency-Key': randomUUID() });
    assert.equal(before.status, 201);
    const caseId = caseIds()[0]!;
    assert.equal((await t.get('/readyz', {})).status, 200);

    await server.stop();
    const cardsBefore = t.connector.activities.length;

    const refused = await t.postSignal(signal, { 'Idempotency-Key': randomUUID() });
    assert.equal(refused.status, 503, 'never a 201 for a case that was not stored');
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After');
    assert.match(refused.headers.get('content-type') ?? '', /problem\+json/);
    assert.equal(t.connector.activities.length, cardsBefore, 'no card was posted for it');

    const ready = await t.get('/readyz', {});
    assert.equal(ready.status, 503);
    assert.equal((await t.get('/healthz', {})).status, 200, 'alive all the same');

    for (const verb of ['case.view', 'case.claim', 'case.not-our-pupil']) {
      const click = await t.invoke(coordinatorA.id, verb, { caseId });
      assert.equal(click.status, 200, `${verb}: no 5xx`);
      assert.match(cardText(click.card), /Probeer het zo opnieuw/);
    }

    // Redis returns (empty: this one keeps nothing on disk); the client reconnects by itself.
    await server.start();
    const deadline = Date.now() + 15_000;
    while ((await t.get('/readyz', {})).status !== 200) {
      assert.ok(Date.now() < deadline, '/readyz turns ready again');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const after = await t.postSignal(signal, { 'Idempotency-Key': randomUUID() });
    assert.equal(after.status, 201, after.body);
    await waitFor(() => caseIds().length === 4, 5_000);
    const fresh = caseIds().at(-1)!;
    assert.match(
      cardText((await t.invoke(coordinatorA.id, 'case.view', { caseId: fresh })).card),
      /Quakkelaar/,
    );
    // The case lost with the server's memory is told as unknown, never as completed.
    const lost = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.match(cardText(lost.card), /Onbekend signaal/);
    const dumps = await dumpRedis(t.app.redis!, '{hwc}:');
    assert.deepEqual(keysWithPupilData(dumps), []);
  });
});
