import type { HwcCase } from '../domain/case';
import { HwcError } from '../domain/errors';

/** How a case ended, as its tombstone remembers it: the only thing kept of it after the end. */
export const caseEndings = ['completed', 'closed-early', 'not-our-pupil', 'pupil-absent', 'expired'] as const;
export type CaseEnding = (typeof caseEndings)[number];

/**
 * Where open cases live while they are worked on. Implementations keep nothing past a case's
 * expiry (plus a small margin for the expiry task) and never write to disk in the clear.
 * `replace` is a compare-and-set on `version`, so two concurrent commands cannot both win, also
 * when the store is shared between instances.
 *
 * Every case has an expiry task (`${caseId}:expire`, kind 'expire') in the scheduler the store was
 * given; it calls `takeExpired`. A failure of the store itself rejects with 'store.unavailable'.
 */
export interface CaseStore {
  create(c: HwcCase, expiresAt: Date): Promise<void>;
  /** The case, or undefined when it is not there or its time has come (even before its expiry task ran). */
  get(id: string): Promise<HwcCase | undefined>;
  /**
   * Stores `next` only if the stored case still has `expectedVersion`; false otherwise.
   * `expiresAt` moves the expiry (the pupil was absent, so the case moved to another day).
   */
  replace(expectedVersion: number, next: HwcCase, expiresAt?: Date): Promise<boolean>;
  /**
   * Deletes the case and its expiry task at once. With `ending`, a tombstone of the id and how it
   * ended is kept until `ending.until`, so a card opened later can say what happened.
   */
  delete(id: string, ending?: { how: CaseEnding; until: Date }): Promise<void>;
  /**
   * For the expiry task: takes the case out of the store, leaving an 'expired' tombstone until
   * `tombstoneUntil`, and returns it, if its time has come. Undefined when it is gone or was moved to a later day.
   */
  takeExpired(id: string, tombstoneUntil: Date): Promise<HwcCase | undefined>;
  /** How a case the store no longer holds ended, while its tombstone lasts. */
  ending(id: string): Promise<CaseEnding | undefined>;
  /** Open cases. */
  size(): Promise<number>;
  /**
   * Per school with open cases, when its oldest open case came in (for the operations gauge
   * `hwc.cases.oldest_open_age_seconds`): school ids and times only.
   */
  oldestOpen(): Promise<OldestOpenCase[]>;
}

export interface OldestOpenCase {
  schoolId: string;
  receivedAt: Date;
}

// Commands on one case from this process run one after another: they would only lose each
// other's compare-and-set and retry (each retry a read and a write, with Redis a round trip and a
// decryption each). Other instances are kept apart by the compare-and-set itself.
const queues = new WeakMap<CaseStore, Map<string, Promise<unknown>>>();

/**
 * Applies a command to the current case, re-reading and retrying when another command changed
 * it in between (thirty colleagues acknowledging at once, say). The command may throw a typed
 * error; it is passed on. The command is a plain function of the case: it never calls mutateCase.
 */
export function mutateCase<T extends { case: HwcCase; changed: boolean; expiresAt?: Date }>(
  store: CaseStore,
  id: string,
  command: (current: HwcCase) => T,
  attempts = 20,
): Promise<T> {
  let byId = queues.get(store);
  if (!byId) {
    byId = new Map();
    queues.set(store, byId);
  }
  const queue = byId;
  const run = (queue.get(id) ?? Promise.resolve()).then(() => mutateNow(store, id, command, attempts));
  const done = run.then(
    () => undefined,
    () => undefined,
  );
  queue.set(id, done);
  void done.then(() => {
    if (queue.get(id) === done) queue.delete(id);
  });
  return run;
}

async function mutateNow<T extends { case: HwcCase; changed: boolean; expiresAt?: Date }>(
  store: CaseStore,
  id: string,
  command: (current: HwcCase) => T,
  attempts: number,
): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const current = await store.get(id);
    if (!current) throw new HwcError('case.not-found', `case ${id} is not (or no longer) in the store`);
    const result = command(current);
    if (!result.changed) return result;
    if (await store.replace(current.version, result.case, result.expiresAt)) return result;
    // A few turns of the event loop, a random number of them, so the contenders spread out.
    for (let turn = Math.floor(Math.random() * (attempt + 2)); turn > 0; turn--) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  throw new HwcError('case.conflict', `case ${id} kept changing; gave up after ${attempts} attempts`);
}
