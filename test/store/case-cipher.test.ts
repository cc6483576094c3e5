import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { isHwcError } from '../../src/domain/errors';
import { CaseDecryptError, parseEncryptionKeys } from '../../src/store/case-cipher';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

function assertDecryptFails(attempt: () => unknown, reason?: CaseDecryptError['reason']): void {
  assert.throws(attempt, (error: unknown) => {
    assert.ok(error instanceof CaseDecryptError);
    if (reason) assert.equal(error.reason, reason);
    return true;
  });
}

describe('the case cipher', () => {
  it('decrypts what it encrypted, with the same AAD', () => {
    const keyring = parseEncryptionKeys(`a:${keyA}`);
    const { kid, blob } = keyring.encrypt('{"id":"c-1"}', 'c-1');
    assert.equal(kid, 'a');
    assert.equal(keyring.decrypt(kid, blob, 'c-1').toString('utf8'), '{"id":"c-1"}');
    assert.deepEqual(
      keyring.decrypt(kid, keyring.encrypt(Buffer.from([0, 255, 7]), 'x').blob, 'x'),
      Buffer.from([0, 255, 7]),
    );
  });

  it('lays out a blob as a 12-byte IV, a 16-byte tag and the ciphertext', () => {
    const { blob } = parseEncryptionKeys(`a:${keyA}`).encrypt('hello', 'c-1');
    assert.equal(blob.length, 12 + 16 + 'hello'.length);
  });

  it('never encrypts the same text twice to the same bytes (a fresh IV each time)', () => {
    const keyring = parseEncryptionKeys(`a:${keyA}`);
    const first = keyring.encrypt('same text', 'c-1').blob;
    const second = keyring.encrypt('same text', 'c-1').blob;
    assert.notDeepEqual(first, second);
    assert.notDeepEqual(first.subarray(0, 12), second.subarray(0, 12));
  });

  it('refuses a blob with any byte changed: IV, tag or ciphertext', () => {
    const keyring = parseEncryptionKeys(`a:${keyA}`);
    const { kid, blob } = keyring.encrypt('a case', 'c-1');
    for (const index of [0, 11, 12, 27, 28, blob.length - 1]) {
      const tampered = Buffer.from(blob);
      tampered[index] = (tampered[index] as number) ^ 0x01;
      assertDecryptFails(() => keyring.decrypt(kid, tampered, 'c-1'), 'rejected');
    }
    assertDecryptFails(() => keyring.decrypt(kid, blob.subarray(0, blob.length - 1), 'c-1'), 'rejected');
    assertDecryptFails(() => keyring.decrypt(kid, blob.subarray(0, 20), 'c-1'), 'malformed');
  });

  it('refuses a blob under another AAD, as when it is copied to another case id', () => {
    const keyring = parseEncryptionKeys(`a:${keyA}`);
    const { kid, blob } = keyring.encrypt('a case', 'c-1');
    assertDecryptFails(() => keyring.decrypt(kid, blob, 'c-2'), 'rejected');
  });

  it('refuses a key id it does not hold, and a key it holds under the same id but different bytes', () => {
    const { blob } = parseEncryptionKeys(`a:${keyA}`).encrypt('a case', 'c-1');
    assertDecryptFails(() => parseEncryptionKeys(`b:${keyA}`).decrypt('a', blob, 'c-1'), 'unknown-key');
    assertDecryptFails(() => parseEncryptionKeys(`a:${keyB}`).decrypt('a', blob, 'c-1'), 'rejected');
  });

  it('after a rotation, encrypts with the new first key and still decrypts with the old one', () => {
    const before = parseEncryptionKeys(`b:${keyB}`);
    const written = before.encrypt('written before the rotation', 'c-1');
    const after = parseEncryptionKeys(`a:${keyA}, b:${keyB}`);
    assert.equal(after.currentKid, 'a');
    assert.equal(after.decrypt(written.kid, written.blob, 'c-1').toString(), 'written before the rotation');
    const rewritten = after.encrypt('written after', 'c-1');
    assert.equal(rewritten.kid, 'a');
    assertDecryptFails(() => before.decrypt(rewritten.kid, rewritten.blob, 'c-1'), 'unknown-key');
  });

  it('accepts a key without its base64 padding', () => {
    const keyring = parseEncryptionKeys(`k_1-x:${keyA.replace(/=$/, '')}`);
    assert.equal(keyring.currentKid, 'k_1-x');
  });

  it('shows no key material when the keyring is logged or serialised by mistake', () => {
    const keyring = parseEncryptionKeys(`a:${keyA},b:${keyB}`);
    const shown = `${inspect(keyring, { showHidden: true, depth: 5 })} ${JSON.stringify(keyring)}`;
    for (const key of [keyA, keyB]) {
      assert.ok(!shown.includes(key));
      assert.ok(!shown.includes(Buffer.from(key, 'base64').toString('hex')));
    }
  });

  describe('refuses a CASE_ENCRYPTION_KEYS setting that', () => {
    const secret = randomBytes(32).toString('base64');
    const cases: Array<[string, string | undefined, RegExp]> = [
      ['is not set', undefined, /is not set/],
      ['is empty', '', /is not set/],
      ['is only spaces', '   ', /is not set/],
      ['is a bare key without an id', secret, /entry 1 is not of the form kid:base64/],
      ['has an empty entry (a trailing comma)', `a:${secret},`, /entry 2 is empty/],
      ['has an empty key id', `:${secret}`, /entry 1: the key id/],
      ['has a key id longer than 32 characters', `${'k'.repeat(33)}:${secret}`, /entry 1: the key id/],
      ['has a key id with other characters', `a.b:${secret}`, /entry 1: the key id/],
      [
        'has a key of 16 bytes',
        `a:${randomBytes(16).toString('base64')}`,
        /entry 1: the key is not 32 bytes/,
      ],
      [
        'has a key of 33 bytes',
        `a:${randomBytes(33).toString('base64')}`,
        /entry 1: the key is not 32 bytes/,
      ],
      ['has a key in hex', `a:${randomBytes(32).toString('hex')}`, /entry 1: the key is not 32 bytes/],
      ['has a key in base64url', `a:${'-_'.repeat(21)}A=`, /entry 1: the key is not 32 bytes/],
      [
        'has a key with a character that is not base64',
        `a:${secret.slice(0, 10)}*${secret.slice(11)}`,
        /entry 1: the key is not 32 bytes/,
      ],
      ['has an empty key', 'a:', /entry 1: the key is not 32 bytes/],
      ['repeats a key id', `a:${secret},b:${keyA},a:${keyB}`, /entry 3 repeats the key id of entry 1/],
    ];
    for (const [what, value, expected] of cases) {
      it(what, () => {
        assert.throws(
          () => parseEncryptionKeys(value),
          (error: unknown) => {
            assert.ok(isHwcError(error, 'config.invalid'));
            assert.match(error.message, /^CASE_ENCRYPTION_KEYS /);
            assert.match(error.message, expected);
            for (const key of [secret, keyA, keyB]) {
              assert.ok(!error.message.includes(key), 'the message echoes a key');
              assert.ok(!error.message.includes(key.slice(0, 8)), 'the message echoes part of a key');
            }
            return true;
          },
        );
      });
    }
  });
});
