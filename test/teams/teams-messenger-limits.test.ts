import assert from 'node:assert/strict';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConversationReference,
  type TurnContext,
} from 'botbuilder';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import type { PostedMessage, RecipientContext, TeamsAppInstaller } from '../../src/app/ports';
import { isHwcError, type HwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';
import { createBotAdapter } from '../../src/teams/adapter';
import { ConversationReferences } from '../../src/teams/conversation-references';
import { createTeamsRateLimiter } from '../../src/teams/rate-limiter';
import { TeamsMessenger, type TeamsMessengerOptions } from '../../src/teams/teams-messenger';
import {
  FakeBotConnector,
  TEAMS_LIKE_RATE_LIMITS,
  testGuid,
  type ConnectorRoute,
  type FakeRateLimits,
} from '../support/fake-bot-connector';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
/**
 * botbuilder posts a proactive message as a reply to the turn's own activity id (the continuation
 * activity, or the created conversation), so the fake sees replyToActivity, not sendActivity.
 */
const POST_ROUTE: ConnectorRoute = 'replyToActivity';

function card(text: string): AdaptiveCardJson {
  return { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] } as AdaptiveCardJson;
}

function cardText(body: Record<string, unknown> | null): string | undefined {
  const attachments = body?.attachments as
    Array<{ content?: { body?: Array<{ text?: string }> } }> | undefined;
  return attachments?.[0]?.content?.body?.[0]?.text;
}

interface Harness {
  connector: FakeBotConnector;
  messenger: TeamsMessenger;
  references: ConversationReferences;
  /** Every wait the retries asked for, in ms. */
  waits: number[];
  colleague(name?: string): string;
  stop(): Promise<void>;
}

/**
 * The real CloudAdapter (createBotAdapter, local mode) and TeamsMessenger against the fake Bot
 * Connector over HTTP. The retries' waits are recorded and skipped unless `realSleep`; the rate
 * limiter runs on a clock the skipped waits move forward, so a 429's pause ends when its wait would.
 */
