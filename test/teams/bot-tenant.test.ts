import assert from 'node:assert/strict';
import { caseIdOf, startTestApp, TENANT_ID, type TestApp } from '../support/test-app';
import { cardText, posting, stopAfterPrivacyCheck } from '../support/flow-checks';
import { coordinatorA, intakeUser, pupil, signal } from '../support/fixtures';

/** Another Entra tenant: invented, like every id in the tests. */
const OTHER_TENANT = '0f0e0d0c-0b0a-4909-8807-060504030201';
/** Typed by the user; must never reach a log line. */
const USER_TEXT = 'Zwanenburg-Oosterbeek 4711';

describe('the bot acts in the configured tenant only (over HTTP, in local mode)', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await startTestApp({ env: { MicrosoftAppTenantId: TENANT_ID } });
  });
  afterEach(async () => stopAfterPrivacyCheck(t));

  async function deliver(): Promise<string> {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    const created = t.connector.activities.find(
      (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('caseId'),
    );
    assert.ok(created, 'a card was posted');
    return caseIdOf(created.body);
  }

  /** The log lines of refused activities, parsed. */
  function refusals(): Array<Record<string, unknown>> {
    return t.logs.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'activity from another tenant refused');
  }

  function assertRefusedNeutrally(view: { status: number; card: unknown; text: string }, what: string): void {
    assert.equal(view.status, 200, `${what}: a card action always gets a card`);
    assert.match(cardText(view.card), /Niet beschikbaar/, `${what}: the neutral card`);
    assert.ok(!view.text.includes(pupil.name), `${what}: no pupil in the answer`);
    const lines = refusals();
    assert.equal(lines.length, 1, `${what}: one refusal is logged`);
    assert.equal(lines[0]?.level, 'warn', `${what}: at warn`);
    assert.equal(lines[0]?.code, 'case.not-authorized', `${what}: with its code`);
  }

  it('serves a coordinator whose activity names the configured tenant everywhere', async () => {
    const caseId = await deliver();
    const view = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.ok(view.text.includes(pupil.name), 'the coordinator sees the pupil');
    assert.deepEqual(refusals(), [], 'nothing refused');
  });

  it('refuses a card action whose channelData names another tenant, though conversation.tenantId is ours', async () => {
    const caseId = await deliver();
    const view = await t.invoke(
      coordinatorA.id,
      'case.view',
      { caseId },
      { channelData: { tenant: { id: OTHER_TENANT } } },
    );
    assertRefusedNeutrally(view, 'channelData.tenant.id of another tenant');
  });

  it('refuses a card action whose conversation.tenantId is another tenant, though channelData is ours', async () => {
    const caseId = await deliver();
    const view = await t.invoke(
      coordinatorA.id,
      'case.view',
      { caseId },
      {
        conversation: {
          id: `a:personal-${coordinatorA.id}`,
          conversationType: 'personal',
          tenantId: OTHER_TENANT,
        },
      },
    );
    assertRefusedNeutrally(view, 'conversation.tenantId of another tenant');
  });

  it('refuses a card action whose sender names another tenant', async () => {
    const caseId = await deliver();
    const view = await t.invoke(
      coordinatorA.id,
      'case.view',
      { caseId },
      { from: { id: `29:${coordinatorA.id}`, aadObjectId: coordinatorA.id, tenantId: OTHER_TENANT } },
    );
    assertRefusedNeutrally(view, 'from.tenantId of another tenant');
  });

  it('refuses a card action that names no tenant at all', async () => {
    const caseId = await deliver();
    const view = await t.invoke(
      coordinatorA.id,
      'case.view',
      { caseId },
      {
        conversation: { id: `a:personal-${coordinatorA.id}`, conversationType: 'personal' },
        channelData: {},
      },
    );
    assertRefusedNeutrally(view, 'no tenant');
  });

  it('refuses a card action whose tenant id is not a string', async () => {
    const caseId = await deliver();
    const view = await t.invoke(
      coordinatorA.id,
      'case.view',
      { caseId },
      { channelData: { tenant: { id: 42 } } },
    );
    assertRefusedNeutrally(view, 'a tenant id that is a number');
  });

  it('a claim from a mixed-tenant activity changes nothing', async () => {
    const caseId = await deliver();
    const claim = await t.invoke(
      coordinatorA.id,
      'case.claim',
      { caseId },
      { channelData: { tenant: { id: OTHER_TENANT } } },
    );
    assertRefusedNeutrally(claim, 'a claim');
    assert.equal((await t.app.services.store.get(caseId))?.claim, undefined, 'nobody claimed the case');
  });

  it('answers no typed command from a message whose channelData names another tenant, and logs no user text', async () => {
    const status = await t.message(intakeUser.id, `nieuw signaal ${USER_TEXT}`, {
      channelData: { tenant: { id: OTHER_TENANT } },
    });
    assert.equal(status, 200, 'the message is taken, then ignored');
    const replies = t.connector.activities.filter((a) => posting.has(a.kind));
    assert.deepEqual(replies, [], 'no form, no help, nothing is sent');
    assert.equal(refusals().length, 1, 'one refusal is logged');
    assert.ok(!t.logs.text().includes(USER_TEXT), 'the log holds no user text');
  });

  it('sends no form to an intake user whose message names another tenant in conversation.tenantId', async () => {
    await t.message(intakeUser.id, 'nieuw signaal', {
      conversation: {
        id: `a:personal-${intakeUser.id}`,
        conversationType: 'personal',
        tenantId: OTHER_TENANT,
      },
    });
    assert.deepEqual(
      t.connector.activities.filter((a) => posting.has(a.kind)),
      [],
      'nothing is sent',
    );
  });

  it('does not welcome on an installation from a mixed-tenant activity', async () => {
    const status = await t.message(intakeUser.id, '', {
      type: 'installationUpdate',
      action: 'add',
      channelData: { tenant: { id: OTHER_TENANT } },
    });
    assert.equal(status, 200, 'the activity is taken, then ignored');
    assert.deepEqual(
      t.connector.activities.filter((a) => posting.has(a.kind)),
      [],
      'no welcome is sent',
    );
    assert.equal(refusals().length, 1, 'one refusal is logged');
  });

  it('still welcomes on an installation in the configured tenant', async () => {
    await t.message(intakeUser.id, '', { type: 'installationUpdate', action: 'add' });
    assert.equal(t.connector.activities.filter((a) => posting.has(a.kind)).length, 1, 'the welcome is sent');
  });
});
