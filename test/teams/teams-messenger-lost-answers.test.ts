import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ConversationReference } from 'botbuilder';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { isHwcError, type HwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';
import { createBotAdapter } from '../../src/teams/adapter';
import { ConversationReferences } from '../../src/teams/conversation-references';
import { createTeamsRateLimiter } from '../../src/teams/rate-limiter';
import { TeamsMessenger, type TeamsMessengerOptions } from '../../src/teams/teams-messenger';
import {
  FakeBotConnector,
  testGuid,
  type ConnectorRoute,
  type FailureRule,
} from '../support/fake-bot-connector';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
/** botbuilder posts a proactive card as a reply to the turn's own activity: replyToActivity. */
const POST_ROUTE: ConnectorRoute = 'replyToActivity';
const POSTING = new Set(['create', 'send', 'reply']);

function card(text: string): AdaptiveCardJson {
  return { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] } as AdaptiveCardJson;
}

interface Harness {
  connector: FakeBotConnector;
  messenger: TeamsMessenger;
  references: ConversationReferences;
  /** Every wait the retries asked for, in ms (skipped). */
  waits: number[];
  /** Called on each wait before it is skipped. */
  onWait?: (ms: number) => Promise<void>;
  colleague(): string;
  /** The cards the person has in Teams (posted, not deleted), whatever the bot learnt of them. */
  cardsOf(staffId: string): string[];
  stop(): Promise<void>;
}

/** The real CloudAdapter (createBotAdapter, local mode) and TeamsMessenger against the fake Bot Connector. */
async function harness(messenger: Partial<TeamsMessengerOptions> = {}): Promise<Harness> {
  const connector = new FakeBotConnector();
  await connector.start();
  const adapter = createBotAdapter({}, createLogger({ level: 'silent' }));
  const references = new ConversationReferences();
  let skipped = 0;
  const h: Harness = {
    connector,
    references,
    waits: [],
    messenger: undefined as unknown as TeamsMessenger,
    colleague: () => connector.addMember({ aadObjectId: testGuid() }).aadObjectId,
    cardsOf(staffId) {
      const chats = new Set(
        connector.conversations
          .filter((c) => c.members.some((m) => m.aadObjectId === staffId))
          .map((c) => c.id),
      );
      const deleted = new Set(
        connector.activities.filter((a) => a.kind === 'delete').map((a) => a.activityId),
      );
      return connector.activities
        .filter((a) => POSTING.has(a.kind) && chats.has(a.conversationId) && !deleted.has(a.activityId))
        .map((a) => a.activityId);
    },
    stop: () => connector.stop(),
  };
  h.messenger = new TeamsMessenger(adapter, references, {
    appId: '',
    serviceUrl: connector.url,
    tenantId: TENANT_ID,
    random: () => 0.5,
    sleep: async (ms) => {
      h.waits.push(ms);
      skipped += ms;
      await h.onWait?.(ms);
    },
    limiter: createTeamsRateLimiter({ now: () => performance.now() + skipped }),
    ...messenger,
  });
  return h;
}

async function rejection(promise: Promise<unknown>): Promise<HwcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(isHwcError(error), `expected an HwcError, got ${String(error)}`);
  return error;
}

function statuses(connector: FakeBotConnector, route: ConnectorRoute): number[] {
  return connector.requestsTo(route).map((r) => r.status);
}

/** A port nothing listens on (yet): connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The failures after which Teams may well have stored the card: the answer, not the request, was lost. */
const LOST_ANSWERS: Array<[name: string, rule: Omit<FailureRule, 'route'>]> = [
  [
    'a connection dropped after Teams stored the card',
    { status: 0, resetConnection: true, afterServing: true },
  ],
  ['a 502 after Teams stored the card', { status: 502, afterServing: true }],
  ['a 504 after Teams stored the card', { status: 504, afterServing: true }],
  ['a 503 without Retry-After after Teams stored the card', { status: 503, afterServing: true }],
  ['a 500 after Teams stored the card', { status: 500, afterServing: true }],
];

