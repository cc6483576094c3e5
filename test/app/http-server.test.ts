import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/test-app';

describe('the HTTP server', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.stop());

  it('answers /healthz', async () => {
    const res = await fetch(`${t.app.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('serves the privacy and terms pages the Teams app links to', async () => {
    for (const page of ['privacy', 'terms']) {
      const res = await fetch(`${t.app.url}/${page}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /Handle with Care/);
    }
  });

  it('answers a HEAD probe of the messages endpoint', async () => {
    const res = await fetch(`${t.app.url}/api/messages`, { method: 'HEAD' });
    assert.equal(res.status, 200);
  });

  it('stays up after requests that restify itself refuses (unknown path, wrong method, bad JSON)', async () => {
    const unknown = await fetch(`${t.app.url}/nothing-here`);
    assert.equal(unknown.status, 404);
    const wrongMethod = await fetch(`${t.app.url}/api/messages`);
    assert.equal(wrongMethod.status, 405);
    const badJson = await fetch(`${t.app.url}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"text": "Vera Zeldzaamheid',
    });
    assert.equal(badJson.status, 400);
    const body = await badJson.text();
    assert.ok(!body.includes('Zeldzaamheid'), 'the error does not quote the body');
    const health = await fetch(`${t.app.url}/healthz`);
    assert.equal(health.status, 200);
  });
});
