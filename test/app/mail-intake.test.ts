import assert from 'node:assert/strict';
import type { School } from '../../src/domain/school';
import { GraphClient } from '../../src/graph/graph-client';
import { GraphMailbox } from '../../src/graph/graph-mailbox';
import { StaticTokenCredential } from '../support/fake-graph';
import { FakeGraphMail, type FakeMailInput } from '../support/fake-graph-mail';
import { assertNoPupilData, coordinatorA, pupil, testSchool } from '../support/fixtures';
import { cardText, posting, stopAfterPrivacyCheck } from '../support/flow-checks';
import { startTestApp, type TestApp } from '../support/test-app';

// Every address and name here is invented.
const MAILBOX = 'hwc@testlab.example';
const POLICE = 'wijkteam.noord@politie-regio.example';
const mailSchool: School = {
  ...testSchool,
  mail: {
    mailbox: MAILBOX,
    allowedSenders: [{ domain: 'politie-regio.example', source: 'police' }],
    receipts: false,
  },
};
const DMARC_PASS =
  'spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=politie-regio.example; dkim=pass header.d=politie-regio.example; dmarc=pass action=none header.from=politie-regio.example; compauth=pass reason=100';
const DMARC_FAIL =
  'spf=fail (sender IP is 198.51.100.7) smtp.mailfrom=politie-regio.example; dmarc=fail action=quarantine header.from=politie-regio.example; compauth=fail reason=000';
const [year, month, day] = pupil.birthDate.split('-');
const signalBody = `Goedemorgen,\n\nHandle with Care\n\nNaam: ${pupil.name}\nGeboortedatum: ${day}-${month}-${year}\n\nMet vriendelijke groet,\nWijkteam Noord`;