async function harness(
  options: {
    rateLimits?: FakeRateLimits;
    realSleep?: boolean;
    messenger?: Partial<TeamsMessengerOptions>;
  } = {},
): Promise<Harness> {
  const connector = new FakeBotConnector({
    ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
  });
  await connector.start();
  const adapter = createBotAdapter({}, createLogger({ level: 'silent' }));
  const references = new ConversationReferences();
  const waits: number[] = [];
  let skipped = 0;
  const messenger = new TeamsMessenger(adapter, references, {
    appId: '',
    serviceUrl: connector.url,
    tenantId: TENANT_ID,
    random: () => 0.5,
    afterInstallDelaysMs: [10, 20, 40],
    ...(options.realSleep
      ? {}
      : {
          sleep: async (ms: number) => {
            waits.push(ms);
            skipped += ms;
          },
          limiter: createTeamsRateLimiter({ now: () => performance.now() + skipped }),
        }),
    ...options.messenger,
  });
  return {
    connector,
    messenger,
    references,
    waits,
    colleague(name?: string) {
      return connector.addMember({ aadObjectId: testGuid(), ...(name ? { name } : {}) }).aadObjectId;
    },
    stop: () => connector.stop(),
  };
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

describe('TeamsMessenger within Teams’ limits', function () {
  this.timeout(30_000);

  describe('what botbuilder 4.23.3 retries on its own', function () {
    let connector: FakeBotConnector;
    beforeEach(async function () {
      connector = new FakeBotConnector();
      await connector.start();
    });
    afterEach(async function () {
      await connector.stop();
    });

    async function sendOnce(adapter: CloudAdapter): Promise<unknown> {
      let failure: unknown;
      const reference = { conversation: { id: 'a:1' }, serviceUrl: connector.url, channelId: 'msteams' };
      await adapter.continueConversationAsync('', reference as Partial<ConversationReference>, async (c) => {
        await (c as TurnContext).sendActivity('x').catch((e: unknown) => (failure = e));
      });
      return failure;
    }

    it('a plain CloudAdapter retries a 503 and a 429 with Retry-After, but not a 412 or a 429 without', async function () {
      const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
      const counts: Record<string, number> = {};
      for (const [name, rule] of [
        ['503', { status: 503 }],
        ['429 + Retry-After', { status: 429, retryAfterSeconds: 0 }],
        ['429', { status: 429 }],
        ['412', { status: 412 }],
      ] as const) {
        connector.reset();
        connector.failNext({ route: POST_ROUTE, ...rule });
        await sendOnce(adapter);
        counts[name] = connector.requestsTo(POST_ROUTE).length;
      }

      assert.deepEqual(counts, { '503': 2, '429 + Retry-After': 2, '429': 1, '412': 1 });
    });

    it('createBotAdapter sends proactive calls once: botbuilder retries nothing underneath', async function () {
      const adapter = createBotAdapter({}, createLogger({ level: 'silent' }));
      for (const rule of [{ status: 503 }, { status: 429, retryAfterSeconds: 0 }, { status: 502 }]) {
        connector.reset();
        connector.failNext({ route: POST_ROUTE, ...rule });
        const failure = (await sendOnce(adapter)) as { statusCode?: number };

        assert.equal(failure?.statusCode, rule.status);
        assert.equal(connector.requestsTo(POST_ROUTE).length, 1, `HTTP ${rule.status}`);
      }
    });
  });

  describe('retries', function () {
    let h: Harness;
    afterEach(async function () {
      await h.stop();
    });

    it('honours a 429’s Retry-After before trying again, and delivers the card', async function () {
      h = await harness({ realSleep: true });
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 429, retryAfterSeconds: 1 });

      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      const [throttled, served] = h.connector.requestsTo('createConversation');
      assert.deepEqual(statuses(h.connector, 'createConversation'), [429, 201]);
      // Timers may fire a millisecond early against Date.now(); Retry-After is 1000 ms.
      assert.ok(served!.at - throttled!.at >= 995, `retried after ${served!.at - throttled!.at} ms`);
      assert.equal(cardText(h.connector.activitiesIn(posted.conversationId)[0]!.body), 'hallo');
    });

    it('asks to wait what Retry-After says, capped', async function () {
      h = await harness({ messenger: { retry: { maxDelayMs: 2000 } } });
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 429, retryAfterSeconds: 1 });
      h.connector.failNext({ route: POST_ROUTE, status: 429, retryAfterSeconds: 60 });

      await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      assert.deepEqual(h.waits, [1000, 2000]);
      assert.equal(h.connector.activities.length, 1);
    });

    for (const status of [412, 429]) {
      it(`retries a ${status} with exactly one more request, on opening the chat and on posting`, async function () {
        h = await harness();
        const colleague = h.colleague();
        h.connector.failNext({ route: 'createConversation', status });
        h.connector.failNext({ route: POST_ROUTE, status });

        const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

        assert.deepEqual(statuses(h.connector, 'createConversation'), [status, 201]);
        assert.deepEqual(statuses(h.connector, POST_ROUTE), [status, 201]);
        // Opening a chat is 3 requests (create, member lookup, post); each failure added one.
        assert.equal(h.connector.requests.length, 5);
        assert.equal(h.connector.activitiesIn(posted.conversationId).length, 1);
      });
    }

    for (const status of [502, 503, 504]) {
      it(`retries a ${status} on opening the chat, but does not post the card again after one (Teams may have stored it)`, async function () {
        h = await harness();
        const colleague = h.colleague();
        h.connector.failNext({ route: 'createConversation', status });
        h.connector.failNext({ route: POST_ROUTE, status });

        const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

        assert.deepEqual(
          statuses(h.connector, 'createConversation'),
          [status, 201],
          'the chat was opened again',
        );
        assert.deepEqual(statuses(h.connector, POST_ROUTE), [status], 'the card was posted once');
        assert.equal(error.code, 'delivery.failed');
        assert.match(error.message, /may have arrived/);
      });
    }

    it('retries a dropped connection', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 0, resetConnection: true });

      await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      assert.deepEqual(statuses(h.connector, 'createConversation'), [0, 201]);
      assert.equal(h.connector.activities.length, 1);
    });

    it('retries an update, and an update asked for meanwhile lands after it', async function () {
      h = await harness();
      const colleague = h.colleague();
      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('v0'));
      h.connector.failNext({ route: 'updateActivity', status: 503 });

      const first = h.messenger.updateCard(posted, card('v1'));
      // v1 is on its way (and fails once) when v2 is asked for.
      while (statuses(h.connector, 'updateActivity').length === 0) await new Promise((r) => setImmediate(r));
      await Promise.all([first, h.messenger.updateCard(posted, card('v2'))]);

      assert.deepEqual(statuses(h.connector, 'updateActivity'), [503, 200, 200]);
      assert.deepEqual(
        h.connector.activities.filter((a) => a.kind === 'update').map((a) => cardText(a.body)),
        ['v1', 'v2'],
      );
    });

    it('after the final (neutral) update of a card, a late progress update is dropped', async function () {
      h = await harness();
      const colleague = h.colleague();
      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('v0'));

      const progress = h.messenger.updateCard(posted, card('1 van 2'));
      const neutral = h.messenger.updateCard(posted, card('afgerond'), { final: true });
      await Promise.all([progress, neutral, h.messenger.updateCard(posted, card('2 van 2'))]);

      const landed = h.connector.activities.filter((a) => a.kind === 'update').map((a) => cardText(a.body));
      assert.equal(landed.at(-1), 'afgerond');
      assert.ok(!landed.includes('2 van 2'));
    });

    it('an update still waiting for the one before it is replaced by a newer one', async function () {
      h = await harness();
      const colleague = h.colleague();
      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('v0'));

      await Promise.all(['v1', 'v2', 'v3', 'v4'].map((v) => h.messenger.updateCard(posted, card(v))));

      const landed = h.connector.activities.filter((a) => a.kind === 'update').map((a) => cardText(a.body));
      assert.equal(landed.at(-1), 'v4', 'the last state lands');
      assert.ok(landed.length < 4, `coalesced: ${landed.join(', ')}`);
    });

    it('does not retry a 400: delivery.failed with the status, and the error as cause', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 400 });

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(error.code, 'delivery.failed');
      assert.match(error.message, /HTTP 400/);
      assert.equal((error.cause as { statusCode?: number }).statusCode, 400);
      assert.deepEqual(statuses(h.connector, 'createConversation'), [400]);
      assert.deepEqual(h.waits, []);
    });

    it('gives up after the attempts allowed: delivery.failed', async function () {
      h = await harness({ messenger: { retry: { maxAttempts: 3 } } });
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 503, times: Infinity });

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(error.code, 'delivery.failed');
      assert.match(error.message, /HTTP 503 after 3 attempt/);
      assert.equal(h.connector.requestsTo('createConversation').length, 3);
    });

    it('a failed update is delivery.failed too', async function () {
      h = await harness();
      const message: PostedMessage = {
        conversationId: 'a:gone',
        activityId: '1',
        serviceUrl: h.connector.url,
      };
      h.connector.failNext({ route: 'updateActivity', status: 404 });

      const error = await rejection(h.messenger.updateCard(message, card('x')));

      assert.equal(error.code, 'delivery.failed');
      assert.match(error.message, /updateActivity: HTTP 404 after 1 attempt/);
    });
  });

  describe('taking a card out of a chat', function () {
    let h: Harness;
    afterEach(async function () {
      await h.stop();
    });

    it('deletes a posted card', async function () {
      h = await harness();
      const posted = await h.messenger.sendCard({ staffId: h.colleague() }, () => card('v0'));

      assert.equal(await h.messenger.deleteCard(posted), 'deleted');
      assert.deepEqual(statuses(h.connector, 'deleteActivity'), [200]);
    });

    it('a channel that cannot delete (501) or a message already gone (404) is not an error', async function () {
      h = await harness();
      const posted = await h.messenger.sendCard({ staffId: h.colleague() }, () => card('v0'));
      h.connector.failNext({ route: 'deleteActivity', status: 501 });
      h.connector.failNext({ route: 'deleteActivity', status: 404 });

      assert.equal(await h.messenger.deleteCard(posted), 'not-supported');
      assert.equal(await h.messenger.deleteCard(posted), 'gone');
      assert.deepEqual(statuses(h.connector, 'deleteActivity'), [501, 404], 'neither is retried');
    });

    it('retries a delete Teams throttles, and fails a delete Teams keeps refusing', async function () {
      h = await harness({ messenger: { retry: { maxAttempts: 2 } } });
      const posted = await h.messenger.sendCard({ staffId: h.colleague() }, () => card('v0'));
      h.connector.failNext({ route: 'deleteActivity', status: 429, retryAfterSeconds: 0 });
      assert.equal(await h.messenger.deleteCard(posted), 'deleted');

      h.connector.failNext({ route: 'deleteActivity', status: 503, times: Infinity });
      const error = await rejection(h.messenger.deleteCard(posted));
      assert.equal(error.code, 'delivery.failed');
    });

    it('a final card for a message that no longer exists (404) has nothing left to neutralize', async function () {
      h = await harness();
      const message: PostedMessage = {
        conversationId: 'a:gone',
        activityId: '1',
        serviceUrl: h.connector.url,
      };
      h.connector.failNext({ route: 'updateActivity', status: 404 });

      await h.messenger.updateCard(message, card('afgerond'), { final: true });
      assert.deepEqual(statuses(h.connector, 'updateActivity'), [404]);
    });

    it('a final card Teams did not take can be tried again later; progress stays blocked meanwhile', async function () {
      h = await harness({ messenger: { retry: { maxAttempts: 2 } } });
      const posted = await h.messenger.sendCard({ staffId: h.colleague() }, () => card('v0'));
      h.connector.failNext({ route: 'updateActivity', status: 503, times: 2 });

      await rejection(h.messenger.updateCard(posted, card('afgerond'), { final: true }));
      await h.messenger.updateCard(posted, card('1 van 2'));
      await h.messenger.updateCard(posted, card('afgerond'), { final: true });

      assert.deepEqual(statuses(h.connector, 'updateActivity'), [503, 503, 200]);
      const landed = h.connector.activities.filter((a) => a.kind === 'update').map((a) => cardText(a.body));
      assert.deepEqual(landed, ['afgerond']);
    });

    it('an update Teams refuses with 403 (the app was removed) is delivery.unreachable', async function () {
      h = await harness();
      const posted = await h.messenger.sendCard({ staffId: h.colleague() }, () => card('v0'));
      h.connector.failNext({ route: 'updateActivity', status: 403 });

      const error = await rejection(h.messenger.updateCard(posted, card('afgerond'), { final: true }));
      assert.equal(error.code, 'delivery.unreachable');
    });
  });

  describe('when Teams answers 403: installing the app', function () {
    let h: Harness;
    afterEach(async function () {
      await h.stop();
    });

    /** A stand-in for the Graph installer; `behaviour` runs on each call. */
    function installer(behaviour: (userId: string) => Promise<void> = async () => {}) {
      const calls: string[] = [];
      const stub: TeamsAppInstaller = {
        async installFor(userId) {
          calls.push(userId);
          await behaviour(userId);
        },
      };
      return { calls, stub };
    }

    it('without an installer, the person is delivery.unreachable at once', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.unreachableUsers.add(colleague);

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(error.code, 'delivery.unreachable');
      assert.ok(!error.message.includes(colleague));
      assert.deepEqual(statuses(h.connector, 'createConversation'), [403]);
    });

    it('installs the app once and then delivers', async function () {
      const { calls, stub } = installer(async (id) => void h.connector.unreachableUsers.delete(id));
      h = await harness({ messenger: { installer: stub } });
      const colleague = h.colleague();
      h.connector.unreachableUsers.add(colleague);

      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      assert.deepEqual(calls, [colleague]);
      assert.deepEqual(statuses(h.connector, 'createConversation'), [403, 201]);
      assert.equal(h.connector.activitiesIn(posted.conversationId).length, 1);
    });

    it('waits for Teams to catch up after installing, trying again a few times', async function () {
      const { calls, stub } = installer();
      h = await harness({ messenger: { installer: stub } });
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 403, times: 3 });

      await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      assert.deepEqual(calls, [colleague]);
      assert.deepEqual(statuses(h.connector, 'createConversation'), [403, 403, 403, 201]);
      assert.deepEqual(h.waits, [10, 20, 40]);
    });

    it('is delivery.unreachable when Teams still refuses after the tries', async function () {
      const { calls, stub } = installer();
      h = await harness({ messenger: { installer: stub } });
      const colleague = h.colleague();
      h.connector.unreachableUsers.add(colleague);

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(error.code, 'delivery.unreachable');
      assert.deepEqual(calls, [colleague]);
      assert.equal(h.connector.requestsTo('createConversation').length, 4);
    });

    it('is delivery.unreachable when installing fails', async function () {
      const graphError = new Error('Graph said no');
      const { calls, stub } = installer(async () => {
        throw graphError;
      });
      h = await harness({ messenger: { installer: stub } });
      const colleague = h.colleague();
      h.connector.unreachableUsers.add(colleague);

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('hallo')));

      assert.equal(error.code, 'delivery.unreachable');
      assert.equal(error.cause, graphError);
      assert.deepEqual(calls, [colleague]);
      assert.equal(h.connector.requestsTo('createConversation').length, 1);
    });

    it('installs too when the post into the new chat is refused', async function () {
      const { calls, stub } = installer();
      h = await harness({ messenger: { installer: stub } });
      const colleague = h.colleague();
      h.connector.failNext({ route: POST_ROUTE, status: 403 });

      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('hallo'));

      assert.deepEqual(calls, [colleague]);
      assert.deepEqual(statuses(h.connector, POST_ROUTE), [403, 201]);
      assert.equal(h.connector.activitiesIn(posted.conversationId).length, 1);
    });

    it('opens the chat anew when a known chat answers 403', async function () {
      const { calls, stub } = installer();
      h = await harness({ messenger: { installer: stub } });
      const colleague = h.colleague();
      await h.messenger.sendCard({ staffId: colleague }, () => card('first'));
      h.connector.reset();
      h.connector.failNext({ route: POST_ROUTE, status: 403 });

      await h.messenger.sendCard({ staffId: colleague }, () => card('second'));

      assert.deepEqual(statuses(h.connector, POST_ROUTE), [403, 201]);
      assert.equal(h.connector.requestsTo('createConversation').length, 1);
      assert.deepEqual(calls, [], 'the new chat was allowed: nothing to install');
    });
  });

  describe('who the card is for', function () {
    let h: Harness;
    afterEach(async function () {
      await h.stop();
    });

    it('tells the card the Teams id and the name Teams knows, for a new chat and a known one', async function () {
      h = await harness();
      const colleague = h.colleague('Invented Colleague');
      const seen: RecipientContext[] = [];

      await h.messenger.sendCard({ staffId: colleague }, (r) => (seen.push(r), card('one')));
      await h.messenger.sendCard({ staffId: colleague }, (r) => (seen.push(r), card('two')));

      const teamsId = h.connector.member(colleague)!.id;
      assert.deepEqual(
        seen.map((r) => [r.teamsUserId, r.name]),
        [
          [teamsId, 'Invented Colleague'],
          [teamsId, 'Invented Colleague'],
        ],
      );
      assert.equal(h.connector.requestsTo('createConversation').length, 1);
    });

    it('still delivers when the member lookup fails, without id or name', async function () {
      h = await harness();
      const colleague = h.colleague('Invented Colleague');
      h.connector.failNext({ route: 'getMember', status: 500 });
      const seen: RecipientContext[] = [];

      await h.messenger.sendCard({ staffId: colleague }, (r) => (seen.push(r), card('one')));

      assert.equal(seen[0]?.teamsUserId, undefined);
      assert.equal(seen[0]?.name, undefined);
      assert.equal(h.connector.activities.length, 1);
    });
  });

  describe('rate limits', function () {
    let h: Harness;
    afterEach(async function () {
      await h.stop();
    });

    it('delivers cards to 30 colleagues at once without being throttled', async function () {
      h = await harness({ rateLimits: TEAMS_LIKE_RATE_LIMITS, realSleep: true });
      const colleagues = Array.from({ length: 30 }, () => h.colleague());

      const posted = await Promise.all(
        colleagues.map((staffId) => h.messenger.sendCard({ staffId }, () => card('taak'))),
      );

      assert.equal(new Set(posted.map((p) => p.conversationId)).size, 30);
      assert.equal(h.connector.activities.length, 30);
      // 3 requests a colleague: open the chat, look the member up, post.
      assert.equal(h.connector.requests.length, 90);
      assert.equal(h.connector.throttled, 0, 'the limiter keeps below Teams’ limits');
    });

    it('20 quick updates of one card: the last lands, in order, without being throttled', async function () {
      h = await harness({ rateLimits: TEAMS_LIKE_RATE_LIMITS, realSleep: true });
      const colleague = h.colleague();
      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('v0'));

      await Promise.all(
        Array.from({ length: 20 }, (_, i) => h.messenger.updateCard(posted, card(`v${i + 1}`))),
      );

      const updates = h.connector.activities.filter((a) => a.kind === 'update').map((a) => cardText(a.body));
      assert.equal(updates.at(-1), 'v20');
      const numbers = updates.map((v) => Number(v?.slice(1)));
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => a - b),
        'never an older state after a newer one',
      );
      assert.equal(h.connector.throttled, 0);
    });

    it('slows the whole tenant down after a 429, not only the call retried', async function () {
      const limiter = createTeamsRateLimiter();
      h = await harness({ realSleep: true, messenger: { limiter } });
      const first = h.colleague();
      const second = h.colleague();
      h.connector.failNext({ route: 'createConversation', member: first, status: 429, retryAfterSeconds: 1 });

      const one = h.messenger.sendCard({ staffId: first }, () => card('een'));
      // Until the messenger has seen the 429 and paused the tenant.
      while (limiter.waitMs([{ bucket: 'tenant', key: TENANT_ID }]) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const throttledAt = h.connector.requests.find((r) => r.status === 429)!.at;
      await h.messenger.sendCard({ staffId: second }, () => card('twee'));
      await one;

      const secondChat = h.connector
        .requestsTo('createConversation')
        .find((r) => JSON.stringify(r.body).includes(second));
      assert.ok(
        secondChat!.at - throttledAt >= 990,
        `the other chat went ${secondChat!.at - throttledAt} ms later`,
      );
      assert.equal(h.connector.activities.length, 2);
    });
  });
});
