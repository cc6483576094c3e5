import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What is kept of an answer: status, a few headers and a body that holds no pupil data. */
export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export type IdempotencyClaim =
  /**
   * First use of the key: do the work, then call `settle` exactly once. `keep` false forgets the
   * key (a failed delivery may be sent again); true keeps the answer for the key's time to live.
   */
  | { kind: 'new'; settle(answer: StoredResponse, keep: boolean): Promise<void> }
  /** The key was used before (or is in flight) for the same request: this is its answer. */
  | { kind: 'replay'; answer: Promise<StoredResponse> }
  /** The key was used for a different request. */
  | { kind: 'mismatch' }
  /**
   * A shared store only: another instance is still working on the key after the longest wait.
   * Nothing is decided; a later retry gets that instance's answer.
   */
  | { kind: 'busy' };

/**
 * Remembers the first final answer per (sender, Idempotency-Key): in this process
 * (MemoryIdempotencyStore) or shared by every instance (RedisIdempotencyStore). A shared store
 * rejects with HwcError('store.unavailable') when it does not answer.
 */
export interface IdempotencyStore {
  /** A keyed HMAC of the request's canonical form, to tell requests under one key apart. */
  fingerprint(canonicalBody: string): Buffer;
  /** `scope` is the sender and the key; a shared store never writes it down as it is. */
  claim(scope: string, fingerprint: Buffer): Promise<IdempotencyClaim>;
}

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Reads an Idempotency-Key header: 1 to 255 printable ASCII characters. The structured-field
 * form of the IETF draft (a quoted string) is accepted too and means the same key unquoted.
 */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined | null {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return null;
  let key = value;
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key)) return null;
  return key;
}

/** Whether two fingerprints are the same, in constant time. */
export function sameFingerprint(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

type Entry =
  | { state: 'pending'; fingerprint: Buffer; answer: Promise<StoredResponse> }
  | { state: 'done'; fingerprint: Buffer; answer: StoredResponse; expiresAt: number };

export interface MemoryIdempotencyStoreOptions {
  ttlMs: number;
  maxEntries: number;
  now: () => number;
  /** The HMAC key of the fingerprints; random per process when not given. */
  hmacKey?: Buffer;
}

/**
 * Remembers the first final answer per (sender, Idempotency-Key) in this process, for a limited
 * time and a limited number of keys. Requests are told apart by a keyed HMAC of their canonical
 * body; the HMAC key is secret (random per process by default), so a stored fingerprint cannot be
 * tested against guesses.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly hmacKey: Buffer;

  constructor(private readonly options: MemoryIdempotencyStoreOptions) {
    this.hmacKey = options.hmacKey ?? randomBytes(32);
  }

  fingerprint(canonicalBody: string): Buffer {
    return createHmac('sha256', this.hmacKey).update(canonicalBody, 'utf8').digest();
  }

  async claim(scope: string, fingerprint: Buffer): Promise<IdempotencyClaim> {
    this.sweep();
    const existing = this.entries.get(scope);
    if (existing) {
      if (!sameFingerprint(existing.fingerprint, fingerprint)) return { kind: 'mismatch' };
      return {
        kind: 'replay',
        answer: existing.state === 'done' ? Promise.resolve(existing.answer) : existing.answer,
      };
    }
    let resolve!: (answer: StoredResponse) => void;
    const answer = new Promise<StoredResponse>((r) => (resolve = r));
    const entry: Entry = { state: 'pending', fingerprint, answer };
    this.makeRoom();
    this.entries.set(scope, entry);
    let settled = false;
    return {
      kind: 'new',
      settle: async (final, keep) => {
        if (settled) return;
        settled = true;
        resolve(final);
        if (this.entries.get(scope) === entry) this.entries.delete(scope);
        if (keep) {
          this.makeRoom();
          this.entries.set(scope, {
            state: 'done',
            fingerprint,
            answer: final,
            expiresAt: this.options.now() + this.options.ttlMs,
          });
        }
      },
    };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Entries are in order of completion, so expired ones are at the front. */
  private sweep(): void {
    const now = this.options.now();
    for (const [scope, entry] of this.entries) {
      if (entry.state === 'pending') continue;
      if (entry.expiresAt > now) break;
      this.entries.delete(scope);
    }
  }

  /** Forgets the oldest finished answers when full; answers still in flight are never dropped. */
  private makeRoom(): void {
    if (this.entries.size < this.options.maxEntries) return;
    for (const [scope, entry] of this.entries) {
      if (this.entries.size < this.options.maxEntries) break;
      if (entry.state === 'done') this.entries.delete(scope);
    }
  }
}
