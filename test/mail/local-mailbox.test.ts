import assert from 'node:assert/strict';
import { passedAuthentication } from '../../src/domain/mail-sender';
import { LocalMailbox } from '../../src/mail/local-mailbox';

const BOX = 'hwc@bs-dedemo.example';

describe("the Playground's demo mailbox (src/mail/local-mailbox.ts)", () => {
  const allowed = (from: string) => from.endsWith('@politie-demo.example');
  const mail = (from: string) => ({ from, subject: 'Handle with Care', body: 'Naam: Demo\n' });

  it('finds a delivered mail with a delta query, and only new mail after its delta link', async () => {
    const box = new LocalMailbox({ authenticates: allowed });
    const first = box.deliver(BOX, mail('hwc@politie-demo.example'));
    const round1 = await box.changes(BOX, undefined);
    assert.deepEqual(round1.ids, [first]);
    assert.deepEqual((await box.changes(BOX, round1.deltaLink)).ids, []);
    const second = box.deliver(BOX, mail('hwc@politie-demo.example'));
    assert.deepEqual((await box.changes(BOX, round1.deltaLink)).ids, [second]);
    assert.deepEqual((await box.changes('other@bs-dedemo.example', undefined)).ids, []);
  });

  it('reads a mail with lowercase addresses, defaulting its recipient to the mailbox', async () => {
    const box = new LocalMailbox({ authenticates: allowed });
    const id = box.deliver('HWC@bs-dedemo.example', { ...mail('HWC@Politie-Demo.example'), body: 'x' });
    const read = await box.read(BOX, id);
    assert.equal(read?.from, 'hwc@politie-demo.example');
    assert.deepEqual(read?.recipients, [BOX]);
    assert.equal(read?.body.contentType, 'text');
    assert.equal(read?.hasAttachments, false);
    assert.equal(read?.encrypted, false);
    assert.equal(await box.read('other@bs-dedemo.example', id), undefined);
  });

  it('stamps dmarc=pass only for a sender the demo school allows (the demo stand-in)', async () => {
    const box = new LocalMailbox({ authenticates: allowed });
    const good = await box.read(BOX, box.deliver(BOX, mail('hwc@politie-demo.example')));
    const bad = await box.read(BOX, box.deliver(BOX, mail('info@onbekend-demo.example')));
    assert.equal(passedAuthentication(good?.authenticationResults, 'hwc@politie-demo.example'), true);
    assert.equal(passedAuthentication(bad?.authenticationResults, 'info@onbekend-demo.example'), false);
    assert.match(bad?.authenticationResults ?? '', /dmarc=none/);
  });

  it('moves a mail to Niet verwerkt, or purges it, and says gone the second time', async () => {
    const box = new LocalMailbox({ authenticates: allowed });
    const kept = box.deliver(BOX, mail('info@onbekend-demo.example'));
    const taken = box.deliver(BOX, mail('hwc@politie-demo.example'));
    assert.equal(await box.moveToNotProcessed(BOX, kept), 'moved');
    assert.equal(await box.permanentDelete(BOX, taken), 'deleted');
    assert.equal(await box.permanentDelete(BOX, taken), 'gone');
    assert.equal(await box.read(BOX, taken), undefined);
    assert.deepEqual(box.contents(), { inbox: [], notProcessed: [kept], purged: 1 });
    assert.equal(box.whereIs(kept), 'not-processed');
    assert.equal(box.whereIs(taken), 'purged');
    assert.equal(box.whereIs('nope'), 'gone');
    // Neither is new mail any more.
    assert.deepEqual((await box.changes(BOX, undefined)).ids, []);
  });

  it('keeps what it would send, and sends nothing', async () => {
    const box = new LocalMailbox({ authenticates: allowed });
    await box.send(BOX, 'hwc@politie-demo.example', 'Ontvangen', 'tekst');
    assert.equal(box.sent.length, 1);
  });
});
