import assert from 'node:assert/strict';
import { takeMail } from '../../src/app/mail-intake';
import type { School } from '../../src/domain/school';
import { GraphClient } from '../../src/graph/graph-client';
import { GraphMailbox } from '../../src/graph/graph-mailbox';
import { MemoryMailLedger } from '../../src/mail/memory-mail-ledger';
import type { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import { StaticTokenCredential } from '../support/fake-graph';
import { FakeGraphMail } from '../support/fake-graph-mail';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  pupil,
  stranger,
  testSchool,
} from '../support/fixtures';
import { cardText, posting, stopAfterPrivacyCheck, waitFor } from '../support/flow-checks';
import { dumpRedis, keysWithPupilData } from '../support/redis-scan';
import { testRedis, type TestRedis } from '../support/redis';
import { startTestApp, type TestApp } from '../support/test-app';

// Every address and name here is invented.
const MAILBOX = 'hwc@testlab.example';
const POLICE = 'wijkteam.zuid@politie-regio.example';
const mailSchool: School = {
  ...testSchool,
  mail: {
    mailbox: MAILBOX,
    allowedSenders: [{ domain: 'politie-regio.example', source: 'police' }],
    receipts: true,
  },
};
const DMARC_PASS =
  'spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=politie-regio.example; dkim=pass header.d=politie-regio.example; dmarc=pass action=none header.from=politie-regio.example; compauth=pass reason=100';
const [year, month, day] = pupil.birthDate.split('-');
/** Name and date of birth, but not the words 'Handle with Care': the bot is not certain it is a signal. */
const withoutCodeword = `Goedemorgen,\n\nNaam: ${pupil.name}\nGeboortedatum: ${day}-${month}-${year}\n\nMet vriendelijke groet,\nWijkteam Zuid`;
/** The codeword and a name, but no date of birth. */
const withoutBirthDate = `Handle with Care\n\nNaam: ${pupil.name}\n\nMet vriendelijke groet,\nWijkteam Zuid`;

// Monday 23 November 2026, 07:00 in Amsterdam: before lessons.
const MONDAY_7AM = new Date('2026-11-23T06:00:00Z');
const AFTER_THE_DAY = new Date('2026-11-23T14:00:01Z');

/** A fake Exchange Online with the school's mailbox, and the bot reading it on the test's clock. */
async function startMailApp(
  clock: () => Date,
  redis?: TestRedis,
): Promise<{ graph: FakeGraphMail; t: TestApp }> {
  const graph = new FakeGraphMail();
  await graph.start();
  graph.addMailbox(MAILBOX);
  const client = new GraphClient({
    credential: new StaticTokenCredential(),
    baseUrl: graph.url,
    sleep: async () => undefined,
  });
  const t = await startTestApp({
    schools: [mailSchool],
    start: { mailbox: new GraphMailbox(client), clock },
    ...(redis ? { env: redis.appEnv } : {}),
  });
  return { graph, t };
}

const stores: [string, boolean][] = [
  ['in memory', false],
  ['on Redis', true],
];

