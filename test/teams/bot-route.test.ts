import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/test-app';

describe('POST /api/messages with something that is not an activity', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.stop());

  const post = (body: string, contentType: string) =>
    fetch(`${t.app.url}/api/messages`, { method: 'POST', headers: { 'Content-Type': contentType }, body });

  it('answers 415 to a body that is not JSON, without an error in the log', async () => {
    const res = await post('type=message', 'application/x-www-form-urlencoded');
    assert.equal(res.status, 415, 'unsupported media type');
    const text = await post('hello', 'text/plain');
    assert.equal(text.status, 415, 'plain text');
    assert.doesNotMatch(t.logs.text(), /"level":"(error|fatal)"/, 'no error-level line');
  });

  it('answers 400 to JSON that is not an object', async () => {
    for (const body of ['[]', '42', '"x"', 'null']) {
      const res = await post(body, 'application/json');
      assert.equal(res.status, 400, `body ${body}`);
    }
    assert.doesNotMatch(t.logs.text(), /"level":"(error|fatal)"/, 'no error-level line');
  });
});
