import assert from 'node:assert/strict';
import { isHwcError } from '../../src/domain/errors';
import { createIntakeAuthenticator, parseApiKeys, type AuthResult } from '../../src/intake/intake-auth';
import * as jose from 'jose';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  API_KEY_ALL,
  OTHER_TENANT,
  SENDER_CLIENT,
  UNLISTED_CLIENT,
  entraOptions,
  signToken,
  startIntake,
  startJwks,
  type Harness,
  type Jwks,
  type Reply,
} from './helpers';

function assertUnauthorized(reply: Reply): void {
  assert.equal(reply.status, 401, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/);
  assert.equal(reply.json.type, 'urn:hwc:problem:unauthorized');
  assert.ok(reply.headers['www-authenticate'], 'a 401 carries WWW-Authenticate');
}

interface RotatingJwks extends Jwks {
  /** Requests the server answered (or failed), so a test can count fetches of the key set. */
  readonly fetches: number;
  /** Adds a new signing key to the published set, as a tenant does before it signs with it. */
  publish(): Promise<Jwks>;
}

/** Like startJwks in helpers.ts, but it counts fetches and can publish more keys while running. */
async function startRotatingJwks(): Promise<RotatingJwks> {
  const published: jose.JWK[] = [];
  const state = { failing: false, fetches: 0, count: 0 };
  const addKey = async (): Promise<Jwks> => {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
    const kid = `test-signing-key-${++state.count}`;
    published.push({ ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' });
    return { ...rotating, kid, privateKey };
  };
  const server = http.createServer((_req, res) => {
    state.fetches++;
    if (state.failing) {
      res.writeHead(500);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const rotating: RotatingJwks = {
    url: `http://127.0.0.1:${port}/discovery/v2.0/keys`,
    kid: '',
    privateKey: undefined as unknown as jose.CryptoKey,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    get fetches() {
      return state.fetches;
    },
    publish: addKey,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const first = await addKey();
  Object.assign(rotating, { kid: first.kid, privateKey: first.privateKey });
  return rotating;
}

/** A token signed by a key the tenant never published, under a kid nobody has seen. */
function tokenWithUnknownKid(jwks: Jwks, stranger: jose.CryptoKey, index: number): Promise<string> {
  const kid = `made-up-kid-${index}-${Math.random().toString(36).slice(2)}`;
  return signToken({ ...jwks, kid, privateKey: stranger });
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

function assertUnknownKey(result: AuthResult, what: string): void {
  assert.ok(!result.ok, `${what} is refused`);
  assert.equal(result.reason, 'token.unknown-key', `${what}: ${result.reason}`);
}

describe('intake API: authentication', () => {
  let jwks: Jwks;
  let intake: Harness;

  before(async () => {
    jwks = await startJwks();
  });
  after(async () => {
    await jwks.close();
  });
  beforeEach(async () => {
    jwks.failing = false;
    intake = await startIntake({ jwks });
  });
  afterEach(async () => {
    await intake.close();
  });

  describe('API keys', () => {
    it('answers 401 with WWW-Authenticate when no credential is sent', async () => {
      const reply = await intake.request({ auth: 'none' });
      assertUnauthorized(reply);
      const challenge = String(reply.headers['www-authenticate']);
      assert.match(challenge, /Bearer realm=/);
      assert.match(challenge, /ApiKey realm=/);
      assert.equal(intake.calls.length, 0);
    });

    it('answers 401 for a wrong API key and does not repeat it', async () => {
      const wrong = 'wrong-key-that-is-long-enough';
      const reply = await intake.request({ auth: { apiKey: wrong } });
      assertUnauthorized(reply);
      assert.ok(!reply.text.includes(wrong));
      assert.ok(!intake.logLines.join('').includes(wrong));
      assert.equal(intake.calls.length, 0);
    });

    it('answers 401 for a prefix of a valid key', async () => {
      assertUnauthorized(await intake.request({ auth: { apiKey: API_KEY_ALL.slice(0, -1) } }));
    });

    it('answers 401 when both an API key and a bearer token are sent', async () => {
      const token = await signToken(jwks);
      const reply = await intake.request({
        auth: { apiKey: API_KEY_ALL },
        headers: { Authorization: `Bearer ${token}` },
      });
      assertUnauthorized(reply);
    });

    it('checks credentials before the content type (401 before 415)', async () => {
      assertUnauthorized(await intake.request({ auth: 'none', headers: { 'Content-Type': 'text/plain' } }));
    });
  });

  describe('Microsoft Entra bearer tokens', () => {
    it('answers 201 for a valid app token and names the client id as sender', async () => {
      const reply = await intake.request({ auth: { bearer: await signToken(jwks) } });
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(intake.calls[0]!.ctx.sender, { kind: 'entra', id: SENDER_CLIENT });
    });

    it('takes the client id from appid when a v1 token has no azp', async () => {
      const token = await signToken(jwks, { claims: { azp: undefined, appid: SENDER_CLIENT } });
      const reply = await intake.request({ auth: { bearer: token } });
      assert.equal(reply.status, 201, reply.text);
      assert.deepEqual(intake.calls[0]!.ctx.sender, { kind: 'entra', id: SENDER_CLIENT });
    });

    it('answers 401 for a token with the wrong audience', async () => {
      const reply = await intake.request({
        auth: { bearer: await signToken(jwks, { audience: 'api://someone-else' }) },
      });
      assertUnauthorized(reply);
      assert.match(String(reply.headers['www-authenticate']), /error="invalid_token"/);
      assert.match(String(reply.json.detail), /aud/);
    });

    it('answers 401 for a token from the wrong issuer', async () => {
      const token = await signToken(jwks, {
        issuer: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`,
      });
      const reply = await intake.request({ auth: { bearer: token } });
      assertUnauthorized(reply);
      assert.match(String(reply.json.detail), /iss/);
    });

    it('answers 401 for an expired token', async () => {
      const reply = await intake.request({ auth: { bearer: await signToken(jwks, { expiresIn: -300 }) } });
      assertUnauthorized(reply);
      assert.match(String(reply.json.detail), /expired/);
    });

    it('tolerates a little clock skew on exp', async () => {
      const reply = await intake.request({ auth: { bearer: await signToken(jwks, { expiresIn: -5 }) } });
      assert.equal(reply.status, 201, reply.text);
    });

    it('answers 401 for a token signed by another key', async () => {
      const { privateKey } = await jose.generateKeyPair('RS256');
      const reply = await intake.request({ auth: { bearer: await signToken(jwks, { key: privateKey }) } });
      assertUnauthorized(reply);
      assert.match(String(reply.json.detail), /signature/);
    });

    it('answers 401 for a token signed with another algorithm', async () => {
      const { privateKey } = await jose.generateKeyPair('PS256');
      const reply = await intake.request({
        auth: { bearer: await signToken(jwks, { key: privateKey, alg: 'PS256' }) },
      });
      assertUnauthorized(reply);
    });

    it('answers 401 for a token without the Signals.Send app role', async () => {
      const reply = await intake.request({
        auth: { bearer: await signToken(jwks, { claims: { roles: ['Other.Role'] } }) },
      });
      assertUnauthorized(reply);
      assert.match(String(reply.json.detail), /Signals\.Send/);
    });

    it('answers 401 for a token of another tenant (tid)', async () => {
      const reply = await intake.request({
        auth: { bearer: await signToken(jwks, { claims: { tid: OTHER_TENANT } }) },
      });
      assertUnauthorized(reply);
      assert.match(String(reply.json.detail), /tid/);
    });

    it('answers 401 for a delegated (user) token that carries scp', async () => {
      const reply = await intake.request({
        auth: { bearer: await signToken(jwks, { claims: { scp: 'Signals.Send' } }) },
      });
      assertUnauthorized(reply);
    });

    it('answers 401 for a bearer value that is not a JWT', async () => {
      assertUnauthorized(await intake.request({ auth: { bearer: 'not-a-token' } }));
    });

    it('answers 403 for a valid token whose client is not allowed for the school', async () => {
      const token = await signToken(jwks, { claims: { azp: UNLISTED_CLIENT } });
      const reply = await intake.request({ auth: { bearer: token } });
      assert.equal(reply.status, 403, reply.text);
      assert.equal(reply.json.type, 'urn:hwc:problem:forbidden');
      assert.equal(intake.calls.length, 0);
    });

    it("answers 503 with Retry-After when the tenant's signing keys cannot be fetched", async () => {
      jwks.failing = true;
      // A fresh server, so no keys are cached yet.
      await intake.close();
      intake = await startIntake({ jwks });
      const reply = await intake.request({ auth: { bearer: await signToken(jwks) } });
      assert.equal(reply.status, 503, reply.text);
      assert.equal(reply.json.type, 'urn:hwc:problem:auth-unavailable');
      assert.ok(reply.headers['retry-after']);
    });
  });

  describe("rotation of the tenant's signing keys", () => {
    let rotating: RotatingJwks;
    let stranger: jose.CryptoKey;

    before(async () => {
      // One key for all made-up kids: generating 50 RSA keys would only make the tests slow.
      ({ privateKey: stranger } = await jose.generateKeyPair('RS256'));
    });
    beforeEach(async () => {
      rotating = await startRotatingJwks();
    });
    afterEach(async () => {
      await rotating.close();
    });

    it('accepts at once a token signed with a key the tenant published after the keys were fetched', async () => {
      const server = await startIntake({ jwks: rotating });
      try {
        const before = await server.request({ auth: { bearer: await signToken(rotating) } });
        assert.equal(before.status, 201, `the first key works: ${before.text}`);
        assert.equal(rotating.fetches, 1, 'the keys were fetched once');

        const newKey = await rotating.publish();
        const reply = await server.request({ auth: { bearer: await signToken(newKey) } });
        assert.equal(reply.status, 201, `the new key works without waiting: ${reply.text}`);
        assert.equal(rotating.fetches, 2, 'one more fetch, for the unknown kid');

        const again = await server.request({ auth: { bearer: await signToken(newKey) } });
        assert.equal(again.status, 201, `the new key keeps working: ${again.text}`);
        assert.equal(rotating.fetches, 2, 'a known kid needs no fetch');
      } finally {
        await server.close();
      }
    });

    it('fetches the keys at most once more for 50 tokens with made-up kids at the same time', async () => {
      const auth = createIntakeAuthenticator({ apiKeys: [], entra: entraOptions(rotating) });
      assert.ok((await auth.authenticate(bearer(await signToken(rotating)))).ok, 'a valid token first');
      assert.equal(rotating.fetches, 1, 'the keys were fetched once');

      const tokens = await Promise.all(
        Array.from({ length: 50 }, (_, i) => tokenWithUnknownKid(rotating, stranger, i)),
      );
      const results = await Promise.all(tokens.map((t) => auth.authenticate(bearer(t))));
      results.forEach((result, i) => assertUnknownKey(result, `made-up kid #${i}`));
      assert.ok(rotating.fetches <= 2, `at most one refetch for the flood, got ${rotating.fetches - 1}`);

      const valid = await auth.authenticate(bearer(await signToken(rotating)));
      assert.ok(valid.ok, 'a valid token still passes after the flood');
    });

    it('fetches the keys at most twice for 50 tokens with made-up kids one after another from a cold start', async () => {
      const auth = createIntakeAuthenticator({ apiKeys: [], entra: entraOptions(rotating) });
      for (let i = 0; i < 50; i++) {
        assertUnknownKey(
          await auth.authenticate(bearer(await tokenWithUnknownKid(rotating, stranger, i))),
          `made-up kid #${i}`,
        );
      }
      assert.ok(rotating.fetches <= 2, `the first fetch and at most one refetch, got ${rotating.fetches}`);
    });

    it('keeps the limit when the refetch fails', async () => {
      const auth = createIntakeAuthenticator({ apiKeys: [], entra: entraOptions(rotating) });
      assert.ok((await auth.authenticate(bearer(await signToken(rotating)))).ok, 'a valid token first');
      rotating.failing = true;
      const tokens = await Promise.all(
        Array.from({ length: 50 }, (_, i) => tokenWithUnknownKid(rotating, stranger, i)),
      );
      const results = await Promise.all(tokens.map((t) => auth.authenticate(bearer(t))));
      for (const result of results) assert.ok(!result.ok, 'a made-up kid never passes');
      assert.ok(
        rotating.fetches <= 2,
        `at most one failed refetch for the flood, got ${rotating.fetches - 1}`,
      );
      assert.ok(
        (await auth.authenticate(bearer(await signToken(rotating)))).ok,
        'the cached key still works',
      );
    });

    it('refetches again for a key published after the refetch interval has passed', async () => {
      const auth = createIntakeAuthenticator({
        apiKeys: [],
        entra: { ...entraOptions(rotating), keyRefetchIntervalSeconds: 0.05 },
      });
      const second = await rotating.publish();
      assert.ok((await auth.authenticate(bearer(await signToken(second)))).ok, 'the second key');
      // Only a wait past the interval; how long anything took is not asserted.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const third = await rotating.publish();
      const result = await auth.authenticate(bearer(await signToken(third)));
      assert.ok(
        result.ok,
        `a key published later is found by a later refetch: ${!result.ok && result.reason}`,
      );
    });
  });

  describe('parsing INTAKE_API_KEYS', () => {
    it('reads keys for every school and keys scoped to some schools, labelled by position', () => {
      const keys = parseApiKeys(' first-key-0123456789 , second-key-0123456789:de-noordster|oranjeschool ');
      assert.deepEqual(keys, [
        { label: 'key#1', key: 'first-key-0123456789', schools: 'all' },
        { label: 'key#2', key: 'second-key-0123456789', schools: ['de-noordster', 'oranjeschool'] },
      ]);
    });

    it('reads an empty or missing value as no keys', () => {
      assert.deepEqual(parseApiKeys(''), []);
      assert.deepEqual(parseApiKeys(undefined), []);
    });

    it('refuses a key shorter than 16 characters without naming the key', () => {
      assert.throws(
        () => parseApiKeys('first-key-0123456789,short-key'),
        (error: unknown) =>
          isHwcError(error, 'config.invalid') &&
          /key#2/.test(error.message) &&
          /16 characters/.test(error.message) &&
          !error.message.includes('short-key'),
      );
    });

    it('refuses a malformed school list and a repeated key without naming the key', () => {
      for (const raw of [
        'first-key-0123456789:',
        'first-key-0123456789:Bad School',
        'a-key-0123456789,a-key-0123456789',
      ]) {
        assert.throws(
          () => parseApiKeys(raw),
          (error: unknown) => isHwcError(error, 'config.invalid') && !error.message.includes('0123456789'),
        );
      }
    });
  });
});