for (const [where, onRedis] of stores) {
  describe(`a mail the bot could not read with certainty waits for a coordinator (${where}; fake Graph mail and Bot Connector on 127.0.0.1)`, () => {
    let graph: FakeGraphMail;
    let t: TestApp;
    let redis: TestRedis | undefined;
    let now: Date;

    beforeEach(async () => {
      now = MONDAY_7AM;
      redis = onRedis ? await testRedis() : undefined;
      ({ graph, t } = await startMailApp(() => now, redis));
    });
    afterEach(async () => {
      try {
        await stopAfterPrivacyCheck(t);
      } finally {
        await graph.stop();
        await redis?.cleanup();
      }
    });

    function foldersHoldingMail(): string[] {
      return graph.allMessages(MAILBOX).map((m) => m.folder);
    }

    const draftShells = () =>
      t.connector.activities.filter(
        (a) => posting.has(a.kind) && cardText(a.body).includes('mail-draft.view'),
      );

    function draftId(): string {
      const id = /"draftId":"([0-9a-f-]{36})"/.exec(cardText(draftShells()[0]?.body))?.[1];
      assert.ok(id, 'a card for the mail was posted');
      return id;
    }

    async function deliverUncertain(body = withoutCodeword): Promise<string> {
      graph.deliver(MAILBOX, {
        from: POLICE,
        subject: 'Melding',
        body,
        authenticationResults: DMARC_PASS,
        receivedAt: new Date('2026-11-23T05:30:00Z'),
      });
      await t.app.pollMail();
      await t.settled();
      return draftId();
    }

    it('keeps the mail in the inbox and gives each coordinator a neutral card, no notice and no case', async () => {
      await deliverUncertain();
      assert.equal(await t.app.services.store.size(), 0, 'no case yet');
      assert.deepEqual(foldersHoldingMail(), ['Inbox'], 'the mail waits where it is');
      const shells = draftShells();
      assert.equal(shells.length, 2, 'one card per coordinator');
      for (const shell of shells) {
        assertNoPupilData(cardText(shell.body), 'the card in the chat');
        assert.match(cardText(shell.body), /controleer wat de bot las/);
      }
      assert.ok(
        !t.connector.activities.some((a) => cardText(a.body).includes('Mail niet verwerkt')),
        'no notice: the coordinators decide',
      );
      if (redis) {
        const dumps = await dumpRedis(redis.client, redis.prefix);
        assert.deepEqual(keysWithPupilData(dumps), [], 'what was read is stored encrypted only');
        assert.ok(
          dumps.some((d) => d.key.includes('mail-draft:')),
          'the draft is in Redis, so another instance can serve it',
        );
      }
    });

    it('shows what was read in the intake form on view, only to a coordinator of the school', async () => {
      const id = await deliverUncertain();
      const view = await t.invoke(coordinatorA.id, 'mail-draft.view', { draftId: id });
      const text = cardText(view.card);
      assert.ok(text.includes(pupil.name), 'the name read is prefilled');
      assert.ok(text.includes(pupil.birthDate), 'the date read is prefilled');
      assert.match(text, /de woorden 'Handle with Care' ontbreken/);
      assert.match(text, /Verstuur als signaal/);
      assert.match(text, /Dit is geen signaal/);
      const foreign = await t.invoke(stranger.id, 'mail-draft.view', { draftId: id });
      assert.ok(!cardText(foreign.card).includes(pupil.name), 'a stranger sees nothing');
    });

    it('sends the corrected form as a signal, deletes the mail for good, answers the sender and tells the other coordinator', async () => {
      const id = await deliverUncertain(withoutBirthDate);
      const view = await t.invoke(coordinatorA.id, 'mail-draft.view', { draftId: id });
      assert.ok(cardText(view.card).includes(pupil.name));
      assert.match(cardText(view.card), /geen geboortedatum gevonden/);

      const invalid = await t.invoke(coordinatorA.id, 'mail-draft.send', {
        draftId: id,
        pupilName: pupil.name,
        birthDate: '',
        source: 'police',
      });
      assert.match(cardText(invalid.card), /Verstuur als signaal/, 'the form again, to correct');
      assert.deepEqual(foldersHoldingMail(), ['Inbox'], 'nothing happened yet');

      const values = { draftId: id, pupilName: pupil.name, birthDate: pupil.birthDate, source: 'police' };
      const [sent, again] = await Promise.all([
        t.invoke(coordinatorA.id, 'mail-draft.send', values),
        t.invoke(coordinatorB.id, 'mail-draft.send', values),
      ]);
      await t.settled();
      assert.match(cardText(sent.card), /Signaal doorgestuurd|al afgehandeld/);
      assert.match(cardText(again.card), /Signaal doorgestuurd|al afgehandeld/);
      assert.equal(await t.app.services.store.size(), 1, 'one signal, also for two clicks at once');
      assert.deepEqual(foldersHoldingMail(), [], 'the mail is in no folder');
      assert.equal(graph.purged(MAILBOX).length, 1, 'deleted past Deleted Items');
      const caseCards = t.connector.activities.filter(
        (a) => posting.has(a.kind) && cardText(a.body).includes('"caseId"'),
      );
      assert.equal(caseCards.length, 2, 'the signal reached both coordinators');
      assert.equal(graph.sent.length, 1, 'the sender hears it arrived');
      const answer = JSON.stringify(graph.sent[0]);
      assert.ok(answer.includes(POLICE), 'to the sender');
      assert.match(answer, /ontvangen door/);
      assertNoPupilData(answer, 'the answer to the sender');
      const view2 = await t.invoke(coordinatorB.id, 'mail-draft.view', { draftId: id });
      assert.match(cardText(view2.card), /al afgehandeld/, 'nothing left to view');
      if (redis) {
        const dumps = await dumpRedis(redis.client, redis.prefix);
        assert.ok(!dumps.some((d) => d.key.includes('mail-draft:')), 'the draft is gone from Redis');
      }
    });

    it("moves a mail that is no signal to 'Niet verwerkt' after asking, and the other coordinator's card says who decided", async () => {
      const id = await deliverUncertain();
      const question = await t.invoke(coordinatorA.id, 'mail-draft.not-a-signal', { draftId: id });
      assert.match(cardText(question.card), /Is dit geen signaal\?/);
      assert.deepEqual(foldersHoldingMail(), ['Inbox'], 'asked first, nothing moved');

      const done = await t.invoke(coordinatorA.id, 'mail-draft.not-a-signal', {
        draftId: id,
        confirmed: true,
      });
      await t.settled();
      assert.match(cardText(done.card), /Niet verwerkt/);
      assert.deepEqual(foldersHoldingMail(), ['Niet verwerkt'], 'kept for a person, never deleted unseen');
      assert.equal(await t.app.services.store.size(), 0, 'no case');
      const updates = t.connector.activities.filter(
        (a) => a.kind === 'update' && cardText(a.body).includes(`${coordinatorA.name} heeft aangegeven`),
      );
      assert.equal(updates.length, 1, "the other coordinator's card says who decided");
      const late = await t.invoke(coordinatorB.id, 'mail-draft.send', {
        draftId: id,
        pupilName: pupil.name,
        birthDate: pupil.birthDate,
        source: 'police',
      });
      assert.match(cardText(late.card), /al afgehandeld/, 'a late send changes nothing');
      assert.equal(await t.app.services.store.size(), 0);
    });

    it('does not post a second card when the mail is read again (changed in Outlook, or a restart)', async () => {
      const id = await deliverUncertain();
      const message = graph.allMessages(MAILBOX)[0]!.message;
      graph.markRead(MAILBOX, message.id);
      await t.app.pollMail();
      // As after a restart between the draft and its ledger entry: the ledger has forgotten it.
      const mail = t.app.services.mail!;
      const verdict = await takeMail(
        t.app.services,
        { ...mail, ledger: new MemoryMailLedger() },
        MAILBOX,
        message.id,
        t.app.services.newContext(),
      );
      await t.settled();
      assert.equal(verdict, 'awaiting-confirmation');
      assert.equal(draftShells().length, 2, 'still one card per coordinator');
      assert.equal(draftId(), id);
      assert.deepEqual(foldersHoldingMail(), ['Inbox']);
    });
  });
}

