import type { PostedShell } from '../domain/case';
import { isHwcError } from '../domain/errors';
import { errorSummary } from '../logging/error-summary';
import { noticeCard } from './case-cards';
import type { Messenger, PostedMessage, RequestContext, Scheduler } from './ports';

/** A card still to neutralize: where it is and in which language; nothing of the case. */
interface PendingCard {
  message: PostedMessage;
  locale: string | undefined;
  attempts: number;
}

export interface CardCleanupOptions {
  messenger: Messenger;
  scheduler: Scheduler;
  clock: () => Date;
  newContext: () => RequestContext;
  /** Waits before each new try when Teams did not take the neutral card. Default 1 min … 2 h. */
  retryDelaysMs?: readonly number[];
}

export const DEFAULT_CLEANUP_RETRY_DELAYS_MS: readonly number[] = [
  60_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3600_000,
];

/**
 * What is left of an ended case in Teams: its posted cards. Each gets the neutral 'afgerond' card
 * and is then deleted where the channel allows it. Until that is done, and only until then, the
 * message ids wait here; a card Teams did not take is tried again later, from the scheduler.
 */
export class CardCleanup {
  private readonly pending = new Map<string, PendingCard>();
  private readonly running = new Set<Promise<void>>();
  private sequence = 0;
  private readonly retryDelaysMs: readonly number[];

  constructor(private readonly options: CardCleanupOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_CLEANUP_RETRY_DELAYS_MS;
  }

  /** How many cards still wait to be neutralized. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Starts neutralizing and deleting the cards and returns at once: the click that closed the case
   * gets its answer without waiting for Teams, and nothing of the case is held while Teams is slow.
   */
  forget(shells: readonly PostedShell[], ctx: RequestContext): void {
    this.track(this.forgetAll(shells, ctx));
  }

  /** Resolves when no card is being neutralized or deleted right now (retries may still wait). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private track(work: Promise<void>): void {
    const running = work.catch(() => undefined).finally(() => this.running.delete(running));
    this.running.add(running);
  }

  private async forgetAll(shells: readonly PostedShell[], ctx: RequestContext): Promise<void> {
    const keys = shells.map((shell) => {
      const key = `cleanup-${++this.sequence}`;
      const message = {
        conversationId: shell.conversationId,
        activityId: shell.activityId,
        serviceUrl: shell.serviceUrl,
      };
      this.pending.set(key, { message, locale: shell.locale, attempts: 0 });
      return key;
    });
    const outcomes = await Promise.all(keys.map((key) => this.attempt(key, ctx)));
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

  /** Forgets the waiting ids too (shutdown): the cards say 'niet beschikbaar' when opened. */
  close(): void {
    for (const key of this.pending.keys()) this.options.scheduler.cancel(`${key}:`);
    this.pending.clear();
  }

  private async attempt(key: string, ctx: RequestContext): Promise<Outcome> {
    const item = this.pending.get(key);
    if (!item) return 'given-up';
    item.attempts++;
    const { messenger } = this.options;
    try {
      await messenger.updateCard(item.message, noticeCard('closed', item.locale), { final: true });
    } catch (error) {
      return this.afterFailure(key, item, error, ctx);
    }
    // From here the card is neutral: the id is no longer needed, whatever the delete does.
    this.pending.delete(key);
    try {
      const outcome = await messenger.deleteCard(item.message);
      return outcome === 'not-supported' ? 'neutral-only' : 'deleted';
    } catch (error) {
      ctx.log.warn(errorSummary(error), 'a neutral card could not be deleted; it stays, neutral');
      return 'neutral-only';
    }
  }

  private afterFailure(key: string, item: PendingCard, error: unknown, ctx: RequestContext): Outcome {
    const delay = this.retryDelaysMs[item.attempts - 1];
    // 403: the app was removed or the chat blocked; no later try will get through.
    if (isHwcError(error, 'delivery.unreachable') || delay === undefined) {
      this.pending.delete(key);
      ctx.log.warn(
        { attempts: item.attempts, ...errorSummary(error) },
        'gave up neutralizing a card; it holds no pupil data and its view says the case is deleted',
      );
      return 'given-up';
    }
    const when = new Date(this.options.clock().getTime() + delay);
    // A group of its own per card, so cancelling one retry touches no other.
    this.options.scheduler.schedule(`${key}:retry`, when, async () => {
      const retry = this.attempt(key, this.options.newContext()).then(() => undefined);
      this.track(retry);
      await retry;
    });
    return 'retrying';
  }
}

type Outcome = 'deleted' | 'neutral-only' | 'retrying' | 'given-up';
