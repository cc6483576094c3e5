import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * In App Service every request reaches the bot from the front end, which appends the client's
 * address (with its port) to X-Forwarded-For. The failed-authentication budget is per client.
 */
describe('the client address behind a proxy', () => {
  const WRONG_KEY = 'wrong-key-wrong-key-wrong-key-01';

  /** POST /api/signals with a wrong key, as if forwarded for `forwardedFor`; the status. */
  async function failSignal(t: TestApp, forwardedFor?: string): Promise<number> {
    const res = await fetch(`${t.app.url}/api/signals`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-API-Key': WRONG_KEY,
        ...(forwardedFor !== undefined ? { 'X-Forwarded-For': forwardedFor } : {}),
      },
      body: '{}',
    });
    await res.text();
    return res.status;
  }

  async function failStats(t: TestApp, forwardedFor: string): Promise<number> {
    const res = await fetch(`${t.app.url}/api/stats`, {
      headers: { 'X-API-Key': WRONG_KEY, 'X-Forwarded-For': forwardedFor },
    });
    await res.text();
    return res.status;
  }

  describe('without TRUST_PROXY_HOPS', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ start: { intakeLimits: { failedAuthPerMinute: 2 } } });
    });
    after(async () => t.stop());

    it('ignores X-Forwarded-For: two clients that claim different addresses share one budget', async () => {
      assert.equal(await failSignal(t, '198.51.100.1'), 401, 'the first failure is a 401');
      assert.equal(await failSignal(t, '198.51.100.1'), 401, 'the second failure is a 401');
      assert.equal(
        await failSignal(t, '198.51.100.2'),
        429,
        'another X-Forwarded-For from the same connection address is the same client',
      );
    });
  });

  describe('with TRUST_PROXY_HOPS=1 (App Service)', () => {
    let t: TestApp;
    beforeEach(async () => {
      t = await startTestApp({
        env: { TRUST_PROXY_HOPS: '1' },
        start: { intakeLimits: { failedAuthPerMinute: 2 } },
      });
    });
    afterEach(async () => t.stop());

    it('gives each forwarded client a failed-authentication budget of its own', async () => {
      assert.equal(await failSignal(t, '198.51.100.1'), 401, 'client 1 fails once');
      assert.equal(await failSignal(t, '198.51.100.1'), 401, 'client 1 fails twice');
      assert.equal(await failSignal(t, '198.51.100.1'), 429, 'client 1 is held back');
      assert.equal(await failSignal(t, '198.51.100.2'), 401, 'client 2 is not held back by client 1');
    });

    it('takes the address the proxy appended, so a forged left-most entry buys no new budget', async () => {
      assert.equal(await failSignal(t, '198.51.100.7'), 401, 'the first failure');
      assert.equal(await failSignal(t, '203.0.113.1, 198.51.100.7'), 401, 'the second failure');
      assert.equal(
        await failSignal(t, '203.0.113.2, 10.0.0.1, 198.51.100.7'),
        429,
        'forged entries before the proxy’s own change nothing',
      );
    });

    it('counts one client whatever source port the proxy appends, for IPv4 and IPv6', async () => {
      assert.equal(await failSignal(t, '198.51.100.9:50123'), 401, 'IPv4 with a port');
      assert.equal(await failSignal(t, '198.51.100.9:50999'), 401, 'IPv4 with another port');
      assert.equal(await failSignal(t, '198.51.100.9'), 429, 'IPv4 without a port is the same client');

      assert.equal(await failSignal(t, '[2001:db8::7]:50123'), 401, 'IPv6 with a port');
      assert.equal(await failSignal(t, '2001:DB8:0::7'), 401, 'IPv6 written otherwise');
      assert.equal(
        await failSignal(t, '[2001:db8::7]:443'),
        429,
        'IPv6 with another port is the same client',
      );
      assert.equal(await failSignal(t, '2001:db8::8'), 401, 'another IPv6 address is another client');
    });

    it('does the same for the statistics', async () => {
      for (let i = 0; i < 20; i++) assert.equal(await failStats(t, '198.51.100.1'), 401, `failure ${i + 1}`);
      assert.equal(await failStats(t, '198.51.100.1'), 429, 'client 1 is held back');
      assert.equal(await failStats(t, '198.51.100.2'), 401, 'client 2 is not held back by client 1');
    });

    it('falls back to the connection’s address when the header is missing, and never to the header’s words', async () => {
      assert.equal(await failSignal(t), 401, 'no header: the connection’s address');
      assert.equal(await failSignal(t), 401, 'no header again');
      assert.equal(await failSignal(t), 429, 'the same connection address is held back');
      assert.equal(
        await failSignal(t, 'not-an-address'),
        401,
        'an entry that is no address: one shared bucket',
      );
      assert.equal(await failSignal(t, 'also-not-an-address'), 401, 'the shared bucket again');
      assert.equal(await failSignal(t, 'unknown'), 429, 'words do not buy a budget of their own');
    });
  });
});
