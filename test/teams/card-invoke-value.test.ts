import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/test-app';
import { cardText, posting, stopAfterPrivacyCheck } from '../support/flow-checks';
import { coordinatorA, pupil } from '../support/fixtures';

/** Sent in the invoke; must come back in neither the answer nor a log line. */
const SENT_TEXT = 'Kwakernaat-Heemskerk 0815';

/** Values of an adaptiveCard/action invoke that botbuilder cannot read, or that are no Action.Execute. */
const MALFORMED: ReadonlyArray<readonly [string, unknown]> = [
  ['an action that is null', { action: null }],
  ['a number', 42],
  ['a string', SENT_TEXT],
  ['an array', []],
  ['no value at all', undefined],
  ['an object without an action', { trigger: 'manual' }],
  ['an action that is a string', { action: SENT_TEXT }],
  ['an action of another type', { action: { type: SENT_TEXT, verb: 'case.view', data: {} } }],
  ['a verb that is not a string', { action: { type: 'Action.Execute', verb: 42, data: {} } }],
];

describe('a card action whose invoke value does not fit (over HTTP, in local mode)', () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => stopAfterPrivacyCheck(t));

  beforeEach(() => {
    t.logs.lines.length = 0;
    t.connector.reset();
  });

  async function postInvoke(value: unknown): Promise<{ status: number; body: string }> {
    const activity: Record<string, unknown> = {
      type: 'invoke',
      name: 'adaptiveCard/action',
      id: `invoke-${Math.random().toString(36).slice(2)}`,
      channelId: 'msteams',
      serviceUrl: t.connector.url,
      from: { id: `29:${coordinatorA.id}`, aadObjectId: coordinatorA.id, name: 'Invented User' },
      recipient: { id: '28:hwc-test-bot', name: 'Handle with Care' },
      conversation: { id: `a:personal-${coordinatorA.id}`, conversationType: 'personal' },
      locale: 'nl-NL',
    };
    if (value !== undefined) activity.value = value;
    const res = await fetch(`${t.app.url}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(activity),
    });
    return { status: res.status, body: await res.text() };
  }

  function logLines(): Array<Record<string, unknown>> {
    return t.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  for (const [what, value] of MALFORMED) {
    it(`answers 400 with a neutral error body, and logs no error, for ${what}`, async () => {
      const res = await postInvoke(value);

      assert.equal(res.status, 400, `${what}: a bad request, not a crash: ${res.body}`);
      const body = JSON.parse(res.body) as {
        statusCode?: unknown;
        type?: unknown;
        value?: { code?: unknown };
      };
      assert.equal(body.statusCode, 400, `${what}: an Adaptive Card invoke error body`);
      assert.equal(body.type, 'application/vnd.microsoft.error', `${what}: of the error type`);
      assert.equal(body.value?.code, 'BadRequest', `${what}: with a neutral code`);
      assert.ok(!res.body.includes(SENT_TEXT), `${what}: the answer does not echo the input`);
      assert.ok(!res.body.includes('42'), `${what}: the answer does not echo the input`);

      const lines = logLines();
      assert.deepEqual(
        lines.filter((l) => l.level === 'error' || l.level === 'fatal'),
        [],
        `${what}: no error-level log line`,
      );
      const refused = lines.filter((l) => l.code === 'action.invalid');
      assert.equal(refused.length, 1, `${what}: the refusal is logged once`);
      assert.ok(['warn', 'info'].includes(String(refused[0]?.level)), `${what}: at warn or info`);
      assert.ok(!t.logs.text().includes(SENT_TEXT), `${what}: the log holds nothing of the value`);
      assert.deepEqual(
        t.connector.activities.filter((a) => posting.has(a.kind)),
        [],
        `${what}: nothing is sent to the chat`,
      );
    });
  }

  it('still answers a well-formed card action with a card', async () => {
    const res = await postInvoke({
      action: {
        type: 'Action.Execute',
        verb: 'case.view',
        data: { caseId: '00000000-0000-4000-8000-000000000000' },
      },
      trigger: 'manual',
    });
    assert.equal(res.status, 200, `a well-formed action: ${res.body}`);
    const body = JSON.parse(res.body) as { value?: unknown };
    assert.match(cardText(body.value), /Onbekend signaal/, 'the card for a case the bot does not know');
    assert.ok(!res.body.includes(pupil.name), 'no pupil');
  });

  it('still answers an automatic refresh without data with the neutral card', async () => {
    const res = await postInvoke({
      action: { type: 'Action.Execute', verb: 'case.view' },
      trigger: 'automatic',
    });
    assert.equal(res.status, 200, `a refresh without data: ${res.body}`);
    assert.match(
      cardText((JSON.parse(res.body) as { value?: unknown }).value),
      /Niet beschikbaar/,
      'neutral',
    );
  });
});