describe('a mail to confirm at the end of its support day (in memory, the scheduler run by hand)', () => {
  let graph: FakeGraphMail;
  let t: TestApp;
  let now: Date;

  beforeEach(async () => {
    now = MONDAY_7AM;
    ({ graph, t } = await startMailApp(() => now));
    graph.deliver(MAILBOX, {
      from: POLICE,
      subject: 'Melding',
      body: withoutCodeword,
      authenticationResults: DMARC_PASS,
      receivedAt: new Date('2026-11-23T05:30:00Z'),
    });
    await t.app.pollMail();
    await t.settled();
  });
  afterEach(async () => {
    try {
      await stopAfterPrivacyCheck(t);
    } finally {
      await graph.stop();
    }
  });

  const folders = () => graph.allMessages(MAILBOX).map((m) => m.folder);
  const scheduler = () => t.app.services.scheduler as InProcessScheduler;

  it("goes to 'Niet verwerkt' when nobody decided, and the coordinators' cards say so", async () => {
    assert.deepEqual(folders(), ['Inbox']);
    now = AFTER_THE_DAY;
    scheduler().runDue();
    await waitFor(() => folders().includes('Niet verwerkt'));
    await waitFor(
      () =>
        t.connector.activities.filter(
          (a) => a.kind === 'update' && cardText(a.body).includes('Niemand heeft deze mail'),
        ).length === 2,
    );
    assert.equal(await t.app.services.store.size(), 0);
    assert.equal(scheduler().size, 0, 'nothing of it is scheduled');
    await t.app.pollMail();
    assert.deepEqual(folders(), ['Niet verwerkt'], 'and reading the mailbox again leaves it there');
  });

  it('deletes a sent mail at the end of the day when Graph would not delete it at once', async () => {
    const id = /"draftId":"([0-9a-f-]{36})"/.exec(
      cardText(t.connector.activities.find((a) => cardText(a.body).includes('mail-draft.view'))?.body),
    )?.[1];
    assert.ok(id);
    // The delete and its retries fail, as if Graph were away just then.
    graph.failNext({ route: 'permanentDelete', status: 503, times: 4 });
    const sent = await t.invoke(coordinatorA.id, 'mail-draft.send', {
      draftId: id,
      pupilName: pupil.name,
      birthDate: pupil.birthDate,
      source: 'police',
    });
    assert.match(cardText(sent.card), /Signaal doorgestuurd/);
    assert.equal(await t.app.services.store.size(), 1, 'the signal is stored');
    assert.deepEqual(folders(), ['Inbox'], 'the mail is still there');
    const view = await t.invoke(coordinatorB.id, 'mail-draft.view', { draftId: id });
    assert.match(cardText(view.card), /al afgehandeld/, 'it cannot be sent twice');
    now = AFTER_THE_DAY;
    scheduler().runDue();
    await waitFor(() => folders().length === 0);
    assert.equal(graph.purged(MAILBOX).length, 1, 'deleted past Deleted Items, once');
    assert.ok(
      !t.connector.activities.some((a) => cardText(a.body).includes('Niemand heeft deze mail')),
      'nobody is told it was left unconfirmed',
    );
  });
});
