import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { Activity } from 'botbuilder';
import { createLogger } from '../../src/logging/logger';
import { connectRedis } from '../../src/redis/redis-client';
import { ConversationReferences } from '../../src/teams/conversation-references';
import { testRedis, type TestRedis } from '../support/redis';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
const SERVICE_URL = 'https://smba.trafficmanager.net/emea/';

function personalActivity(
  aadObjectId: string,
  overrides: { locale?: string; conversationId?: string; serviceUrl?: string } = {},
): Partial<Activity> {
  return {
    type: 'message',
    id: 'activity-1',
    channelId: 'msteams',
    serviceUrl: overrides.serviceUrl ?? SERVICE_URL,
    from: { id: `29:teams-${aadObjectId}`, name: 'Coördinator', aadObjectId },
    recipient: { id: '28:bot-app-id', name: 'Handle with Care' },
    conversation: {
      id: overrides.conversationId ?? `a:chat-${aadObjectId}`,
      conversationType: 'personal',
      tenantId: TENANT_ID,
      isGroup: false,
      name: '',
    },
    ...(overrides.locale ? { locale: overrides.locale } : {}),
  };
}

/** Log lines as parsed objects. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('conversation references shared through Redis', function () {
  let a: TestRedis;
  let b: TestRedis;

  beforeEach(async function () {
    a = await testRedis();
    b = await testRedis();
  });
  afterEach(async function () {
    await b.cleanup();
    await a.cleanup();
  });

  it('a chat remembered by instance A from an activity is found by instance B', async function () {
    const one = new ConversationReferences({ shared: { client: a.client, prefix: a.prefix } });
    const other = new ConversationReferences({ shared: { client: b.client, prefix: a.prefix } });

    one.remember(personalActivity('aad-coordinator-1', { locale: 'nl-NL' }));
    await one.flush();

    const found = await other.get('aad-coordinator-1');
    assert.equal(found?.reference.conversation?.id, 'a:chat-aad-coordinator-1');
    assert.equal(found?.reference.serviceUrl, SERVICE_URL);
    assert.equal(found?.reference.user?.id, '29:teams-aad-coordinator-1');
    assert.equal(found?.locale, 'nl-NL');
    assert.equal(await other.serviceUrl(), SERVICE_URL);
    assert.deepEqual(await other.bot(), { id: '28:bot-app-id', name: 'Handle with Care' });
    assert.equal(await other.tenantId(), TENANT_ID);
    assert.equal(await other.get('aad-someone-else'), undefined);
  });

  it('keeps the chats under staff object ids, with a TTL renewed when written', async function () {
    const references = new ConversationReferences({ shared: { client: a.client, prefix: a.prefix } });
    references.remember(personalActivity('aad-coordinator-1', { locale: 'nl-NL' }));
    references.rememberCreated('aad-colleague-2', {
      conversation: { id: 'a:opened', isGroup: false, conversationType: 'personal', name: '' },
      serviceUrl: SERVICE_URL,
      channelId: 'msteams',
    });
    await references.flush();

    assert.deepEqual((await a.keys()).sort(), [
      `${a.prefix}chat-meta`,
      `${a.prefix}chat:aad-colleague-2`,
      `${a.prefix}chat:aad-coordinator-1`,
    ]);
    const day = 24 * 3600_000;
    for (const key of await a.keys()) {
      const ttl = await a.client.pTTL(key);
      assert.ok(ttl > 179 * day && ttl <= 180 * day, `${key}: TTL ${ttl} ms`);
    }
  });

  it('the same chat, brought by every click, is written again only a day later, and at once when it changes', async function () {
    let now = 1_000_000;
    const references = new ConversationReferences({
      shared: { client: a.client, prefix: a.prefix },
      now: () => now,
    });
    const key = `${a.prefix}chat:aad-coordinator-5`;
    const metaKey = `${a.prefix}chat-meta`;
    const day = 24 * 3600_000;
    const shorten = async () => {
      await a.client.pExpire(key, 60_000);
      await a.client.pExpire(metaKey, 60_000);
    };
    const renewed = async (k: string) => (await a.client.pTTL(k)) > 179 * day;

    references.remember(personalActivity('aad-coordinator-5', { locale: 'nl-NL' }));
    await references.flush();
    assert.ok(await renewed(key), 'written the first time');
    await shorten();

    now += 3600_000;
    references.remember(personalActivity('aad-coordinator-5', { locale: 'nl-NL' }));
    await references.flush();
    assert.ok(!(await renewed(key)), 'the same chat an hour later is not written again');
    assert.ok(!(await renewed(metaKey)), 'nor the same service URL, bot and tenant');

    references.remember(personalActivity('aad-coordinator-5', { locale: 'en-GB' }));
    await references.flush();
    assert.ok(await renewed(key), 'a new locale is written at once');
    assert.equal((await a.client.hGet(key, 'locale')) ?? '', 'en-GB');
    await shorten();

    now += day;
    references.remember(personalActivity('aad-coordinator-5', { locale: 'en-GB' }));
    await references.flush();
    assert.ok(await renewed(key), 'a day later the same chat is written again, renewing its TTL');
    assert.ok(await renewed(metaKey), 'and so is the meta');
  });

  it('a chat written again without a locale keeps the locale another instance learnt', async function () {
    const one = new ConversationReferences({ shared: { client: a.client, prefix: a.prefix } });
    const other = new ConversationReferences({ shared: { client: b.client, prefix: a.prefix } });
    one.remember(personalActivity('aad-colleague-3', { locale: 'en-GB' }));
    await one.flush();

    other.rememberCreated('aad-colleague-3', {
      conversation: { id: 'a:reopened', isGroup: false, conversationType: 'personal', name: '' },
      serviceUrl: SERVICE_URL,
      channelId: 'msteams',
    });
    await other.flush();

    const fresh = new ConversationReferences({ shared: { client: a.client, prefix: a.prefix } });
    const found = await fresh.get('aad-colleague-3');
    assert.equal(found?.reference.conversation?.id, 'a:reopened');
    assert.equal(found?.locale, 'en-GB');
    assert.equal((await other.get('aad-colleague-3'))?.locale, 'en-GB');
  });

  it('sees what another instance learnt later, once its cache is older than cacheMs', async function () {
    let now = 1_000_000;
    const one = new ConversationReferences({ shared: { client: a.client, prefix: a.prefix } });
    const other = new ConversationReferences({
      shared: { client: b.client, prefix: a.prefix },
      cacheMs: 60_000,
      now: () => now,
    });
    one.remember(personalActivity('aad-colleague-4', { locale: 'nl-NL' }));
    await one.flush();
    assert.equal((await other.get('aad-colleague-4'))?.locale, 'nl-NL');

    one.remember(
      personalActivity('aad-colleague-4', { locale: 'en-US', serviceUrl: 'https://other.example/' }),
    );
    await one.flush();
    assert.equal((await other.get('aad-colleague-4'))?.locale, 'nl-NL', 'cached');
    now += 60_000;
    assert.equal((await other.get('aad-colleague-4'))?.locale, 'en-US');
    assert.equal(await other.serviceUrl(), 'https://other.example/');
  });

  it('when Redis fails: remember does not throw, reads fall back to this instance, one warning without ids', async function () {
    const { lines, logger } = capturedLogger();
    const broken = await connectRedis({ url: a.url }, createLogger({ level: 'silent' }));
    broken.destroy();
    const references = new ConversationReferences({ shared: { client: broken, prefix: a.prefix }, logger });

    references.remember(personalActivity('aad-coordinator-5', { locale: 'nl-NL' }));
    references.remember(personalActivity('aad-coordinator-6', { locale: 'nl-NL' }));
    await references.flush();

    assert.equal(
      (await references.get('aad-coordinator-5'))?.reference.conversation?.id,
      'a:chat-aad-coordinator-5',
    );
    assert.equal(await references.get('aad-unknown'), undefined);
    assert.equal(await references.tenantId(), TENANT_ID);
    const warnings = lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.equal(warnings[0]!.event, 'teams.references.redis-failed');
    assert.ok(!JSON.stringify(lines).includes('aad-'), 'no object id in the log');
  });

  it('without Redis it works as before, from this process alone', async function () {
    const references = new ConversationReferences();
    references.remember(personalActivity('aad-coordinator-7', { locale: 'nl-NL' }));
    // A group chat or an activity without an Entra user is no personal chat to remember.
    references.remember({
      ...personalActivity('aad-x'),
      conversation: { id: 'g', conversationType: 'groupChat', isGroup: true, name: '' },
    });

    assert.equal((await references.get('aad-coordinator-7'))?.locale, 'nl-NL');
    assert.equal(await references.get('aad-x'), undefined);
    assert.equal(await references.serviceUrl(), SERVICE_URL);
    assert.equal(await references.tenantId(), TENANT_ID);
    assert.deepEqual(await a.keys(), []);
  });
});