describe('TeamsMessenger when the answer to a card is lost', function () {
  this.timeout(20_000);
  let h: Harness;
  afterEach(async function () {
    await h.stop();
  });

  describe('the fake Bot Connector', function () {
    it('can store a card and then drop the connection, or answer a 504, instead of answering', async function () {
      h = await harness();
      const colleague = h.colleague();
      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('first'));
      h.connector.failNext({ route: POST_ROUTE, status: 0, resetConnection: true, afterServing: true });
      h.connector.failNext({ route: POST_ROUTE, status: 504, afterServing: true });
      h.connector.failNext({ route: POST_ROUTE, status: 0, resetConnection: true });

      for (const text of ['second', 'third', 'fourth']) {
        await h.messenger.sendCard({ staffId: colleague }, () => card(text)).catch(() => undefined);
      }

      const answers = h.connector.requestsTo(POST_ROUTE).map((r) => [r.status, r.answerLost === true]);
      assert.deepEqual(
        answers,
        [
          [201, false],
          [0, true],
          [504, true],
          [0, false],
        ],
        'served-then-dropped, served-then-504, dropped before serving',
      );
      assert.equal(
        h.connector.activitiesIn(posted.conversationId).length,
        3,
        'the first card and the two whose answer was lost are stored; the one dropped before serving is not',
      );
    });
  });

  describe('posting a card', function () {
    for (const [name, rule] of LOST_ANSWERS) {
      it(`does not post again after ${name}: the person has one card, and the send fails as possibly delivered`, async function () {
        h = await harness();
        const colleague = h.colleague();
        // Twice: the old retries posted three cards for one send here, and the bot knew one of them.
        h.connector.failNext({ route: POST_ROUTE, times: 2, ...rule });

        const sent = h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));
        const settled = await sent.then(
          () => 'delivered',
          () => 'failed',
        );

        const cards = h.cardsOf(colleague).length;
        assert.equal(cards, 1, `one card in the chat, not ${cards}`);
        assert.equal(h.connector.requestsTo(POST_ROUTE).length, 1, 'the card was posted once');
        assert.equal(settled, 'failed', 'the send is not counted as delivered');
        const error = await rejection(sent);
        assert.equal(error.code, 'delivery.failed', 'a failed delivery');
        assert.match(error.message, /may have/, 'the error says the card may be in the chat');
      });

      it(`does not post again into a known chat after ${name}`, async function () {
        h = await harness();
        const colleague = h.colleague();
        await h.messenger.sendCard({ staffId: colleague }, () => card('first'));
        h.connector.failNext({ route: POST_ROUTE, times: 2, ...rule });

        await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('second')));

        assert.equal(h.cardsOf(colleague).length, 2, 'the first card and one of the second');
        assert.equal(h.connector.requestsTo(POST_ROUTE).length, 2, 'each card was posted once');
      });
    }

    it('does not post again after a connection dropped before Teams stored it: the bot cannot tell the two apart', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({ route: POST_ROUTE, status: 0, resetConnection: true });

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(h.cardsOf(colleague).length, 0, 'no card from this send');
      assert.equal(h.connector.requestsTo(POST_ROUTE).length, 1, 'tried once');
      assert.match(error.message, /ECONNRESET/, 'the error names what went wrong');
    });

    for (const [name, rule] of [
      ['a 429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
      ['a 429 without Retry-After', { status: 429 }],
      ['a 503 with Retry-After', { status: 503, retryAfterSeconds: 1 }],
      ['a 412', { status: 412 }],
    ] as Array<[string, Omit<FailureRule, 'route'>]>) {
      it(`posts again after ${name}, which Teams answers without taking the card: one card`, async function () {
        h = await harness();
        const colleague = h.colleague();
        h.connector.failNext({ route: POST_ROUTE, times: 2, ...rule });

        const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

        assert.deepEqual(h.cardsOf(colleague), [posted.activityId], 'the one card, and the bot knows it');
        assert.equal(statuses(h.connector, POST_ROUTE).length, 3, 'two refused, the third taken');
      });
    }

    it('posts again when the connection was refused: nothing reached Teams', async function () {
      h = await harness();
      const colleague = h.colleague();
      const port = await closedPort();
      // A chat the bot knows, on a service URL that refuses connections until the first retry waits.
      const reference = {
        conversation: { id: 'a:1known' },
        serviceUrl: `http://127.0.0.1:${port}/`,
        channelId: 'msteams',
        user: { id: '29:1known', name: '' },
      } as Partial<ConversationReference>;
      h.references.rememberCreated(colleague, reference);
      const later = new FakeBotConnector({ port });
      h.onWait = async () => {
        if (h.waits.length === 2) await later.start();
      };

      try {
        const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

        assert.equal(h.waits.length, 2, 'refused twice, then taken');
        assert.deepEqual(
          later.activities.map((a) => a.activityId),
          [posted.activityId],
          'one card, and the bot knows it',
        );
      } finally {
        await later.stop();
      }
    });

    it('posts again when the service’s name does not resolve: nothing reached Teams', async function () {
      // Two attempts only: a resolver that is slow to say no is asked once more, not four times.
      h = await harness({ retry: { maxAttempts: 2 } });
      const colleague = h.colleague();
      h.references.rememberCreated(colleague, {
        conversation: { id: 'a:1known' },
        serviceUrl: 'http://hwc-test-nowhere.invalid/',
        channelId: 'msteams',
      } as Partial<ConversationReference>);

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(h.waits.length, 1, 'both attempts were made');
      assert.match(error.message, /ENOTFOUND|EAI_AGAIN/, 'the error names the failed lookup');
      assert.doesNotMatch(error.message, /may have/, 'nothing can have reached Teams');
    });
  });

  describe('opening a chat, updating and deleting', function () {
    it('opens the chat again after its answer was lost: Teams gives the same 1:1 chat, so one chat and one card', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({
        route: 'createConversation',
        status: 0,
        resetConnection: true,
        afterServing: true,
      });
      h.connector.failNext({ route: 'createConversation', status: 504, afterServing: true });

      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      assert.deepEqual(statuses(h.connector, 'createConversation'), [0, 504, 200]);
      assert.equal(h.connector.conversations.length, 1, 'one chat');
      assert.deepEqual(h.cardsOf(colleague), [posted.activityId], 'one card, and the bot knows it');
    });

    it('sends an update or a delete again after its answer was lost: doing it twice leaves the same card', async function () {
      h = await harness();
      const colleague = h.colleague();
      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('v0'));
      h.connector.failNext({ route: 'updateActivity', status: 0, resetConnection: true, afterServing: true });
      h.connector.failNext({ route: 'deleteActivity', status: 504, afterServing: true });

      await h.messenger.updateCard(posted, card('afgerond'), { final: true });
      const outcome = await h.messenger.deleteCard(posted);

      assert.deepEqual(statuses(h.connector, 'updateActivity'), [0, 200], 'the update was sent again');
      assert.deepEqual(statuses(h.connector, 'deleteActivity'), [504, 200], 'the delete was sent again');
      assert.equal(outcome, 'deleted');
      assert.deepEqual(h.cardsOf(colleague), [], 'the card is gone');
    });
  });
});
