import { HwcError } from '../domain/errors';

/**
 * The answer, or a rejection ('directory.unavailable') once `ms` have passed: a slow directory
 * must not make a click time out, since Teams gives a card action about 15 seconds.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HwcError('directory.unavailable', `no answer within ${ms} ms`)),
          ms,
        );
        timer.unref();
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
