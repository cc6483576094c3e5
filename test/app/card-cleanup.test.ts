import assert from 'node:assert/strict';
import { CardCleanup } from '../../src/app/card-cleanup';
import type { DeleteOutcome, Messenger, PostedMessage } from '../../src/app/ports';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import type { PostedShell } from '../../src/domain/case';
import { HwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';

/** A messenger whose updates and deletes answer as the test scripts them. */
class ScriptedMessenger implements Messenger {
  readonly calls: string[] = [];
  updateFailures: HwcError[] = [];
  deleteOutcome: DeleteOutcome | HwcError = 'deleted';
  /** The title each neutral card said. */
  readonly titles: string[] = [];

  async sendCard(): Promise<PostedMessage> {
    throw new Error('not used');
  }

  async updateCard(message: PostedMessage, card: AdaptiveCardJson, options?: { final?: boolean }) {
    this.calls.push(`update ${message.activityId}${options?.final ? ' final' : ''}`);
    const failure = this.updateFailures.shift();
    if (failure) throw failure;
    this.titles.push(String(card.fallbackText));
  }

  async deleteCard(message: PostedMessage): Promise<DeleteOutcome> {
    this.calls.push(`delete ${message.activityId}`);
    if (this.deleteOutcome instanceof HwcError) throw this.deleteOutcome;
    return this.deleteOutcome;
  }
}

const shell = (activityId: string): PostedShell => ({
  staffId: 'staff-1',
  role: 'colleague',
  conversationId: 'a:chat',
  activityId,
  serviceUrl: 'http://127.0.0.1:1/',
  locale: 'nl-NL',
});

describe('taking the cards of an ended case out of Teams', () => {
  let now: number;
  let scheduler: InProcessScheduler;
  let messenger: ScriptedMessenger;
  let cleanup: CardCleanup;
  const ctx = { correlationId: 'test', log: createLogger({ level: 'silent' }) };

  beforeEach(() => {
    now = Date.parse('2026-11-23T14:00:00Z');
    scheduler = new InProcessScheduler(() => now);
    messenger = new ScriptedMessenger();
    let cards = 0;
    cleanup = new CardCleanup({
      messenger,
      scheduler,
      clock: () => new Date(now),
      newId: () => `card-${++cards}`,
      retryDelaysMs: [60_000, 300_000],
    });
    scheduler.start(async (task) => {
      if (task.kind === 'cleanup-retry') await cleanup.retry(task.card, task.key, ctx);
    });
  });
  afterEach(() => scheduler.close());

  it('makes each card neutral first and then deletes it, keeping nothing', async () => {
    cleanup.forget([shell('1'), shell('2')], 'completed', ctx);
    await cleanup.idle();
    assert.deepEqual(messenger.calls, ['update 1 final', 'update 2 final', 'delete 1', 'delete 2']);
    assert.equal(cleanup.size, 0);
    assert.equal(scheduler.size, 0);
  });

  it('says how the case ended, and never "afgerond" for work that was not done', async () => {
    const endings = [
      ['completed', 'Afgerond'],
      ['not-our-pupil', 'Gesloten: niet onze leerling'],
      ['expired', 'Verlopen en verwijderd'],
      ['closed-early', 'Afgesloten en verwijderd'],
      ['pupil-absent', 'Afgesloten'],
    ] as const;
    for (const [ending, title] of endings) {
      cleanup.forget([shell(ending)], ending, ctx);
      await cleanup.idle();
      assert.equal(messenger.titles.at(-1), title, ending);
    }
    assert.equal(messenger.titles.filter((t) => /afgerond/i.test(t)).length, 1, 'only the completed one');
  });

  it('keeps the ending through a retry, in the task it waits in', async () => {
    messenger.updateFailures = [new HwcError('delivery.failed', 'HTTP 503 after 5 attempts')];
    cleanup.forget([shell('1')], 'expired', ctx);
    await cleanup.idle();
    now += 60_000;
    scheduler.runDue();
    await cleanup.idle();
    assert.deepEqual(messenger.titles, ['Verlopen en verwijderd']);
  });

  it('leaves the neutral card where the channel does not delete (501), and keeps nothing', async () => {
    messenger.deleteOutcome = 'not-supported';
    cleanup.forget([shell('1')], 'completed', ctx);
    await cleanup.idle();
    assert.deepEqual(messenger.calls, ['update 1 final', 'delete 1']);
    assert.equal(cleanup.size, 0);
  });

  it('when Teams does not take the neutral card, keeps only its id and tries again later', async () => {
    messenger.updateFailures = [new HwcError('delivery.failed', 'HTTP 503 after 5 attempts')];
    cleanup.forget([shell('1')], 'completed', ctx);
    await cleanup.idle();
    assert.equal(cleanup.size, 0, 'nothing is under way');
    assert.equal(scheduler.size, 1, 'the ids wait as the retry task');

    now += 59_000;
    scheduler.runDue();
    assert.deepEqual(messenger.calls, ['update 1 final'], 'not before the wait');

    now += 1_000;
    scheduler.runDue();
    await cleanup.idle();
    assert.deepEqual(messenger.calls, ['update 1 final', 'update 1 final', 'delete 1']);
    assert.equal(cleanup.size, 0);
  });

  it('gives up after the last retry, and at once when Teams refuses for good (403)', async () => {
    messenger.updateFailures = [
      new HwcError('delivery.failed', 'HTTP 503'),
      new HwcError('delivery.failed', 'HTTP 503'),
      new HwcError('delivery.failed', 'HTTP 503'),
      new HwcError('delivery.unreachable', 'HTTP 403'),
    ];
    cleanup.forget([shell('1')], 'completed', ctx);
    await cleanup.idle();
    for (const wait of [60_000, 300_000]) {
      now += wait;
      scheduler.runDue();
      await cleanup.idle();
    }
    assert.equal(messenger.calls.length, 3, 'the first try and two retries');
    assert.equal(cleanup.size, 0, 'given up: nothing kept');
    assert.equal(scheduler.size, 0);

    cleanup.forget([shell('2')], 'completed', ctx);
    await cleanup.idle();
    assert.equal(messenger.calls.at(-1), 'update 2 final');
    assert.equal(cleanup.size, 0, 'a 403 is not retried');
  });

  it('a delete that fails leaves the neutral card and keeps nothing', async () => {
    messenger.deleteOutcome = new HwcError('delivery.failed', 'HTTP 500');
    cleanup.forget([shell('1')], 'completed', ctx);
    await cleanup.idle();
    assert.equal(cleanup.size, 0);
    assert.equal(scheduler.size, 0);
  });

  it('notes each card as a retry task before its first try, so a crash in the middle leaves it to another try', async () => {
    let release!: () => void;
    messenger.updateCard = async (message) => {
      messenger.calls.push(`update ${message.activityId} final`);
      await new Promise<void>((resolve) => (release = resolve));
    };
    cleanup.forget([shell('1')], 'completed', ctx);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(messenger.calls, ['update 1 final']);
    assert.equal(scheduler.size, 1, 'the retry is written while the first try is under way');
    release();
    await cleanup.idle();
    assert.equal(scheduler.size, 0, 'and dropped once the card is neutral');
  });
});
