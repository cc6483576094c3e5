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
import { DEFAULT_RETRY_POLICY } from '../../src/teams/retry';
import { TeamsMessenger, type TeamsMessengerOptions } from '../../src/teams/teams-messenger';
import {
  FakeBotConnector,
  TEAMS_LIKE_RATE_LIMITS,
  testGuid,
  type ConnectorRoute,
  type FakeRateLimits,
} from '../support/fake-bot-connector';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
const DEFAULT_ATTEMPTS = DEFAULT_RETRY_POLICY.maxAttempts;
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

    it('a 429 for one chat does not delay another chat', async function () {
      // A clock only the test moves: the limiter's pauses and the retries' waits end when it says.
      let clock = 0;
      const timers: Array<{ at: number; fire: () => void }> = [];
      const sleeps: Array<{ ms: number; resolve: () => void }> = [];
      const limiter = createTeamsRateLimiter({
        now: () => clock,
        setTimer: (fire, ms) => void timers.push({ at: clock + ms, fire }),
      });
      h = await harness({
        realSleep: true,
        messenger: { limiter, sleep: (ms) => new Promise((resolve) => sleeps.push({ ms, resolve })) },
      });
      const first = h.colleague();
      const second = h.colleague();
      h.connector.failNext({ route: 'createConversation', member: first, status: 429, retryAfterSeconds: 1 });

      const one = h.messenger.sendCard({ staffId: first }, () => card('een'));
      await until(() => sleeps.length === 1, 'the first colleague’s retry waits');
      assert.equal(sleeps[0]!.ms, 1000, 'it waits what Retry-After asked');
      assert.equal(limiter.waitMs([{ bucket: 'tenant', key: TENANT_ID }]), 0, 'the tenant is not paused');

      // The other chat goes out while the first still waits, without the clock moving.
      await h.messenger.sendCard({ staffId: second }, () => card('twee'));
      assert.equal(h.connector.activities.length, 1, 'only the second colleague’s card so far');
      assert.equal(cardText(h.connector.activities[0]!.body), 'twee');

      clock += 1000;
      for (const timer of timers.splice(0)) if (timer.at <= clock) timer.fire();
      sleeps[0]!.resolve();
      await one;
      const opened = h.connector
        .requestsTo('createConversation')
        .map((r) => (JSON.stringify(r.body).includes(first) ? `first ${r.status}` : `second ${r.status}`));
      assert.deepEqual(opened, ['first 429', 'second 201', 'first 201'], 'the order Teams saw');
      assert.equal(h.connector.activities.length, 2);
    });

    it('a 429 that names the tenant pauses every chat', async function () {
      const limiter = createTeamsRateLimiter();
      h = await harness({ messenger: { limiter } });
      const first = h.colleague();
      h.connector.failNext({
        route: 'createConversation',
        member: first,
        status: 429,
        retryAfterSeconds: 1,
        code: 'TenantThrottled',
      });
      // The skipped waits move the harness's limiter clock; a real one shows the pause still set.
      const paused: number[] = [];
      const original = limiter.pause.bind(limiter);
      limiter.pause = (slot, ms) => {
        paused.push(ms);
        assert.equal(slot.bucket, 'tenant', 'the tenant, as Teams said');
        original(slot, 0);
      };
      await h.messenger.sendCard({ staffId: first }, () => card('een'));
      assert.deepEqual(paused, [1000]);
    });

    it('a colleague throttled ten times in a row is still delivered, given until when', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 429, times: 5, retryAfterSeconds: 1 });
      h.connector.failNext({ route: POST_ROUTE, status: 429, times: 5 });

      const posted = await h.messenger.sendCard({ staffId: colleague }, () => card('taak'), {
        until: new Date(Date.now() + 3600_000),
      });

      assert.ok(posted.activityId, 'the card is in the chat');
      assert.deepEqual(statuses(h.connector, 'createConversation'), [429, 429, 429, 429, 429, 201]);
      assert.deepEqual(statuses(h.connector, POST_ROUTE), [429, 429, 429, 429, 429, 201]);
      assert.equal(h.connector.activities.length, 1, 'one card');
    });

    it('without until, throttling still ends after the usual tries, as delivery.failed (never unreachable)', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 429, times: 10, retryAfterSeconds: 1 });

      const error = await rejection(h.messenger.sendCard({ staffId: colleague }, () => card('taak')));

      assert.equal(error.code, 'delivery.failed');
      assert.equal(h.connector.requestsTo('createConversation').length, DEFAULT_ATTEMPTS);
    });

    it('throttling that lasts past until ends the send', async function () {
      h = await harness();
      const colleague = h.colleague();
      h.connector.failNext({ route: 'createConversation', status: 429, times: 10, retryAfterSeconds: 30 });

      const error = await rejection(
        h.messenger.sendCard({ staffId: colleague }, () => card('taak'), {
          until: new Date(Date.now() + 10_000),
        }),
      );

      assert.equal(error.code, 'delivery.failed');
      assert.equal(h.connector.requestsTo('createConversation').length, 1, 'a wait past until is not begun');
    });

    it('40 colleagues under Teams-like limits with 10% random 429s: all delivered, none lost', async function () {
      h = await harness({ rateLimits: TEAMS_LIKE_RATE_LIMITS });
      h.connector.randomThrottling = { share: 0.1, random: seeded(14) };
      const colleagues = Array.from({ length: 40 }, () => h.colleague());
      const until = new Date(Date.now() + 3600_000);

      const results = await Promise.allSettled(
        colleagues.map((staffId) => h.messenger.sendCard({ staffId }, () => card('taak'), { until })),
      );

      assert.deepEqual(
        results
          .filter((r) => r.status === 'rejected')
          .map((r) => String((r as PromiseRejectedResult).reason)),
        [],
        'no send failed',
      );
      assert.ok(h.connector.randomlyThrottled >= 5, `429s were served (${h.connector.randomlyThrottled})`);
      const chats = new Set(
        h.connector.activities.filter((a) => a.kind !== 'update').map((a) => a.conversationId),
      );
      assert.equal(chats.size, 40, 'a card in each of the 40 chats');
      assert.equal(h.connector.activities.length, 40, 'one card each');
    });

    it('looks a person up once: a second chat with them skips the member lookup', async function () {
      h = await harness();
      const colleague = h.colleague('Femke');
      await h.messenger.sendCard({ staffId: colleague }, () => card('een'));
      // The chat was closed for the bot since: it is opened anew, and the member is known.
      h.connector.failNext({ route: POST_ROUTE, status: 403 });
      let name: string | undefined;
      await h.messenger.sendCard({ staffId: colleague }, (r) => {
        name = r.name;
        return card('twee');
      });
      assert.equal(h.connector.requestsTo('getMember').length, 1, 'one lookup for two chats opened');
      assert.equal(name, 'Femke', 'the name came from the cache');
    });
  });
});

/** Waits (by turns of the event loop, not by the clock) until `done` holds. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(done(), `never happened: ${what}`);
}

/** A repeatable random sequence (mulberry32). */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
