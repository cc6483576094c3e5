import type { HwcCase } from '../domain/case';
import { HwcError } from '../domain/errors';

/**
 * Where open cases live while they are worked on. Implementations keep nothing past a case's
 * expiry and never write to disk. `replace` is a compare-and-set on `version`, so two
 * concurrent commands cannot both win, also when the store is shared between instances.
 */
export interface CaseStore {
  create(c: HwcCase, expiresAt: Date): Promise<void>;
  get(id: string): Promise<HwcCase | undefined>;
  /**
   * Stores `next` only if the stored case still has `expectedVersion`; false otherwise.
   * `expiresAt` moves the expiry (the pupil was absent, so the case moved to another day).
   */
  replace(expectedVersion: number, next: HwcCase, expiresAt?: Date): Promise<boolean>;
  delete(id: string): Promise<void>;
  size(): Promise<number>;
}

/**
 * Applies a command to the current case, re-reading and retrying when another command changed
 * it in between (thirty colleagues acknowledging at once, say). The command may throw a typed error; it is passed on.
 */
export async function mutateCase<T extends { case: HwcCase; changed: boolean; expiresAt?: Date }>(
  store: CaseStore,
  id: string,
  command: (current: HwcCase) => T,
  attempts = 20,
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
