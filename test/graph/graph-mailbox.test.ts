import assert from 'node:assert/strict';
import { GraphClient, GraphError, routeShape, type GraphClientOptions } from '../../src/graph/graph-client';
import { GraphMailbox, type GraphMailboxOptions } from '../../src/graph/graph-mailbox';
import { StaticTokenCredential } from '../support/fake-graph';
import { FakeGraphMail, type FakeMailInput, type FakeMessage } from '../support/fake-graph-mail';

// Every address and name here is invented.
const HWC = 'hwc@bs-de-linde.example';
const VEILIG_THUIS = 'signalen@veiligthuis-regio.example';
const IB = 'ib@bs-de-linde.example';

describe('Graph mailbox', () => {
  const graph = new FakeGraphMail();
  let waits: number[];

  before(() => graph.start());
  after(() => graph.stop());
  beforeEach(() => {
    graph.clear();
    graph.addMailbox(HWC);
    waits = [];
  });

  function client(options: Partial<GraphClientOptions> = {}): GraphClient {
    return new GraphClient({
      credential: new StaticTokenCredential(),
      baseUrl: graph.url,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
      ...options,
    });
  }

  function mailbox(options: GraphMailboxOptions = {}, clientOptions: Partial<GraphClientOptions> = {}) {
    return new GraphMailbox(client(clientOptions), options);
  }

  function signal(subject: string, extra: Partial<FakeMailInput> = {}): FakeMessage {
    return graph.deliver(HWC, { from: VEILIG_THUIS, subject, body: 'Signaal voor morgen.', ...extra });
  }

  const holding = (message: FakeMessage) =>
    graph.foldersHolding(HWC, (m) => m.internetMessageId === message.internetMessageId);

  describe('changes (delta query on the inbox)', () => {
    it('reads every mail in the inbox on a first run, page by page, and returns the deltaLink', async () => {
      const mails = [1, 2, 3, 4, 5].map((n) => signal(`Signaal ${n}`));
      graph.deliver(HWC, { from: VEILIG_THUIS, subject: 'Gearchiveerd', folder: 'archive' });

      const changes = await mailbox({ pageSize: 2 }).changes(HWC, undefined);

      assert.deepEqual([...changes.ids].sort(), mails.map((m) => m.id).sort());
      const requests = graph.requestsTo('delta');
      assert.equal(requests.length, 3, 'three pages of two');
      assert.ok(requests.every((r) => r.headers.prefer === 'odata.maxpagesize=2'));
      assert.equal(
        requests[0]?.path,
        `/v1.0/users/${encodeURIComponent(HWC)}/mailFolders/inbox/messages/delta`,
      );
      assert.equal(requests[0]?.query.$select, 'id');
      assert.ok(requests[1]?.query.$skiptoken, 'the second page from the nextLink');
      const last = requests[2]?.response as Record<string, unknown>;
      assert.equal(changes.deltaLink, last['@odata.deltaLink']);
      assert.match(changes.deltaLink, /\$deltatoken=/);
    });

    it('continues from the deltaLink with only the mail that came in since', async () => {
      signal('Eerder');
      const sut = mailbox({ pageSize: 2 });
      const first = await sut.changes(HWC, undefined);
      const later = [signal('Later 1'), signal('Later 2'), signal('Later 3')];

      const next = await sut.changes(HWC, first.deltaLink);

      assert.deepEqual([...next.ids].sort(), later.map((m) => m.id).sort());
      assert.notEqual(next.deltaLink, first.deltaLink);
      const continued = graph.requestsTo('delta').slice(1);
      assert.ok(continued[0]?.query.$deltatoken, 'the round started from the deltaLink');
      const quiet = await sut.changes(HWC, next.deltaLink);
      assert.deepEqual(quiet.ids, []);
    });

    it('leaves out mail that left the inbox (@removed), deleted or moved', async () => {
      const sut = mailbox();
      const deleted = signal('Verwerkt');
      const moved = signal('Niet voor ons');
      const first = await sut.changes(HWC, undefined);
      assert.equal(first.ids.length, 2);
      assert.equal(await sut.permanentDelete(HWC, deleted.id), 'deleted');
      assert.equal(await sut.moveToNotProcessed(HWC, moved.id), 'moved');
      const fresh = signal('Nieuw');

      const next = await sut.changes(HWC, first.deltaLink);

      assert.deepEqual(next.ids, [fresh.id]);
      const page = graph.requestsTo('delta').at(-1)?.response as { value: Array<Record<string, unknown>> };
      const removed = page.value.filter((item) => item['@removed'] !== undefined).map((item) => item.id);
      assert.deepEqual(removed.sort(), [deleted.id, moved.id].sort(), 'Graph did report them as removed');
    });

    it('does not report a mail that came in and left again between two rounds', async () => {
      const sut = mailbox({ pageSize: 1 });
      const first = await sut.changes(HWC, undefined);
      const gone = signal('Kort');
      await sut.permanentDelete(HWC, gone.id);
      const kept = signal('Blijft');

      const next = await sut.changes(HWC, first.deltaLink);
      assert.deepEqual(next.ids, [kept.id]);
    });

    it('starts a full round again when Graph no longer knows the deltaLink (410)', async () => {
      const sut = mailbox();
      const old = signal('Nog niet verwerkt');
      const first = await sut.changes(HWC, undefined);
      const fresh = signal('Nieuw');
      graph.expireDeltaTokens(HWC);

      const next = await sut.changes(HWC, first.deltaLink);

      assert.deepEqual([...next.ids].sort(), [old.id, fresh.id].sort());
      assert.deepEqual(
        graph.requestsTo('delta').map((r) => r.status),
        [200, 410, 200],
      );
    });

    it('waits out a 429 on a later page and reads on from the same page', async () => {
      const mails = [1, 2, 3].map((n) => signal(`Signaal ${n}`));
      graph.failNext({ route: 'delta', status: 429, retryAfterSeconds: 1, skip: 1 });

      const changes = await mailbox({ pageSize: 2 }).changes(HWC, undefined);

      assert.deepEqual([...changes.ids].sort(), mails.map((m) => m.id).sort());
      assert.deepEqual(waits, [1000]);
      const [, throttled, retried] = graph.requestsTo('delta');
      assert.equal(throttled?.status, 429);
      assert.equal(retried?.query.$skiptoken, throttled?.query.$skiptoken);
    });

    it('never sends the token to a deltaLink on another host', async () => {
      await assert.rejects(
        mailbox().changes(
          HWC,
          'https://graph.evil.example/v1.0/users/x/mailFolders/inbox/messages/delta?$deltatoken=a',
        ),
        (error: unknown) => error instanceof GraphError && error.kind === 'invalid-response',
      );
      assert.equal(graph.requests.length, 0);
    });
  });

  describe('read', () => {
    it('gives the headers, the text body, lowercase addresses and every to and cc recipient', async () => {
      const received = new Date('2025-03-04T07:15:00Z');
      const sent = graph.deliver(HWC, {
        from: 'Signalen@VeiligThuis-Regio.example',
        to: ['HWC@bs-de-linde.example', 'Groep5@BS-de-Linde.example'],
        cc: [IB.toUpperCase(), 'hwc@bs-de-linde.example'],
        subject: 'Handle with Care',
        body: 'Leerling: zie bijlage niet.',
        authenticationResults: [
          'spf=pass smtp.mailfrom=veiligthuis-regio.example; dkim=pass header.d=veiligthuis-regio.example',
          'arc=none',
        ],
        sizeBytes: 4321,
        receivedAt: received,
      });

      const mail = await mailbox().read(HWC, sent.id);

      assert.deepEqual(mail, {
        id: sent.id,
        mailbox: HWC,
        recipients: ['hwc@bs-de-linde.example', 'groep5@bs-de-linde.example', IB],
        from: VEILIG_THUIS,
        subject: 'Handle with Care',
        body: { contentType: 'text', content: 'Leerling: zie bijlage niet.' },
        authenticationResults:
          'spf=pass smtp.mailfrom=veiligthuis-regio.example; dkim=pass header.d=veiligthuis-regio.example\narc=none',
        hasAttachments: false,
        encrypted: false,
        sizeBytes: 4321,
        receivedAt: received,
      });
      const [request] = graph.requestsTo('message');
      assert.match(request?.query.$select ?? '', /(^|,)internetMessageHeaders(,|$)/);
      assert.match(request?.query.$expand ?? '', /Integer 0x0E08/);
    });

    it('keeps an HTML body as HTML', async () => {
      const html = '<html><body><p>Signaal voor <b>groep 5</b></p></body></html>';
      const sent = signal('HTML', { body: { contentType: 'html', content: html } });
      const mail = await mailbox().read(HWC, sent.id);
      assert.deepEqual(mail?.body, { contentType: 'html', content: html });
    });

    it('has no Authentication-Results and no size when Exchange gives none', async () => {
      const sent = signal('Intern', { noHeaders: true, sizeBytes: null });
      const mail = await mailbox().read(HWC, sent.id);
      assert.equal(mail?.authenticationResults, undefined);
      assert.equal(mail?.sizeBytes, undefined);
      assert.equal(mail?.subject, 'Intern');
    });

    it('marks S/MIME mail, encrypted or signed, by its class or its Content-Type', async () => {
      const sut = mailbox();
      const encrypted = await sut.read(HWC, signal('Versleuteld', { smime: 'encrypted', body: '' }).id);
      assert.equal(encrypted?.encrypted, true);
      assert.equal(encrypted?.hasAttachments, true, 'the smime.p7m attachment');
      assert.equal((await sut.read(HWC, signal('Ondertekend', { smime: 'signed' }).id))?.encrypted, true);
      const byClassOnly = signal('Klasse', { messageClass: 'IPM.Note.SMIME', noHeaders: true });
      assert.equal((await sut.read(HWC, byClassOnly.id))?.encrypted, true);
      const byHeaderOnly = signal('Kop', { smime: 'encrypted', messageClass: 'IPM.Note' });
      assert.equal((await sut.read(HWC, byHeaderOnly.id))?.encrypted, true);
      const plain = signal('Gewoon', {
        attachments: [{ name: 'brief.pdf', contentType: 'application/pdf' }],
      });
      const read = await sut.read(HWC, plain.id);
      assert.equal(read?.encrypted, false);
      assert.equal(read?.hasAttachments, true);
    });

    it('reads a mail whose id holds /, + and =', async () => {
      const sent = signal('Vreemd id', { id: 'AAMkAGI2/ab+cd/EF==' });
      const mail = await mailbox().read(HWC, sent.id);
      assert.equal(mail?.id, 'AAMkAGI2/ab+cd/EF==');
      assert.ok(graph.requestsTo('message')[0]?.path.includes('AAMkAGI2%2Fab%2Bcd%2FEF%3D%3D'));
    });

    it('gives undefined for a mail that is gone', async () => {
      const sent = signal('Weg');
      const sut = mailbox();
      await sut.permanentDelete(HWC, sent.id);
      assert.equal(await sut.read(HWC, sent.id), undefined);
      assert.equal(graph.requestsTo('message')[0]?.status, 404);
    });

    it('rejects for a mailbox Graph does not know, instead of taking its mail for gone', async () => {
      await assert.rejects(
        mailbox().read('onbekend@bs-de-linde.example', 'AAMkAGI2xyz='),
        (error: unknown) => {
          assert.ok(error instanceof GraphError);
          assert.equal(error.status, 404);
          assert.equal(error.graphCode, 'ErrorInvalidUser');
          return true;
        },
      );
    });
  });

  describe('permanentDelete', () => {
    it('deletes past Deleted Items: the mail is in no folder afterwards', async () => {
      const sent = signal('Verwerkt');
      const other = signal('Blijft staan');
      const sut = mailbox();

      assert.equal(await sut.permanentDelete(HWC, sent.id), 'deleted');

      assert.deepEqual(holding(sent), []);
      assert.deepEqual(holding(other), ['Inbox']);
      assert.deepEqual(
        graph.purged(HWC).map((m) => m.internetMessageId),
        [sent.internetMessageId],
      );
      assert.equal(
        graph.requestsTo('deleteMessage').length,
        0,
        'never a DELETE, which keeps it in Deleted Items',
      );
      assert.equal(graph.requestsTo('permanentDelete')[0]?.status, 204);
      assert.equal(await sut.permanentDelete(HWC, sent.id), 'gone');
    });
  });

  describe('moveToNotProcessed', () => {
    it('makes the folder once, and the mail is only in it afterwards', async () => {
      const first = signal('Niet voor ons 1');
      const second = signal('Niet voor ons 2');
      const sut = mailbox();

      assert.equal(await sut.moveToNotProcessed(HWC, first.id), 'moved');
      assert.equal(await sut.moveToNotProcessed(HWC, second.id), 'moved');

      assert.deepEqual(holding(first), ['Niet verwerkt']);
      assert.deepEqual(holding(second), ['Niet verwerkt']);
      assert.equal(graph.folders(HWC).filter((f) => f.displayName === 'Niet verwerkt').length, 1);
      assert.equal(graph.requestsTo('createFolder').length, 1);
      assert.equal(graph.requestsTo('listFolders').length, 1, 'the folder id is kept for the second mail');
      assert.equal(graph.requestsTo('listFolders')[0]?.query.$filter, "displayName eq 'Niet verwerkt'");
      assert.deepEqual(graph.requestsTo('createFolder')[0]?.body, { displayName: 'Niet verwerkt' });
    });

    it('uses a folder that is already there, and makes it once for moves at the same time', async () => {
      graph.createFolder(HWC, 'niet verwerkt');
      const mails = [signal('A'), signal('B'), signal('C')];
      const sut = mailbox();
      assert.deepEqual(await Promise.all(mails.map((m) => sut.moveToNotProcessed(HWC, m.id))), [
        'moved',
        'moved',
        'moved',
      ]);
      assert.equal(graph.requestsTo('createFolder').length, 0);
      assert.equal(graph.requestsTo('listFolders').length, 1);
      for (const m of mails) assert.deepEqual(holding(m), ['niet verwerkt']);
    });

    it('uses the folder another instance made meanwhile (409 ErrorFolderExists)', async () => {
      const sent = signal('Race');
      graph.beforeNext('createFolder', () => graph.createFolder(HWC, 'Niet verwerkt'));

      assert.equal(await mailbox().moveToNotProcessed(HWC, sent.id), 'moved');

      assert.deepEqual(
        graph.requestsTo('createFolder').map((r) => r.status),
        [409],
      );
      assert.equal(graph.requestsTo('listFolders').length, 2, 'looked up again after the 409');
      assert.equal(graph.folders(HWC).filter((f) => f.displayName === 'Niet verwerkt').length, 1);
      assert.deepEqual(holding(sent), ['Niet verwerkt']);
    });

    it('makes the folder again when someone deleted it after it was looked up', async () => {
      const sut = mailbox();
      await sut.moveToNotProcessed(HWC, signal('Eerste').id);
      graph.deleteFolder(HWC, 'Niet verwerkt');
      const sent = signal('Tweede');

      assert.equal(await sut.moveToNotProcessed(HWC, sent.id), 'moved');

      assert.deepEqual(holding(sent), ['Niet verwerkt']);
      assert.deepEqual(
        graph.requestsTo('move').map((r) => r.status),
        [201, 404, 201],
      );
      assert.equal(graph.requestsTo('createFolder').length, 2);
    });

    it("says 'gone' for a mail that is not there any more", async () => {
      const sent = signal('Weg');
      const sut = mailbox();
      await sut.permanentDelete(HWC, sent.id);
      assert.equal(await sut.moveToNotProcessed(HWC, sent.id), 'gone');
      assert.deepEqual(holding(sent), []);
    });
  });

  describe('send', () => {
    it('sends a new plain-text mail from the mailbox, quoting nothing and keeping no copy', async () => {
      const original = signal('Signaal met persoonsgegevens', { body: 'Naam: Fenna Dijkhuis' });
      const text =
        'Uw signaal is ontvangen, maar kon niet worden verwerkt. Stuur het opnieuw via het formulier.';

      await mailbox().send(HWC, VEILIG_THUIS, 'Signaal niet verwerkt', text);

      assert.deepEqual(graph.sent, [
        {
          from: HWC,
          message: {
            subject: 'Signaal niet verwerkt',
            body: { contentType: 'Text', content: text },
            toRecipients: [{ emailAddress: { address: VEILIG_THUIS } }],
          },
          saveToSentItems: false,
        },
      ]);
      assert.deepEqual(
        graph.requests.map((r) => `${r.method} ${r.route} ${r.status}`),
        ['POST sendMail 202'],
        'no reply or forward of the original',
      );
      assert.deepEqual(
        graph.allMessages(HWC).map((m) => m.folder),
        ['Inbox'],
        'no copy in Sent Items',
      );
      assert.ok(!JSON.stringify(graph.sent).includes('Fenna'));
      assert.deepEqual(holding(original), ['Inbox']);
    });
  });

  describe('errors', () => {
    it('waits as long as Retry-After says on 429, then succeeds', async () => {
      const sent = signal('Throttled');
      graph.failNext({ route: 'message', status: 429, retryAfterSeconds: 1 });
      const mail = await mailbox().read(HWC, sent.id);
      assert.equal(mail?.subject, 'Throttled');
      assert.deepEqual(waits, [1000]);
      assert.deepEqual(
        graph.requestsTo('message').map((r) => r.status),
        [429, 200],
      );
    });

    it('gives a GraphError that names neither the mailbox nor the message when Graph stays busy (503)', async () => {
      const sent = signal('Druk', { id: 'AAMkAGI2Geheim+Id/42==' });
      const sut = mailbox();
      const expectations: Array<[() => Promise<unknown>, string]> = [
        [() => sut.read(HWC, sent.id), 'GET /users/{id}/messages/{id}: HTTP 503 (ServiceNotAvailable)'],
        [
          () => sut.permanentDelete(HWC, sent.id),
          'POST /users/{id}/messages/{id}/permanentDelete: HTTP 503 (ServiceNotAvailable)',
        ],
        [
          () => sut.changes(HWC, undefined),
          'GET /users/{id}/mailFolders/inbox/messages/delta: HTTP 503 (ServiceNotAvailable)',
        ],
        [
          () => sut.send(HWC, VEILIG_THUIS, 'Onderwerp', 'Tekst'),
          'POST /users/{id}/sendMail: HTTP 503 (ServiceNotAvailable)',
        ],
      ];
      for (const [call, message] of expectations) {
        graph.reset();
        graph.failNext({ route: '*', status: 503, times: 4 });
        await assert.rejects(call(), (error: unknown) => {
          assert.ok(error instanceof GraphError);
          assert.equal(error.status, 503);
          assert.equal(error.message, message);
          for (const secret of [
            HWC,
            encodeURIComponent(HWC),
            sent.id,
            encodeURIComponent(sent.id),
            VEILIG_THUIS,
          ]) {
            assert.ok(!error.message.includes(secret), 'no mailbox, message id or recipient in the message');
          }
          return true;
        });
        assert.equal(graph.requests.length, 4, 'tried four times');
      }
      assert.deepEqual(holding(sent), ['Inbox']);
    });

    it('redacts a deltaLink and a move to the shape of their routes', async () => {
      const sut = mailbox();
      const sent = signal('Verplaatsen');
      const first = await sut.changes(HWC, undefined);
      graph.failNext({ route: 'delta', status: 503, times: 4 });
      await assert.rejects(sut.changes(HWC, first.deltaLink), (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.message, 'GET /users/{id}/{id}/messages/delta: HTTP 503 (ServiceNotAvailable)');
        return true;
      });
      graph.failNext({ route: 'move', status: 503, times: 4 });
      await assert.rejects(sut.moveToNotProcessed(HWC, sent.id), (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.message, 'POST /users/{id}/messages/{id}/move: HTTP 503 (ServiceNotAvailable)');
        return true;
      });
      assert.deepEqual(holding(sent), ['Inbox']);
    });

    it('is refused without a valid token (401)', async () => {
      const sent = signal('Geen token');
      await assert.rejects(
        mailbox({}, { credential: new StaticTokenCredential('verkeerd') }).read(HWC, sent.id),
        (error: unknown) => error instanceof GraphError && error.status === 401,
      );
    });

    it('knows the words of the mail routes, and nothing else', () => {
      const shapes: Array<[string, string]> = [
        [
          '/v1.0/users/hwc%40bs-de-linde.example/mailFolders/inbox/messages/delta?$select=id',
          '/users/{id}/mailFolders/inbox/messages/delta',
        ],
        ['/v1.0/users/hwc@bs-de-linde.example/messages/AAMk%2Fx%3D%3D', '/users/{id}/messages/{id}'],
        ['/v1.0/users/u-1/messages/AAMkx/permanentDelete', '/users/{id}/messages/{id}/permanentDelete'],
        ['/v1.0/users/u-1/messages/AAMkx/move', '/users/{id}/messages/{id}/move'],
        [
          '/v1.0/users/u-1/mailFolders/msgfolderroot/childFolders',
          '/users/{id}/mailFolders/msgfolderroot/childFolders',
        ],
        ['/v1.0/users/u-1/mailFolders', '/users/{id}/mailFolders'],
        ['/v1.0/users/u-1/sendMail', '/users/{id}/sendMail'],
        ["/v1.0/users/u-1/mailFolders('AAMkfolder')/messages/delta", '/users/{id}/{id}/messages/delta'],
      ];
      for (const [url, shape] of shapes) assert.equal(routeShape(url, '/v1.0'), shape);
    });
  });
});
