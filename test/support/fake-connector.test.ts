import assert from 'node:assert/strict';
import { ConnectorClient, MicrosoftAppCredentials } from 'botframework-connector';
import { FakeBotConnector, TEAMS_LIKE_RATE_LIMITS, testGuid } from './fake-bot-connector';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
const BOT = { id: '28:6d8f2a0e-4b1c-4c7e-9a55-0f3b2e1d7c11', name: 'Handle with Care' };

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  connector: FakeBotConnector,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
) {
  const res = await fetch(new URL(path, connector.url), {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined } as Answer;
}

function createConversationBody(memberId: string, activity?: Record<string, unknown>) {
  return {
    isGroup: false,
    bot: BOT,
    members: [{ id: memberId }],
    tenantId: TENANT_ID,
    channelData: { tenant: { id: TENANT_ID } },
    ...(activity ? { activity } : {}),
  };
}

describe('fake Bot Connector', function () {
  const coordinator = testGuid();
  const teacher = testGuid();
  const connector = new FakeBotConnector({
    basePath: '/emea/',
    members: [
      { aadObjectId: coordinator, name: 'Coordinator', userPrincipalName: 'zc@school.example' },
      { aadObjectId: teacher, name: 'Teacher' },
    ],
  });

  before(async function () {
    await connector.start();
  });

  after(async function () {
    await connector.stop();
  });

  beforeEach(function () {
    connector.reset();
    connector.unreachableUsers.clear();
    connector.requireAuth = false;
    connector.rateLimits = undefined;
  });

  describe('serving the Bot Framework API', function () {
    it('serves botbuilder’s own ConnectorClient under a Teams-like service URL path', async function () {
      const client = new ConnectorClient(new MicrosoftAppCredentials('', ''), { baseUri: connector.url });
      const member = connector.member(coordinator)!;

      const created = await client.conversations.createConversation({
        isGroup: false,
        bot: BOT,
        members: [{ id: member.id, name: member.name }],
        tenantId: TENANT_ID,
        channelData: { tenant: { id: TENANT_ID } },
        activity: { type: 'message', text: 'Er is een Handle with Care-taak' },
      } as Parameters<typeof client.conversations.createConversation>[0]);
      const sent = await client.conversations.sendToConversation(created.id, {
        type: 'message',
        text: 'two',
      });
      const replied = await client.conversations.replyToActivity(created.id, sent.id, {
        type: 'message',
        text: 'three',
      });
      await client.conversations.updateActivity(created.id, sent.id, { type: 'message', text: 'updated' });
      await client.conversations.deleteActivity(created.id, replied.id);
      const looked = await client.conversations.getConversationMember(created.id, coordinator);

      assert.ok(created.id.startsWith('a:'));
      assert.deepEqual(
        connector.activities.map((a) => [a.kind, a.conversationId, a.body?.text ?? null]),
        [
          ['create', created.id, 'Er is een Handle with Care-taak'],
          ['send', created.id, 'two'],
          ['reply', created.id, 'three'],
          ['update', created.id, 'updated'],
          ['delete', created.id, null],
        ],
      );
      assert.equal(connector.activities[0]?.activityId, created.activityId);
      assert.equal(connector.activities[2]?.replyToId, sent.id);
      assert.equal(connector.activities[3]?.activityId, sent.id);
      assert.equal(connector.activities[4]?.activityId, replied.id);
      assert.equal(looked.id, member.id);
      assert.equal((looked as { aadObjectId?: string }).aadObjectId, coordinator);
      assert.ok(connector.requests.every((r) => r.path.startsWith('/emea/v3/conversations')));
    });

    it('records who a conversation was created for, and in which tenant', async function () {
      const res = await call(connector, 'POST', 'v3/conversations', createConversationBody(`29:someone`));

      assert.equal(res.status, 201);
      assert.equal(connector.conversations.length, 1);
      assert.equal(connector.conversations[0]?.tenantId, TENANT_ID);
      assert.deepEqual(connector.conversations[0]?.members, [{ id: '29:someone' }]);
      assert.equal((res.body as { activityId?: string }).activityId, undefined);
    });

    it('returns the same 1:1 conversation for the same user, like Teams', async function () {
      const member = connector.member(teacher)!;
      const first = await call(connector, 'POST', 'v3/conversations', createConversationBody(member.id));
      const second = await call(connector, 'POST', 'v3/conversations', createConversationBody(teacher));

      assert.equal((first.body as { id: string }).id, (second.body as { id: string }).id);
      assert.equal(connector.conversations.length, 1);
    });

    it('looks members up by Teams id or aadObjectId and answers 404 for strangers', async function () {
      const member = connector.member(teacher)!;
      const byId = await call(
        connector,
        'GET',
        `v3/conversations/a:x/members/${encodeURIComponent(member.id)}`,
      );
      const byAad = await call(connector, 'GET', `v3/conversations/a:x/members/${teacher}`);
      const stranger = await call(connector, 'GET', `v3/conversations/a:x/members/${testGuid()}`);

      assert.equal(byId.status, 200);
      assert.equal((byId.body as { aadObjectId: string }).aadObjectId, teacher);
      assert.match((byAad.body as { id: string }).id, /^29:/);
      assert.equal(stranger.status, 404);
      assert.equal((stranger.body as { error: { code: string } }).error.code, 'MemberNotFoundInConversation');
    });

    it('lists the members of a conversation it created', async function () {
      const created = await call(connector, 'POST', 'v3/conversations', createConversationBody(coordinator));
      const id = encodeURIComponent((created.body as { id: string }).id);
      const members = await call(connector, 'GET', `v3/conversations/${id}/members`);
      const paged = await call(connector, 'GET', `v3/conversations/${id}/pagedmembers`);

      assert.deepEqual(
        (members.body as Array<{ aadObjectId: string }>).map((m) => m.aadObjectId),
        [coordinator],
      );
      assert.deepEqual((paged.body as { members: unknown[] }).members, members.body);
    });
  });

  describe('scripted failures', function () {
    it('fails the next createConversation with 403 once, then serves it', async function () {
      connector.failNext({ route: 'createConversation', status: 403, times: 1 });

      const first = await call(connector, 'POST', 'v3/conversations', createConversationBody(coordinator));
      const second = await call(connector, 'POST', 'v3/conversations', createConversationBody(coordinator));

      assert.equal(first.status, 403);
      assert.equal((first.body as { error: { code: string } }).error.code, 'Forbidden');
      assert.equal(second.status, 201);
      assert.deepEqual(connector.pendingFailures(), []);
      assert.deepEqual(
        connector.requestsTo('createConversation').map((r) => r.status),
        [403, 201],
      );
    });

    it('throttles with 429 and Retry-After for as many times as asked', async function () {
      connector.failNext({ route: 'sendActivity', status: 429, retryAfterSeconds: 1, times: 2 });

      const answers = [];
      for (let i = 0; i < 3; i++) {
        answers.push(await call(connector, 'POST', 'v3/conversations/a:1/activities', { type: 'message' }));
      }

      assert.deepEqual(
        answers.map((a) => a.status),
        [429, 429, 201],
      );
      assert.equal(answers[0]?.headers.get('retry-after'), '1');
      assert.equal(connector.activities.length, 1);
    });

    it('fails only the scripted route with a 5xx', async function () {
      connector.failNext({ route: 'updateActivity', status: 502 });

      const send = await call(connector, 'POST', 'v3/conversations/a:1/activities', { type: 'message' });
      const update = await call(connector, 'PUT', 'v3/conversations/a:1/activities/17', { type: 'message' });

      assert.equal(send.status, 201);
      assert.equal(update.status, 502);
      assert.deepEqual(
        connector.activities.map((a) => a.kind),
        ['send'],
      );
    });

    it('fails a route for one member only', async function () {
      connector.failNext({ route: 'createConversation', member: teacher, status: 500, times: Infinity });

      const forTeacher = await call(connector, 'POST', 'v3/conversations', createConversationBody(teacher));
      const forCoordinator = await call(
        connector,
        'POST',
        'v3/conversations',
        createConversationBody(coordinator),
      );
      const teacherAgain = await call(
        connector,
        'POST',
        'v3/conversations',
        createConversationBody(connector.member(teacher)!.id),
      );

      assert.equal(forTeacher.status, 500);
      assert.equal(forCoordinator.status, 201);
      assert.equal(teacherAgain.status, 500);
    });

    it('fails a route for one conversation only', async function () {
      connector.failNext({ route: '*', conversationId: 'a:broken', status: 404 });

      const broken = await call(connector, 'POST', 'v3/conversations/a%3Abroken/activities', {
        type: 'message',
      });
      const fine = await call(connector, 'POST', 'v3/conversations/a%3Afine/activities', { type: 'message' });

      assert.equal(broken.status, 404);
      assert.equal(fine.status, 201);
    });

    it('answers 403 for unreachable users, on creating their chat and on sending into it', async function () {
      const created = await call(connector, 'POST', 'v3/conversations', createConversationBody(teacher));
      const id = encodeURIComponent((created.body as { id: string }).id);
      connector.unreachableUsers.add(teacher);

      const create = await call(connector, 'POST', 'v3/conversations', createConversationBody(teacher));
      const send = await call(connector, 'POST', `v3/conversations/${id}/activities`, { type: 'message' });
      const other = await call(connector, 'POST', 'v3/conversations', createConversationBody(coordinator));

      assert.equal(create.status, 403);
      assert.equal(send.status, 403);
      assert.equal(other.status, 201);
    });

    it('is retried by botbuilder’s own client on 429, which honours Retry-After', async function () {
      const client = new ConnectorClient(new MicrosoftAppCredentials('', ''), { baseUri: connector.url });
      connector.failNext({ route: 'sendActivity', status: 429, retryAfterSeconds: 0, times: 1 });

      const sent = await client.conversations.sendToConversation('a:1', { type: 'message', text: 'x' });

      assert.ok(sent.id);
      assert.deepEqual(
        connector.requestsTo('sendActivity').map((r) => r.status),
        [429, 201],
      );
    });

    it('shows botbuilder’s client the status once its own retries are used up', async function () {
      const client = new ConnectorClient(new MicrosoftAppCredentials('', ''), { baseUri: connector.url });
      connector.failNext({ route: 'sendActivity', status: 429, retryAfterSeconds: 0, times: Infinity });

      const error = await client.conversations
        .sendToConversation('a:1', { type: 'message', text: 'x' })
        .then(() => undefined)
        .catch((err: unknown) => err as { statusCode?: number; code?: string });

      assert.equal(error?.statusCode, 429);
      assert.equal(error?.code, 'TooManyRequests');
      assert.ok(connector.requestsTo('sendActivity').length > 1);
    });
  });

  describe('rate limits', function () {
    it('also keeps a two-second window per conversation', async function () {
      connector.rateLimits = { perConversationPerTwoSeconds: 2 };
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          (await call(connector, 'PUT', 'v3/conversations/a%3A2/activities/1', { type: 'message' })).status,
        );
      }

      assert.deepEqual(statuses, [200, 200, 429]);
    });

    it('throttles the eighth message within a second in one conversation with 429 and Retry-After', async function () {
      connector.rateLimits = { perConversationPerSecond: 7, retryAfterSeconds: 2 };
      const created = await call(connector, 'POST', 'v3/conversations', createConversationBody(teacher));
      const id = encodeURIComponent((created.body as { id: string }).id);

      const answers = [];
      for (let i = 0; i < 8; i++) {
        answers.push(await call(connector, 'POST', `v3/conversations/${id}/activities`, { type: 'message' }));
      }
      const elsewhere = await call(connector, 'POST', 'v3/conversations/a%3Aother/activities', {
        type: 'message',
      });

      assert.deepEqual(
        answers.map((a) => a.status),
        [201, 201, 201, 201, 201, 201, 201, 429],
      );
      assert.equal(answers[7]?.headers.get('retry-after'), '2');
      assert.equal((answers[7]?.body as { error: { code: string } }).error.code, 'TooManyRequests');
      assert.equal(elsewhere.status, 201);
      assert.equal(connector.throttled, 1);
      assert.equal(connector.requests.filter((r) => r.throttled).length, 1);
      assert.equal(connector.activitiesIn(decodeURIComponent(id)).length, 7);
    });

    it('throttles above 50 requests per second per tenant, across conversations', async function () {
      connector.rateLimits = { ...TEAMS_LIKE_RATE_LIMITS };
      const answers = await Promise.all(
        Array.from({ length: 51 }, () =>
          call(connector, 'POST', 'v3/conversations', createConversationBody(testGuid())),
        ),
      );

      assert.equal(answers.filter((a) => a.status === 201).length, 50);
      assert.equal(answers.filter((a) => a.status === 429).length, 1);
      assert.equal(connector.throttled, 1);
    });

    it('serves again once the window has passed, and forgets the count on reset', async function () {
      connector.rateLimits = { perConversationPerSecond: 1 };
      const first = await call(connector, 'POST', 'v3/conversations/a%3A1/activities', { type: 'message' });
      const second = await call(connector, 'POST', 'v3/conversations/a%3A1/activities', { type: 'message' });
      await new Promise((resolve) => setTimeout(resolve, 1050));
      const third = await call(connector, 'POST', 'v3/conversations/a%3A1/activities', { type: 'message' });

      assert.deepEqual([first.status, second.status, third.status], [201, 429, 201]);
      connector.reset();
      assert.equal(connector.throttled, 0);
      const afterReset = await call(connector, 'POST', 'v3/conversations/a%3A1/activities', {
        type: 'message',
      });
      assert.equal(afterReset.status, 201);
    });
  });

  describe('dropped connections', function () {
    it('drops the connection when told to, then serves again', async function () {
      connector.failNext({ route: 'sendActivity', status: 0, resetConnection: true });

      const dropped = await call(connector, 'POST', 'v3/conversations/a:1/activities', { type: 'message' })
        .then(() => undefined)
        .catch((err: unknown) => err as Error & { cause?: { code?: string } });
      const served = await call(connector, 'POST', 'v3/conversations/a:1/activities', { type: 'message' });

      assert.ok(dropped instanceof Error);
      assert.equal(dropped.cause?.code, 'UND_ERR_SOCKET');
      assert.equal(served.status, 201);
      assert.deepEqual(
        connector.requestsTo('sendActivity').map((r) => r.status),
        [0, 201],
      );
    });
  });

  describe('outbound authentication', function () {
    it('when required, refuses requests without a bearer token and records the Authorization header', async function () {
      connector.requireAuth = true;

      const without = await call(connector, 'POST', 'v3/conversations/a:1/activities', { type: 'message' });
      const withToken = await call(
        connector,
        'POST',
        'v3/conversations/a:1/activities',
        { type: 'message' },
        'abc',
      );

      assert.equal(without.status, 401);
      assert.equal(withToken.status, 201);
      assert.equal(connector.requests[0]?.headers.authorization, undefined);
      assert.equal(connector.requests[1]?.headers.authorization, 'Bearer abc');
      assert.equal(connector.activities.length, 1);
    });

    it('can accept only a particular token', async function () {
      connector.requireAuth = (token) => token === 'right';

      const wrong = await call(
        connector,
        'POST',
        'v3/conversations/a:1/activities',
        { type: 'message' },
        'wrong',
      );
      const right = await call(
        connector,
        'POST',
        'v3/conversations/a:1/activities',
        { type: 'message' },
        'right',
      );

      assert.equal(wrong.status, 401);
      assert.equal(right.status, 201);
    });
  });
});
