import assert from 'node:assert/strict';
import { isHwcError } from '../../src/domain/errors';
import { parseApiKeys } from '../../src/intake/intake-auth';
import * as jose from 'jose';
import {
  API_KEY_ALL,
  OTHER_TENANT,
  SENDER_CLIENT,
  UNLISTED_CLIENT,
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
