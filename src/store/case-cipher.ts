import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { z } from 'zod';
import { HwcError } from '../domain/errors';

/** The setting that holds the keys; named in every message about it. */
export const CASE_ENCRYPTION_KEYS = 'CASE_ENCRYPTION_KEYS';

const KEY_BYTES = 32;
// 96 bits is the IV length GCM is specified for; any other length is hashed into one, to no gain.
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KID = /^[A-Za-z0-9_-]{1,32}$/;
// 32 bytes are 43 base64 characters and one '=' of padding, which may be left off.
const BASE64_OF_32_BYTES = /^[A-Za-z0-9+/]{43}=?$/;

export interface EncryptedValue {
  /** Which key of the keyring encrypted it. */
  kid: string;
  /** iv (12 bytes) ‖ GCM tag (16 bytes) ‖ ciphertext. */
  blob: Buffer;
}

/**
 * Why a value could not be decrypted. It says no more than that, on purpose: not the key, not
 * the bytes; and GCM does not tell a wrong key from tampered bytes or a wrong AAD anyway.
 */
export class CaseDecryptError extends Error {
  constructor(readonly reason: 'unknown-key' | 'malformed' | 'rejected') {
    super(`the stored value could not be decrypted (${reason})`);
    this.name = 'CaseDecryptError';
  }
}

/**
 * The keys from CASE_ENCRYPTION_KEYS: the first encrypts, every one decrypts, so a key is rotated
 * by putting the new one first and dropping the old one once the last case it wrote has expired
 * (the end of the longest support day after the change).
 */
export class CaseKeyring {
  // Private fields of KeyObjects, so that logging or serialising the keyring by mistake shows no key.
  readonly #keys: ReadonlyMap<string, KeyObject>;
  readonly #current: string;

  constructor(keys: ReadonlyArray<{ kid: string; key: Buffer }>) {
    const first = keys[0];
    if (!first) throw new Error('a keyring needs at least one key');
    this.#keys = new Map(keys.map(({ kid, key }) => [kid, createSecretKey(key)]));
    this.#current = first.kid;
  }

  /** The id of the key that encrypts. */
  get currentKid(): string {
    return this.#current;
  }

  /**
   * Encrypts with the current key and a fresh random IV. The AAD is not stored: the reader has
   * to know it (the case id), so a value copied under another id does not decrypt.
   */
  encrypt(plaintext: Buffer | string, aad: string): EncryptedValue {
    const key = this.#keys.get(this.#current) as KeyObject;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
    return { kid: this.#current, blob: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
  }

  /** The plaintext; throws CaseDecryptError for an unknown kid, a short blob, or bytes that do not authenticate. */
  decrypt(kid: string, blob: Buffer, aad: string): Buffer {
    const key = this.#keys.get(kid);
    if (!key) throw new CaseDecryptError('unknown-key');
    if (blob.length < IV_BYTES + TAG_BYTES) throw new CaseDecryptError('malformed');
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CaseDecryptError('rejected');
    }
  }
}

/**
 * A stored value read back: decrypted with `aad` (its id), parsed as JSON and checked against the
 * schema. The reason when it cannot be what was written for that id: a key no longer in the
 * keyring, bytes that do not authenticate (tampered, or copied from another id), or JSON that does
 * not fit. The reason names neither key nor bytes.
 */
export function openSealed<T>(
  keyring: CaseKeyring,
  kid: string,
  blob: Buffer,
  aad: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; reason: string } {
  let plaintext: Buffer;
  try {
    plaintext = keyring.decrypt(kid, blob, aad);
  } catch (error) {
    if (error instanceof CaseDecryptError) return { ok: false, reason: error.reason };
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not-json' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: 'does-not-fit' };
}

/**
 * Reads CASE_ENCRYPTION_KEYS: `kid:base64,kid:base64,…`, each key 32 random bytes in base64
 * (`openssl rand -base64 32`). Messages name an entry by its position only: an entry that does
 * not parse may be a bare key, pasted without its id.
 */
export function parseEncryptionKeys(value: string | undefined): CaseKeyring {
  if (value === undefined || value.trim() === '') {
    throw invalid('is not set; expected kid:base64 entries, separated by commas');
  }
  const keys: Array<{ kid: string; key: Buffer }> = [];
  const seen = new Map<string, number>();
  value.split(',').forEach((raw, index) => {
    const position = index + 1;
    const entry = raw.trim();
    if (entry === '') throw invalid(`entry ${position} is empty`);
    const colon = entry.indexOf(':');
    if (colon < 0) throw invalid(`entry ${position} is not of the form kid:base64`);
    const kid = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KID.test(kid)) {
      throw invalid(`entry ${position}: the key id must be 1 to 32 characters of A-Z, a-z, 0-9, '_' and '-'`);
    }
    const key = Buffer.from(encoded, 'base64');
    // Node's decoder skips what is not base64; re-encoding catches that and stray bits alike.
    if (
      !BASE64_OF_32_BYTES.test(encoded) ||
      key.length !== KEY_BYTES ||
      key.toString('base64') !== encoded.padEnd(44, '=')
    ) {
      throw invalid(`entry ${position}: the key is not ${KEY_BYTES} bytes in base64`);
    }
    const earlier = seen.get(kid);
    if (earlier !== undefined) throw invalid(`entry ${position} repeats the key id of entry ${earlier}`);
    seen.set(kid, position);
    keys.push({ kid, key });
  });
  const keyring = new CaseKeyring(keys);
  // The keyring holds its own copies; these bytes need not wait for the garbage collector.
  for (const { key } of keys) key.fill(0);
  return keyring;
}

function invalid(problem: string): HwcError {
  return new HwcError('config.invalid', `${CASE_ENCRYPTION_KEYS} ${problem}`);
}
