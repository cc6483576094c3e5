import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TEAMS_LIKE_RATE_LIMITS } from '../support/fake-bot-connector';
import { assertNothingLeaked } from '../support/flow-checks';
import { FakeGraph, StaticTokenCredential } from '../support/fake-graph';
import { caseIdOf, startTestApp, TENANT_ID, type TestApp } from '../support/test-app';
import { coordinatorA, groupTeacher, gymTeacher, signal, testSchool } from '../support/fixtures';

const CATALOG_APP_ID = 'a1b2c3d4-0000-4000-8000-00000000c0de';

function text(card: unknown): string {
  return JSON.stringify(card ?? null);
}

/**
 * Reaching colleagues in Teams, over real HTTP: a fake Bot Connector that throttles and refuses
 * like Teams, and a fake Microsoft Graph that installs the app.
 */
describe('reaching colleagues in Teams (fake Bot Connector and fake Graph on 127.0.0.1)', () => {
  let t: TestApp;
  let graph: FakeGraph;

  async function start(options: Parameters<typeof startTestApp>[0] = {}): Promise<void> {
    graph = new FakeGraph();
    await graph.start();
    graph.addCatalogApp({ id: CATALOG_APP_ID, externalId: randomUUID() });
    t = await startTestApp({
      ...options,
      env: {
        GRAPH_BASE_URL: graph.url,
        GRAPH_CLIENT_ID: randomUUID(),
        GRAPH_CLIENT_SECRET: 'not-used-with-the-static-credential',
        GRAPH_TENANT_ID: TENANT_ID,
        TEAMS_APP_CATALOG_ID: CATALOG_APP_ID,
        ...options.env,
      },
      start: {
        graphCredential: new StaticTokenCredential(),
        messenger: { afterInstallDelaysMs: [20, 50, 100] },
        ...options.start,
      },
    });
  }

  afterEach(async () => {
    try {
      assertNothingLeaked(t);
    } finally {
      await t.stop();
      await graph.stop();
    }
  });

  async function claimedCase(): Promise<string> {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    const caseId = caseIdOf(t.connector.activities.find((a) => a.body?.attachments)!.body);
    await t.invoke(coordinatorA.id, 'case.claim', { caseId });
    await t.settled();
    return caseId;
  }

  /**
   * 'Vastleggen en informeren': answered before the cards go out (the colleagues are shown as
   * being sent to), then the view once every card is in or given up on.
   */
  async function talk(caseId: string, others: string): Promise<{ card: unknown }> {
    const answer = await t.invoke(coordinatorA.id, 'case.record-talk', { caseId, others });
    assert.match(text(answer.card), /wordt verstuurd…/, 'the answer shows the cards being sent');
    await t.settled();
    return t.invoke(coordinatorA.id, 'case.view', { caseId });
  }

  function cardsTo(staffId: string): number {
    const chat = t.connector.conversations.find((c) => c.members.some((m) => m.id === staffId));
    return chat ? t.connector.activitiesIn(chat.id).filter((a) => a.kind !== 'update').length : 0;
  }

  it('a colleague without the app: 403, the bot installs it through Graph, retries, and the card arrives', async () => {
    await start();
    // Like Teams: the chat is refused until the app is installed for that user.
    const refused = t.connector.unreachableUsers;
    refused.add(gymTeacher.id);
    refused.has = (id: string) => id === gymTeacher.id && !graph.isInstalled(gymTeacher.id, CATALOG_APP_ID);
    const caseId = await claimedCase();
    const view = await talk(caseId, gymTeacher.id);
    assert.match(text(view.card), /0 van 1 gelezen/);
    assert.equal(graph.requestsTo('installApp').length, 1);
    assert.ok(graph.isInstalled(gymTeacher.id, CATALOG_APP_ID));
    assert.equal(cardsTo(gymTeacher.id), 1);
    const forbidden = t.connector.requestsTo('createConversation').filter((r) => r.status === 403);
    assert.equal(forbidden.length, 1, 'one 403, then the install, then the chat');
    const read = await t.invoke(gymTeacher.id, 'colleague.acknowledge', { caseId });
    assert.match(text(read.card), /Gelezen om/);
  });

  it('an app that is already installed (409) counts as installed', async () => {
    await start();
    graph.installed.set(gymTeacher.id, new Set([CATALOG_APP_ID]));
    t.connector.failNext({ route: 'createConversation', status: 403, member: gymTeacher.id });
    const caseId = await claimedCase();
    const view = await talk(caseId, gymTeacher.id);
    assert.match(text(view.card), /0 van 1 gelezen/);
    assert.equal(graph.requestsTo('installApp')[0]?.status, 409);
    assert.equal(cardsTo(gymTeacher.id), 1);
  });

  it('when Graph refuses the install, the coordinator is told to go in person', async () => {
    await start();
    t.connector.unreachableUsers.add(gymTeacher.id);
    graph.addTeacher('some-school', { id: gymTeacher.id, displayName: gymTeacher.name });
    graph.failNext({ route: 'installApp', status: 403 });
    const caseId = await claimedCase();
    const view = await talk(caseId, `${gymTeacher.id},${groupTeacher.id}`);
    // Picked with the people picker and never reached: Graph tells whom to go to.
    assert.match(
      text(view.card),
      /"Lieke Haverkamp","value":"niet bereikbaar via Teams: vertel het persoonlijk"/,
    );
    assert.match(text(view.card), /0 van 1 gelezen/);
    assert.equal(cardsTo(groupTeacher.id), 1, 'the other colleague is reached all the same');
  });

  it('without Graph configured, a colleague without the app is shown as not reachable', async () => {
    await start({ env: { GRAPH_CLIENT_ID: '', GRAPH_CLIENT_SECRET: '', TEAMS_APP_CATALOG_ID: '' } });
    t.connector.unreachableUsers.add(gymTeacher.id);
    const caseId = await claimedCase();
    const view = await talk(caseId, gymTeacher.id);
    assert.match(text(view.card), /niet bereikbaar via Teams/);
    assert.equal(graph.requests.length, 0);
  });

  it('a 429 with Retry-After is waited out, and the card arrives', async () => {
    await start();
    t.connector.failNext({
      route: 'createConversation',
      status: 429,
      retryAfterSeconds: 1,
      member: gymTeacher.id,
    });
    const caseId = await claimedCase();
    const view = await talk(caseId, gymTeacher.id);
    assert.match(text(view.card), /0 van 1 gelezen/);
    const attempts = t.connector
      .requestsTo('createConversation')
      .filter((r) => JSON.stringify(r.body).includes(gymTeacher.id));
    assert.deepEqual(
      attempts.map((r) => r.status),
      [429, 201],
    );
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 1_000, 'Retry-After honoured');
  });

  it('thirty colleagues at once, under Teams-like rate limits: every card arrives and every acknowledgement counts', async () => {
    const staff = Array.from({ length: 30 }, (_, i) => ({
      id: randomUUID(),
      name: `Collega ${String(i + 1).padStart(2, '0')}`,
    }));
    await start({
      connector: { rateLimits: TEAMS_LIKE_RATE_LIMITS },
      members: staff,
      schools: [testSchool],
    });
    const caseId = await claimedCase();
    const view = await talk(caseId, staff.map((p) => p.id).join(','));
    assert.match(text(view.card), /0 van 30 gelezen/);
    for (const person of staff) assert.equal(cardsTo(person.id), 1, person.name);
    await Promise.all(staff.map((p) => t.invoke(p.id, 'colleague.acknowledge', { caseId })));
    const c = (await t.app.services.store.get(caseId))!;
    assert.equal(c.colleagues.filter((p) => p.acknowledgedAt).length, 30);
    const owner = t.connector.conversations.find((conv) =>
      conv.members.some((m) => m.id === coordinatorA.id),
    )!;
    const last = t.connector
      .activitiesIn(owner.id)
      .filter((a) => a.kind === 'update')
      .at(-1)!;
    assert.match(JSON.stringify(last.body), /30 van 30 gelezen/);
    assert.equal(t.connector.throttled, 0, 'the messenger stayed within the limits');
  });

  it('a click is answered before any Teams call for other people is made', async () => {
    await start();
    const caseId = await claimedCase();
    const colleagueIds = [gymTeacher.id, groupTeacher.id];
    // Every request about the colleagues waits at the fake Teams until the test lets it go.
    const ownChat = t.connector.conversations.find((c) => c.members.some((m) => m.id === coordinatorA.id))!;
    t.connector.holdRequests((r) => r.route !== 'replyToActivity' || !r.path.includes(ownChat.id));
    const answer = await t.invoke(coordinatorA.id, 'case.record-talk', {
      caseId,
      others: colleagueIds.join(','),
    });

    assert.equal(answer.status, 200, answer.text);
    assert.match(text(answer.card), /0 van 2 verstuurd…/, 'the status says the cards are on their way');
    assert.equal(
      (text(answer.card).match(/wordt verstuurd…/g) ?? []).length,
      2,
      'both colleagues are being sent to',
    );
    const served = t.connector.requests.filter((r) => r.status !== 0 && r.route === 'createConversation');
    assert.equal(
      served.length,
      2,
      'only the coordinators’ chats were opened (at intake) when the answer came',
    );
    for (const id of colleagueIds) assert.equal(cardsTo(id), 0, 'no colleague has a card yet');

    t.connector.release();
    await t.settled();
    for (const id of colleagueIds) assert.equal(cardsTo(id), 1, 'then each colleague gets one');
    const view = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.match(text(view.card), /0 van 2 gelezen/);
    const shell = t.connector.activitiesIn(ownChat.id).filter((a) => a.kind === 'update');
    assert.match(
      JSON.stringify(shell.at(-1)!.body),
      /0 van 2 gelezen/,
      'the owner’s card ends with the read count',
    );
    assert.ok(
      shell.some((a) => /van 2 verstuurd…/.test(JSON.stringify(a.body))),
      'the owner’s card showed the cards being sent',
    );
  });

  it("'Herinner' and the parents step are answered before Teams is called for the colleagues", async () => {
    await start();
    const caseId = await claimedCase();
    await talk(caseId, `${gymTeacher.id},${groupTeacher.id}`);
    const before = { gym: cardsTo(gymTeacher.id), group: cardsTo(groupTeacher.id) };
    assert.deepEqual(before, { gym: 1, group: 1 }, 'each colleague has their card');

    // Every request for somebody else waits at the fake Teams until the test lets it go: a click
    // that waited for one would never be answered.
    const ownChat = t.connector.conversations.find((c) => c.members.some((m) => m.id === coordinatorA.id))!;
    const forOthers = (r: { path: string }) => !r.path.includes(ownChat.id);
    t.connector.holdRequests(forOthers);
    const remind = await t.invoke(coordinatorA.id, 'case.remind', { caseId, round: 0 });
    assert.equal(remind.status, 200, remind.text);
    assert.match(
      text(remind.card),
      /2 collega’s opnieuw gevraagd om te lezen/,
      'the answer says who is reminded',
    );
    assert.deepEqual(
      { gym: cardsTo(gymTeacher.id), group: cardsTo(groupTeacher.id) },
      before,
      'no reminder is in a colleague’s chat when the answer comes',
    );
    t.connector.release();
    await t.settled();
    assert.deepEqual(
      { gym: cardsTo(gymTeacher.id), group: cardsTo(groupTeacher.id) },
      { gym: 2, group: 2 },
      'then each gets the reminder as a new message',
    );

    t.connector.holdRequests(forOthers);
    const parents = await t.invoke(coordinatorA.id, 'case.record-parents', {
      caseId,
      parents: 'by-group-teacher',
      parentsBy: groupTeacher.id,
    });
    assert.equal(parents.status, 200, parents.text);
    assert.match(text(parents.card), /Ouders: Marloes Tjallema informeert hen/);
    assert.equal(cardsTo(groupTeacher.id), 2, 'the group teacher is asked only after the answer');
    t.connector.release();
    await t.settled();
    assert.equal(cardsTo(groupTeacher.id), 3, 'then the group teacher gets the request as a new message');
  });

  it("'Oppakken' is answered before the other coordinators' cards are updated", async () => {
    await start();
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    const caseId = caseIdOf(t.connector.activities.find((a) => a.body?.attachments)!.body);
    t.connector.holdRequests((r) => r.route === 'updateActivity');
    const claim = await t.invoke(coordinatorA.id, 'case.claim', { caseId });
    assert.match(text(claim.card), /Jij hebt dit signaal opgepakt/);
    assert.equal(t.connector.activities.filter((a) => a.kind === 'update').length, 0, 'no card updated yet');
    t.connector.release();
    await t.settled();
    const updates = t.connector.activities.filter((a) => a.kind === 'update');
    assert.equal(updates.length, 1, "the other coordinator's card, after the answer");
    assert.match(JSON.stringify(updates[0]!.body), /Opgepakt door/);
  });

  it('forty colleagues under Teams-like limits with 10% random 429s: all delivered, none marked unreachable', async () => {
    const staff = Array.from({ length: 40 }, (_, i) => ({
      id: randomUUID(),
      name: `Collega ${String(i + 1).padStart(2, '0')}`,
    }));
    let seed = 40;
    await start({
      connector: {
        rateLimits: TEAMS_LIKE_RATE_LIMITS,
        // Retry-After 0: the test shows that throttling never gives up on anyone, not how long it waits.
        randomThrottling: {
          share: 0.1,
          retryAfterSeconds: 0,
          random: () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646,
        },
      },
      members: staff,
      schools: [testSchool],
    });
    const caseId = await claimedCase();
    const view = await talk(caseId, staff.map((p) => p.id).join(','));
    assert.match(text(view.card), /0 van 40 gelezen/);
    assert.doesNotMatch(text(view.card), /niet bereikbaar/);
    for (const person of staff) assert.equal(cardsTo(person.id), 1, person.name);
    const c = (await t.app.services.store.get(caseId))!;
    assert.deepEqual(
      c.colleagues.filter((p) => p.delivery !== 'sent').map((p) => p.delivery),
      [],
      'every delivery recorded as sent',
    );
    assert.ok(t.connector.randomlyThrottled > 0, `429s were served (${t.connector.randomlyThrottled})`);
  });
});