describe('signals from the school’s Handle with Care mailbox (fake Graph mail and Bot Connector on 127.0.0.1)', () => {
  let graph: FakeGraphMail;
  let t: TestApp;
  let client: GraphClient;

  beforeEach(async () => {
    graph = new FakeGraphMail();
    await graph.start();
    graph.addMailbox(MAILBOX);
    client = new GraphClient({
      credential: new StaticTokenCredential(),
      baseUrl: graph.url,
      sleep: async () => undefined,
    });
    t = await startTestApp({
      schools: [mailSchool],
      start: { mailbox: new GraphMailbox(client) },
    });
  });
  afterEach(async () => {
    try {
      await stopAfterPrivacyCheck(t);
    } finally {
      await graph.stop();
    }
  });

  /** Which folders still hold a mail of this test (the purged ones are in none). */
  function foldersHoldingMail(): string[] {
    return graph.allMessages(MAILBOX).map((m) => m.folder);
  }

  /** The case id on the first card posted for a case. */
  function postedCaseId(): string {
    const card = t.connector.activities.find(
      (x) => posting.has(x.kind) && cardText(x.body).includes('caseId'),
    );
    const caseId = /"caseId":"([0-9a-f-]{36})"/.exec(cardText(card?.body))?.[1];
    assert.ok(caseId, 'a card for a case was posted');
    return caseId;
  }

  /** The police's signal mail, as it reaches the school's mailbox: allowed, authentic, certain. */
  function deliverSignalMail(): void {
    graph.deliver(MAILBOX, {
      from: POLICE,
      subject: 'Handle with Care',
      body: signalBody,
      authenticationResults: DMARC_PASS,
    });
  }

  function notices(): string[] {
    return t.connector.activities
      .filter((a) => posting.has(a.kind))
      .map((a) => cardText(a.body))
      .filter((text) => text.includes('Mail niet verwerkt'));
  }

  it('takes a signal from an allowed, authentic mail, posts it to the coordinators and deletes the mail for good', async () => {
    deliverSignalMail();
    await t.app.pollMail();
    await t.settled();

    assert.equal(await t.app.services.store.size(), 1, 'one case');
    const cards = t.connector.activities.filter((a) => posting.has(a.kind));
    assert.equal(cards.length, 2, 'a card for each coordinator');
    for (const card of cards) assertNoPupilData(cardText(card.body), 'a posted card');
    assert.deepEqual(foldersHoldingMail(), [], 'the mail is in no folder, Deleted Items included');
    assert.equal(graph.purged(MAILBOX).length, 1, 'it was deleted permanently');

    const view = await t.invoke(coordinatorA.id, 'case.view', {
      caseId: postedCaseId(),
    });
    assert.match(cardText(view.card), new RegExp(pupil.name), 'the view shows the pupil read from the mail');
    assert.match(cardText(view.card), /Politie/, 'from the source of the allowed sender');

    await t.app.pollMail();
    assert.equal(await t.app.services.store.size(), 1, 'a second pass takes nothing twice');
    assert.deepEqual(graph.sent, [], 'the sender is not answered unless the school wants it');
  });

  it('with receipts on, tells the sender by a new mail that the signal arrived, naming no pupil', async () => {
    await t.stop();
    t = await startTestApp({
      schools: [{ ...mailSchool, mail: { ...mailSchool.mail!, receipts: true } }],
      start: { mailbox: new GraphMailbox(client) },
    });
    deliverSignalMail();
    await t.app.pollMail();
    assert.equal(graph.sent.length, 1, 'one answer');
    const answer = JSON.stringify(graph.sent[0]);
    assert.match(answer, new RegExp(POLICE.replace('.', '\\.')), 'to the sender');
    assert.match(answer, /ontvangen door Basisschool Het Testlab op \S+ \d+ \S+, \d\d:\d\d/);
    assert.doesNotMatch(
      answer,
      /Re:|Handle with Care\\n\\nNaam/,
      'a new mail, not a reply quoting the signal',
    );
    assertNoPupilData(answer, 'the answer to the sender');

    // The coordinator finds it is not our pupil: the sender hears where the signal must go.
    const caseId = postedCaseId();
    const closed = await t.invoke(coordinatorA.id, 'case.not-our-pupil', { caseId, confirmed: true });
    assert.match(cardText(closed.card), /niet onze leerling/i);
    await t.settled();
    assert.equal(graph.sent.length, 2, 'a second mail to the sender');
    const second = JSON.stringify(graph.sent[1]);
    assert.match(
      second,
      /niet onze leerling\. Stuur het signaal van \S+ \d+ \S+, \d\d:\d\d naar de juiste school/,
    );
    assert.match(second, /wijkteam\.noord@politie-regio\.example/);
    assertNoPupilData(second, "the sender's second mail");
  });

  it("tells no sender 'niet onze leerling' when the school does not answer senders", async () => {
    deliverSignalMail();
    await t.app.pollMail();
    const caseId = postedCaseId();
    await t.invoke(coordinatorA.id, 'case.not-our-pupil', { caseId, confirmed: true });
    await t.settled();
    assert.deepEqual(graph.sent, [], 'nothing sent');
  });

  const leftForAPerson: [string, Omit<FakeMailInput, 'subject' | 'body'>, RegExp][] = [
    [
      'from a sender not on the list',
      { from: 'onbekend@elders.example', authenticationResults: DMARC_PASS },
      /niet op de lijst/,
    ],
    ['that failed DMARC', { from: POLICE, authenticationResults: DMARC_FAIL }, /echtheidscontrole/],
    [
      'that is encrypted',
      { from: POLICE, authenticationResults: DMARC_PASS, smime: 'encrypted' },
      /versleuteld/,
    ],
    [
      'with an attachment',
      {
        from: POLICE,
        authenticationResults: DMARC_PASS,
        attachments: [{ name: 'signaal.pdf', contentType: 'application/pdf' }],
      },
      /bijlage/,
    ],
    [
      'of 20 MB',
      { from: POLICE, authenticationResults: DMARC_PASS, sizeBytes: 20 * 1024 * 1024 },
      /te groot/,
    ],
  ];
  for (const [what, mail, reason] of leftForAPerson) {
    it(`leaves a mail ${what} in 'Niet verwerkt' and tells the coordinators why, not what it said`, async () => {
      graph.deliver(MAILBOX, { subject: 'Handle with Care', body: signalBody, ...mail });
      await t.app.pollMail();
      await t.settled();
      assert.equal(await t.app.services.store.size(), 0, 'no case');
      assert.deepEqual(
        foldersHoldingMail(),
        ['Niet verwerkt'],
        'the mail waits for a person, not deleted unseen',
      );
      const told = notices();
      assert.equal(told.length, 2, 'each coordinator is told');
      for (const notice of told) {
        assert.match(notice, reason);
        assertNoPupilData(notice, 'the notice');
      }
    });
  }

  it("leaves a mail about two pupils in 'Niet verwerkt', for a person to read", async () => {
    graph.deliver(MAILBOX, {
      from: POLICE,
      subject: 'Handle with Care',
      body: `${signalBody}\n\nNaam: Tijmen Oosterbroek\nGeboortedatum: 03-09-2015`,
      authenticationResults: DMARC_PASS,
    });
    await t.app.pollMail();
    assert.equal(await t.app.services.store.size(), 0);
    assert.deepEqual(foldersHoldingMail(), ['Niet verwerkt']);
    assert.match(notices()[0] ?? '', /meer leerlingen/);
  });

  it('waits out throttling and a mailbox Graph cannot reach, and takes each mail once', async () => {
    deliverSignalMail();
    graph.failNext({ route: 'delta', status: 429, retryAfterSeconds: 1 });
    await t.app.pollMail();
    assert.equal(await t.app.services.store.size(), 1, 'read after the 429');
    assert.deepEqual(foldersHoldingMail(), []);
  });

  it('deletes a mail whose signal was stored exactly once, also when the delete failed the first time', async () => {
    deliverSignalMail();
    // Graph refuses the delete on the first try and its three retries: as if the bot stopped
    // between storing the signal and deleting the mail.
    graph.failNext({ route: 'permanentDelete', status: 503, times: 4 });
    await t.app.pollMail();
    assert.equal(await t.app.services.store.size(), 1, 'the signal is stored');
    assert.deepEqual(foldersHoldingMail(), ['Inbox'], 'the mail is still there');
    await t.app.pollMail();
    await t.settled();
    assert.equal(await t.app.services.store.size(), 1, 'still one case: the signal is not taken twice');
    assert.deepEqual(foldersHoldingMail(), [], 'and now the mail is gone');
    const cards = t.connector.activities.filter(
      (a) => posting.has(a.kind) && cardText(a.body).includes('caseId'),
    );
    assert.equal(cards.length, 2, 'one card per coordinator, not two for each');
  });
});
