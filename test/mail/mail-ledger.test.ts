import assert from 'node:assert/strict';
import type { MailLedger } from '../../src/app/ports';
import { MemoryMailLedger } from '../../src/mail/memory-mail-ledger';
import { RedisMailLedger } from '../../src/mail/redis-mail-ledger';
import { testRedis, type TestRedis } from '../support/redis';

const MAILBOX = 'hwc@testlab.example';
const MESSAGE = 'AAMkAGI2TG93AAA=';

describe('what the bot remembers of its mailboxes', () => {
  let redis: TestRedis;
  beforeEach(async () => {
    redis = await testRedis();
  });
  afterEach(async () => redis.cleanup());

  const ledgers: [string, () => MailLedger][] = [
    ['in memory', () => new MemoryMailLedger()],
    ['in Redis', () => new RedisMailLedger(redis.client, redis.prefix)],
  ];
  for (const [where, make] of ledgers) {
    describe(where, () => {
      it('remembers per mail what became of it, and where the delta query goes on', async () => {
        const ledger = make();
        assert.equal(await ledger.outcome(MAILBOX, MESSAGE), undefined);
        await ledger.record(MAILBOX, MESSAGE, 'signal-stored');
        assert.equal(await ledger.outcome(MAILBOX, MESSAGE), 'signal-stored');
        assert.equal(await ledger.outcome('other@testlab.example', MESSAGE), undefined, 'per mailbox');
        assert.equal(await ledger.deltaLink(MAILBOX), undefined);
        await ledger.saveDeltaLink(MAILBOX, 'https://graph.example/delta?$deltatoken=abc');
        assert.equal(await ledger.deltaLink(MAILBOX), 'https://graph.example/delta?$deltatoken=abc');
      });

      it('lets one poller at a time claim a mailbox', async () => {
        const ledger = make();
        assert.equal(await ledger.claimPoll(MAILBOX, 60_000), true);
        assert.equal(await ledger.claimPoll(MAILBOX, 60_000), false, 'taken');
        assert.equal(
          await ledger.claimPoll('other@testlab.example', 60_000),
          true,
          'another mailbox is free',
        );
        await ledger.releasePoll(MAILBOX);
        assert.equal(await ledger.claimPoll(MAILBOX, 60_000), true, 'free again after the pass');
      });
    });
  }

  it('in Redis, names keys by hashes only, never the mailbox or the message id, and lets them expire', async () => {
    const ledger = new RedisMailLedger(redis.client, redis.prefix);
    await ledger.record(MAILBOX, MESSAGE, 'not-processed');
    await ledger.saveDeltaLink(MAILBOX, 'https://graph.example/delta?$deltatoken=abc');
    await ledger.claimPoll(MAILBOX, 60_000);
    const keys = await redis.keys();
    assert.equal(keys.length, 3);
    for (const key of keys) {
      assert.doesNotMatch(key, /testlab|AAMk/, `${key} names the mailbox or the message`);
      assert.ok((await redis.client.pTTL(key)) > 0, `${key} expires`);
    }
  });

  it('shares a claim between instances on one Redis; only the holder ends it', async () => {
    const one = new RedisMailLedger(redis.client, redis.prefix);
    const other = new RedisMailLedger(redis.client, redis.prefix);
    assert.equal(await one.claimPoll(MAILBOX, 60_000), true);
    assert.equal(await other.claimPoll(MAILBOX, 60_000), false);
    await other.releasePoll(MAILBOX);
    assert.equal(await other.claimPoll(MAILBOX, 60_000), false, "another instance cannot end one's claim");
    await one.releasePoll(MAILBOX);
    assert.equal(await other.claimPoll(MAILBOX, 60_000), true, 'after its pass, the next may start at once');
  });
});
