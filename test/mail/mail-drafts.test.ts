import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { MailDraftStore } from '../../src/app/ports';
import { changedDraft, mailDraftId, type MailDraft } from '../../src/domain/mail-draft';
import { MAIL_DRAFT_MARGIN_MS, MemoryMailDrafts } from '../../src/mail/memory-mail-drafts';
import { RedisMailDrafts } from '../../src/mail/redis-mail-drafts';
import { parseEncryptionKeys } from '../../src/store/case-cipher';
import { pupil, testSchool } from '../support/fixtures';
import { testRedis, type TestRedis } from '../support/redis';

const MAILBOX = 'hwc@testlab.example';
const MESSAGE = 'AAMkAGI2TG93AAA=';
const NOW = new Date('2026-11-23T06:00:00Z');

function draft(): MailDraft {
  return {
    id: mailDraftId(MAILBOX, MESSAGE),
    schoolId: testSchool.id,
    mailbox: MAILBOX,
    messageId: MESSAGE,
    source: 'police',
    receivedAt: new Date('2026-11-23T05:30:00Z'),
    expiresAt: new Date('2026-11-23T14:00:00Z'),
    reading: { name: pupil.name, birthDate: pupil.birthDate, reasons: ['no-codeword'] },
    mailSender: { mailbox: MAILBOX, address: 'wijkteam@politie-regio.example' },
    state: 'open',
    shells: [],
    version: 1,
  };
}

describe('the mails waiting for a coordinator’s confirmation', () => {
  let redis: TestRedis;
  beforeEach(async () => {
    redis = await testRedis();
  });
  afterEach(async () => redis.cleanup());

  const keyring = parseEncryptionKeys(`k1:${randomBytes(32).toString('base64')}`);
  const stores: [string, () => MailDraftStore][] = [
    ['in memory', () => new MemoryMailDrafts(() => NOW.getTime())],
    [
      'in Redis',
      () =>
        new RedisMailDrafts({
          client: redis.client,
          keyring,
          prefix: redis.prefix,
          now: () => NOW.getTime(),
        }),
    ],
  ];
  for (const [where, make] of stores) {
    describe(where, () => {
      it('keeps one draft per mail, hands it back whole, and changes it only at the version it saw', async () => {
        const drafts = make();
        assert.equal(await drafts.create(draft()), true);
        assert.equal(await drafts.create(draft()), false, 'the mail read again finds its draft');
        assert.deepEqual(await drafts.get(draft().id), draft());
        const sending = changedDraft(draft(), { state: 'sending' });
        assert.equal(await drafts.replace(1, sending), true);
        assert.equal(
          await drafts.replace(1, changedDraft(draft(), { state: 'open' })),
          false,
          'a stale change loses',
        );
        assert.equal((await drafts.get(draft().id))?.state, 'sending');
        await drafts.delete(draft().id);
        assert.equal(await drafts.get(draft().id), undefined);
        assert.equal(
          await drafts.replace(2, changedDraft(sending, {})),
          false,
          'nothing to change once gone',
        );
      });
    });
  }

  it('gives every mail its own id, shaped like a UUID, that names neither mailbox nor message', () => {
    const id = mailDraftId(MAILBOX, MESSAGE);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(mailDraftId(MAILBOX, MESSAGE), id, 'the same mail, the same id');
    assert.notEqual(mailDraftId(MAILBOX, 'AAMkAGI2TG94AAA='), id);
    assert.notEqual(mailDraftId('other@testlab.example', MESSAGE), id);
  });

  it('in Redis, stores what was read encrypted, under the id only, until a margin after the day', async () => {
    const drafts = new RedisMailDrafts({
      client: redis.client,
      keyring,
      prefix: redis.prefix,
      now: () => NOW.getTime(),
    });
    await drafts.create(draft());
    const keys = await redis.keys();
    assert.deepEqual(keys, [`${redis.prefix}mail-draft:${draft().id}`]);
    const stored = await redis.client.hGetAll(keys[0]!);
    const all = JSON.stringify(stored);
    for (const secret of [pupil.name, pupil.birthDate, MAILBOX, MESSAGE, 'politie-regio'])
      assert.ok(!all.includes(secret), 'nothing of the mail in the clear');
    const ttl = await redis.client.pTTL(keys[0]!);
    const expected = draft().expiresAt.getTime() + MAIL_DRAFT_MARGIN_MS - NOW.getTime();
    assert.ok(Math.abs(ttl - expected) < 5_000, `expires a margin after the day (${ttl} ms)`);
  });

  it('in Redis, treats a draft copied under another id, or tampered with, as gone', async () => {
    const drafts = new RedisMailDrafts({
      client: redis.client,
      keyring,
      prefix: redis.prefix,
      now: () => NOW.getTime(),
    });
    await drafts.create(draft());
    const other = mailDraftId(MAILBOX, 'AAMkAGI2TG94AAA=');
    const original = `${redis.prefix}mail-draft:${draft().id}`;
    await redis.client.copy(original, `${redis.prefix}mail-draft:${other}`);
    assert.equal(await drafts.get(other), undefined, 'copied under another id');
    const blob = Buffer.from((await redis.client.hGet(original, 'blob')) ?? '', 'binary');
    await redis.client.hSet(original, 'blob', Buffer.concat([blob.subarray(0, 40), Buffer.from('x')]));
    assert.equal(await drafts.get(draft().id), undefined, 'tampered with');
  });

  it('in memory, forgets a draft a margin after its day, also when no expiry task ran', async () => {
    let now = NOW.getTime();
    const drafts = new MemoryMailDrafts(() => now);
    await drafts.create(draft());
    now = draft().expiresAt.getTime() + 1;
    assert.ok(await drafts.get(draft().id), 'still there for the expiry task');
    now = draft().expiresAt.getTime() + MAIL_DRAFT_MARGIN_MS;
    assert.equal(await drafts.get(draft().id), undefined);
  });
});
