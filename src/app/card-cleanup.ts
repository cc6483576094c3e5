import type { PostedShell } from '../domain/case';
import { isHwcError } from '../domain/errors';
import { errorSummary } from '../logging/error-summary';
import type { CaseEnding } from '../store/case-store';
import { endedCard } from './case-cards';
import { ConcurrencyGate } from './concurrency-gate';
import type { Messenger, PendingCard, RequestContext, Scheduler } from './ports';

export interface CardCleanupOptions {
  messenger: Messenger;
  scheduler: Scheduler;
  clock: () => Date;
  /** A fresh random id per card, for its retry task's key. */
  newId: () => string;
  /** Waits before each new try when Teams did not take the neutral card. Default 1 min … 2 h. */
  retryDelaysMs?: readonly number[];
  /** Cards neutralized at the same time; the rest wait their turn. Default 25. */
  concurrency?: number;
}

export const DEFAULT_CLEANUP_RETRY_DELAYS_MS: readonly number[] = [
  60_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
];

type Outcome = 'deleted' | 'neutral-only' | 'retrying' | 'given-up';

/** The scheduler key of a card's retry: a random id of its own, so cancelling it touches no other. */
function retryKey(cardId: string): string {
  return `cleanup-${cardId}:retry`;
}

/**
 * What is left of an ended case in Teams: its posted cards. Each gets the neutral 'afgerond' card
 * and is then deleted where the channel allows it. Until that is done, and only until then, the
 * message ids wait as a retry task in the scheduler (shared between instances with Redis): the
 * task is written before the first try, so a crash in the middle leaves it to another instance.
 */
export class CardCleanup {
  private readonly running = new Set<Promise<void>>();
  private readonly retryDelaysMs: readonly number[];
  private inFlight = 0;
  private readonly gate: ConcurrencyGate;

  constructor(private readonly options: CardCleanupOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_CLEANUP_RETRY_DELAYS_MS;
    this.gate = new ConcurrencyGate(options.concurrency ?? 25);
  }

  /** How many cards this instance is neutralizing right now (retries waiting in the scheduler aside). */
  get size(): number {
    return this.inFlight;
  }

  /**
   * Starts neutralizing and deleting the cards and returns at once: the click that closed the case
   * gets its answer without waiting for Teams, and nothing of the case is held while Teams is slow.
   */
  forget(shells: readonly PostedShell[], ending: CaseEnding | undefined, ctx: RequestContext): void {
    this.track(this.forgetAll(shells, ending, ctx));
  }

  /** A retry task fell due: one more try for one card. */
  retry(card: PendingCard, key: string, ctx: RequestContext): Promise<void> {
    const work = this.attempt(key, card, ctx).then(() => undefined);
    this.track(work);
    return work;
  }

  /** Resolves when no card is being neutralized or deleted right now (retries may still wait). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private track(work: Promise<void>): void {
    const running = work.catch(() => undefined).finally(() => this.running.delete(running));
    this.running.add(running);
  }

  private async forgetAll(
    shells: readonly PostedShell[],
    ending: CaseEnding | undefined,
    ctx: RequestContext,
  ): Promise<void> {
    const outcomes = await Promise.all(
      shells.map(async (shell): Promise<Outcome> => {
        const card: PendingCard = {
          message: {
            conversationId: shell.conversationId,
            activityId: shell.activityId,
            serviceUrl: shell.serviceUrl,
          },
          ...(shell.locale ? { locale: shell.locale } : {}),
          ...(ending ? { ending } : {}),
          attempts: 0,
        };
        const key = retryKey(this.options.newId());
        try {
          // Written first: if this instance dies during the try, the task makes the next one.
          await this.scheduleRetry(key, card, 0);
        } catch (error) {
          ctx.log.warn(errorSummary(error), 'could not note a card for a later try; trying it once now');
        }
        return this.attempt(key, card, ctx);
      }),
    );
    const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
    if (outcomes.some((o) => o !== 'deleted')) {
      ctx.log.info(
        {
          cards: outcomes.length,
          deleted: count('deleted'),
          neutralOnly: count('neutral-only'),
          retrying: count('retrying'),
          givenUp: count('given-up'),
        },
        'cards of an ended case: not every one could be deleted',
      );
    }
  }

  private attempt(key: string, pending: PendingCard, ctx: RequestContext): Promise<Outcome> {
    return this.gate.run(() => this.attemptNow(key, pending, ctx));
  }

  private async attemptNow(key: string, pending: PendingCard, ctx: RequestContext): Promise<Outcome> {
    const card = { ...pending, attempts: pending.attempts + 1 };
    const { messenger } = this.options;
    this.inFlight++;
    try {
      try {
        await messenger.updateCard(card.message, endedCard(card.ending, card.locale), { final: true });
      } catch (error) {
        return await this.afterFailure(key, card, error, ctx);
      }
      // From here the card is neutral: the id is no longer needed, whatever the delete does.
      await this.dropRetry(key, ctx);
      try {
        const outcome = await messenger.deleteCard(card.message);
        return outcome === 'not-supported' ? 'neutral-only' : 'deleted';
      } catch (error) {
        ctx.log.warn(errorSummary(error), 'a neutral card could not be deleted; it stays, neutral');
        return 'neutral-only';
      }
    } finally {
      this.inFlight--;
    }
  }

  private async afterFailure(
    key: string,
    card: PendingCard,
    error: unknown,
    ctx: RequestContext,
  ): Promise<Outcome> {
    // 403: the app was removed or the chat blocked; no later try will get through.
    if (isHwcError(error, 'delivery.unreachable') || this.retryDelaysMs[card.attempts - 1] === undefined) {
      await this.dropRetry(key, ctx);
      ctx.log.warn(
        { attempts: card.attempts, ...errorSummary(error) },
        'gave up neutralizing a card; it holds no pupil data and its view says the case is deleted',
      );
      return 'given-up';
    }
    try {
      await this.scheduleRetry(key, card, card.attempts);
    } catch (scheduling) {
      ctx.log.warn(errorSummary(scheduling), 'could not schedule the next try of a neutral card');
      return 'given-up';
    }
    return 'retrying';
  }

  /** The retry after `attempts` failed tries, carrying the card's ids and its count. */
  private scheduleRetry(key: string, card: PendingCard, attempts: number): Promise<void> {
    const delay = this.retryDelaysMs[Math.max(0, attempts - 1)] ?? this.retryDelaysMs[0] ?? 60_000;
    const when = new Date(this.options.clock().getTime() + delay);
    return this.options.scheduler.schedule(key, when, {
      kind: 'cleanup-retry',
      key,
      card: { ...card, attempts },
    });
  }

  private async dropRetry(key: string, ctx: RequestContext): Promise<void> {
    try {
      await this.options.scheduler.cancel(key);
    } catch (error) {
      // The task then runs once more and finds a neutral card: the messenger drops the repeat.
      ctx.log.warn(errorSummary(error), 'could not cancel the retry of a neutral card');
    }
  }
}
