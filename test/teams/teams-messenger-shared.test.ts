import assert from 'node:assert/strict';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { createLogger } from '../../src/logging/logger';
import type { RedisClient } from '../../src/redis/redis-client';
import { createBotAdapter } from '../../src/teams/adapter';
import { ConversationReferences } from '../../src/teams/conversation-references';
import { TeamsMessenger } from '../../src/teams/teams-messenger';
import { FakeBotConnector, TEAMS_LIKE_RATE_LIMITS, testGuid } from '../support/fake-bot-connector';
import { testRedis, type TestRedis } from '../support/redis';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';

function card(text: string): AdaptiveCardJson {
  return { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] } as AdaptiveCardJson;
}

function cardText(body: Record<string, unknown> | null): string | undefined {
  const attachments = body?.attachments as
    Array<{ content?: { body?: Array<{ text?: string }> } }> | undefined;
  return attachments?.[0]?.content?.body?.[0]?.text;
}

/** One instance of the bot's messenger: its own adapter, references and Redis connection. */
function instance(connector: FakeBotConnector, client: RedisClient, prefix: string) {
  const shared = { client, prefix };
  const references = new ConversationReferences({ shared });
  const messenger = new TeamsMessenger(createBotAdapter({}, createLogger({ level: 'silent' })), references, {
    appId: '',
    serviceUrl: connector.url,
    tenantId: TENANT_ID,
    shared,
  });
  return { references, messenger };
}

describe('TeamsMessenger on several instances sharing Redis', function () {
  this.timeout(30_000);
  let connector: FakeBotConnector;
  let a: TestRedis;
  let b: TestRedis;

  beforeEach(async function () {
    connector = new FakeBotConnector({ rateLimits: TEAMS_LIKE_RATE_LIMITS });
    await connector.start();
    a = await testRedis();
    b = await testRedis();
  });
  afterEach(async function () {
    await connector.stop();
    await b.cleanup();
    await a.cleanup();
  });

  it('a chat opened by instance A is reused by instance B', async function () {
    const one = instance(connector, a.client, a.prefix);
    const other = instance(connector, b.client, a.prefix);
    const colleague = connector.addMember({ aadObjectId: testGuid(), name: 'Femke' }).aadObjectId;

    const first = await one.messenger.sendCard({ staffId: colleague }, () => card('een'));
    await one.references.flush();
    let recipientName: string | undefined;
    const second = await other.messenger.sendCard({ staffId: colleague }, (recipient) => {
      recipientName = recipient.name;
      return card('twee');
    });

    assert.equal(connector.requestsTo('createConversation').length, 1, 'the chat was opened once');
    assert.equal(second.conversationId, first.conversationId);
    assert.equal(recipientName, 'Femke', 'the Teams id and name came along');
    assert.deepEqual(
      connector.activitiesIn(first.conversationId).map((x) => cardText(x.body)),
      ['een', 'twee'],
    );
  });

  it('a member looked up by instance A is not looked up again by instance B', async function () {
    const one = instance(connector, a.client, a.prefix);
    // B shares the member cache, not the chats: it opens the chat itself, as after a lost reference.
    const other = {
      messenger: new TeamsMessenger(
        createBotAdapter({}, createLogger({ level: 'silent' })),
        new ConversationReferences(),
        {
          appId: '',
          serviceUrl: connector.url,
          tenantId: TENANT_ID,
          shared: { client: b.client, prefix: a.prefix },
        },
      ),
    };
    const member = connector.addMember({ aadObjectId: testGuid(), name: 'Femke' });

    await one.messenger.sendCard({ staffId: member.aadObjectId }, () => card('een'));
    assert.equal(connector.requestsTo('getMember').length, 1, 'A looked the member up');
    // A writes the member to Redis behind its caller's back.
    let stored: Record<string, string> = {};
    for (let i = 0; i < 50 && !stored.id; i++) {
      stored = await a.client.hGetAll(`${a.prefix}member:${member.aadObjectId}`);
      if (!stored.id) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(stored.id, member.id, 'the Teams id is in Redis, under the Entra object id only');
    let seen: { teamsUserId?: string; name?: string } = {};
    await other.messenger.sendCard({ staffId: member.aadObjectId }, (recipient) => {
      seen = {
        ...(recipient.teamsUserId ? { teamsUserId: recipient.teamsUserId } : {}),
        ...(recipient.name ? { name: recipient.name } : {}),
      };
      return card('twee');
    });

    assert.equal(connector.requestsTo('createConversation').length, 2, 'B opened the chat itself');
    assert.equal(connector.requestsTo('getMember').length, 1, 'B took the member from Redis');
    assert.deepEqual(seen, { teamsUserId: member.id, name: 'Femke' }, "B's card knows whom to refresh for");
  });

  it('a final card recorded on instance A blocks a late progress update from instance B', async function () {
    const one = instance(connector, a.client, a.prefix);
    const other = instance(connector, b.client, a.prefix);
    const posted = await one.messenger.sendCard(
      { staffId: connector.addMember({ aadObjectId: testGuid() }).aadObjectId },
      () => card('1 van 2'),
    );

    await one.messenger.updateCard(posted, card('afgerond'), { final: true });
    await other.messenger.updateCard(posted, card('2 van 2'));
    // Once B has seen it, B drops further progress without asking Redis.
    await other.messenger.updateCard(posted, card('2 van 2'));
    // A final card may still be sent again (a retry of the neutral card, from any instance).
    await other.messenger.updateCard(posted, card('afgerond'), { final: true });

    const updates = connector.activities.filter((x) => x.kind === 'update').map((x) => cardText(x.body));
    assert.deepEqual(updates, ['afgerond', 'afgerond']);
    const finals = (await a.keys()).filter((k) => k.startsWith(`${a.prefix}final:`));
    assert.equal(finals.length, 1);
    assert.match(finals[0]!, /:final:[0-9a-f]{64}$/, 'the key shows no conversation or message id');
    const ttl = await a.client.pTTL(finals[0]!);
    assert.ok(ttl > 9 * 60_000 && ttl <= 10 * 60_000, `TTL ${ttl} ms`);
  });

  it('without a final card, progress from either instance lands', async function () {
    const one = instance(connector, a.client, a.prefix);
    const other = instance(connector, b.client, a.prefix);
    const posted = await one.messenger.sendCard(
      { staffId: connector.addMember({ aadObjectId: testGuid() }).aadObjectId },
      () => card('0 van 2'),
    );

    await one.messenger.updateCard(posted, card('1 van 2'));
    await other.messenger.updateCard(posted, card('2 van 2'));

    const updates = connector.activities.filter((x) => x.kind === 'update').map((x) => cardText(x.body));
    assert.deepEqual(updates, ['1 van 2', '2 van 2']);
  });

  it('two instances reaching 40 colleagues at once are not throttled by Teams’ tenant limit', async function () {
    const one = instance(connector, a.client, a.prefix);
    const other = instance(connector, b.client, a.prefix);
    const colleagues = Array.from(
      { length: 40 },
      () => connector.addMember({ aadObjectId: testGuid() }).aadObjectId,
    );

    await Promise.all(
      colleagues.map((staffId, i) =>
        (i % 2 === 0 ? one : other).messenger.sendCard({ staffId }, () => card('er is een taak')),
      ),
    );

    assert.equal(connector.activities.length, 40);
    // Each instance alone keeps to 50 per second; together only the shared budget keeps them there.
    assert.equal(connector.throttled, 0);
  });
});
