import assert from 'node:assert/strict';
import { claim } from '../../src/app/coordinator-actions';
import { type DeleteOutcome, type Messenger, type PostedMessage, type Services } from '../../src/app/ports';
import { receiveSignal } from '../../src/app/receive-signal';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { createLogger } from '../../src/logging/logger';
import { coordinatorA, coordinatorB, signal, testSchool } from '../support/fixtures';
import { testServices } from '../support/services';

/** A messenger whose sends to one person wait until the test lets them through. */
class GatedMessenger implements Messenger {
  readonly updates: { message: PostedMessage; card: AdaptiveCardJson }[] = [];
  private release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private count = 0;
  firstCard: AdaptiveCardJson | undefined;

  constructor(private readonly slowFor: string) {}

  async sendCard(to: { staffId: string }, card: (r: object) => AdaptiveCardJson): Promise<PostedMessage> {
    if (to.staffId === this.slowFor) await this.gate;
    const built = card({});
    this.firstCard ??= built;
    this.count++;
    return {
      conversationId: `conv-${to.staffId}`,
      activityId: `act-${this.count}`,
      serviceUrl: 'http://127.0.0.1:1/',
    };
  }

  async updateCard(message: PostedMessage, card: AdaptiveCardJson): Promise<void> {
    this.updates.push({ message, card });
  }

  readonly deleted: PostedMessage[] = [];

  async deleteCard(message: PostedMessage): Promise<DeleteOutcome> {
    this.deleted.push(message);
    return 'deleted';
  }

  open(): void {
    this.release();
  }
}

describe('receiving a signal', () => {
  const ctx = { correlationId: 'test', log: createLogger({ level: 'silent' }) };

  function servicesWith(messenger: Messenger): Services {
    return testServices([testSchool], { messenger });
  }

  it('when a coordinator claims while the other card is still on its way, that card says who took it', async () => {
    const messenger = new GatedMessenger(coordinatorB.id);
    const services = servicesWith(messenger);
    const receipt = receiveSignal(services, signal, { kind: 'api-key', id: 'key#1' }, ctx);
    // Coordinator A's card is out; B's is held back. A claims now.
    await new Promise((resolve) => setImmediate(resolve));
    const caseId = /"caseId":"([^"]+)"/.exec(JSON.stringify(messenger.firstCard))?.[1] ?? '';
    await claim(services, caseId, { staffId: coordinatorA.id, locale: 'nl-NL' }, ctx);
    messenger.open();
    assert.equal((await receipt).deliveredTo, 2);
    const toB = messenger.updates.filter((u) => u.message.conversationId === `conv-${coordinatorB.id}`);
    assert.equal(toB.length, 1);
    assert.match(JSON.stringify(toB[0]?.card), /Opgepakt door Wilma Ravenstein/);
  });

  it('when the case is closed while a card is on its way, that card is blanked as soon as it lands', async () => {
    const messenger = new GatedMessenger(coordinatorB.id);
    const services = servicesWith(messenger);
    const receipt = receiveSignal(services, signal, { kind: 'api-key', id: 'key#1' }, ctx);
    await new Promise((resolve) => setImmediate(resolve));
    const caseId = /"caseId":"([^"]+)"/.exec(JSON.stringify(messenger.firstCard))?.[1] ?? '';
    await services.store.delete(caseId);
    messenger.open();
    await receipt;
    const toB = messenger.updates.filter((u) => u.message.conversationId === `conv-${coordinatorB.id}`);
    assert.match(JSON.stringify(toB[0]?.card), /Alle gegevens ervan zijn verwijderd/);
  });
});
