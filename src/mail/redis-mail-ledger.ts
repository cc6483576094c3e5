import { createHash, randomUUID } from 'node:crypto';
import type { MailLedger, MailOutcome } from '../app/ports';
import { storeCall, type RedisClient } from '../redis/redis-client';
import { RedisScript } from '../redis/redis-script';
import { MAIL_OUTCOME_TTL_MS } from './memory-mail-ledger';

const outcomes: readonly MailOutcome[] = ['signal-stored', 'not-processed', 'awaiting-confirmation'];
/** A mailbox quiet for a month is read from the start again: only unhandled mail is still in its inbox. */
const DELTA_LINK_TTL_MS = 30 * 24 * 3600_000;

/** Deletes the claim only when it is still this instance's: one that lapsed may be another's now. */
const RELEASE = new RedisScript(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
);

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/**
 * The mail ledger in Redis, shared by every instance. Keys hold hashes only:
 * `${prefix}mail:${hash(mailbox, message id)}` is the outcome, `${prefix}mail-delta:${hash(mailbox)}`
 * the delta link, `${prefix}mail-poll:${hash(mailbox)}` the polling instance's claim.
 */
export class RedisMailLedger implements MailLedger {
  /** This instance's mark on the claims it holds. */
  private readonly token = randomUUID();

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
  ) {}

  async outcome(mailbox: string, id: string): Promise<MailOutcome | undefined> {
    const value = await storeCall('read what became of a mail', () =>
      this.client.get(`${this.prefix}mail:${hash(mailbox, id)}`),
    );
    return outcomes.find((o) => o === value);
  }

  async record(mailbox: string, id: string, outcome: MailOutcome): Promise<void> {
    await storeCall('record what became of a mail', () =>
      this.client.set(`${this.prefix}mail:${hash(mailbox, id)}`, outcome, {
        expiration: { type: 'PX', value: MAIL_OUTCOME_TTL_MS },
      }),
    );
  }

  async deltaLink(mailbox: string): Promise<string | undefined> {
    const link = await storeCall('read where a mailbox was read up to', () =>
      this.client.get(`${this.prefix}mail-delta:${hash(mailbox)}`),
    );
    return link ?? undefined;
  }

  async saveDeltaLink(mailbox: string, deltaLink: string): Promise<void> {
    // A link Graph no longer honours is answered with a full resync, which the ledger makes harmless.
    await storeCall('record where a mailbox was read up to', () =>
      this.client.set(`${this.prefix}mail-delta:${hash(mailbox)}`, deltaLink, {
        expiration: { type: 'PX', value: DELTA_LINK_TTL_MS },
      }),
    );
  }

  async claimPoll(mailbox: string, ms: number): Promise<boolean> {
    const claimed = await storeCall('claim polling a mailbox', () =>
      this.client.set(this.pollKey(mailbox), this.token, {
        condition: 'NX',
        expiration: { type: 'PX', value: ms },
      }),
    );
    return claimed === 'OK';
  }

  async releasePoll(mailbox: string): Promise<void> {
    await storeCall('end polling a mailbox', () =>
      RELEASE.run(this.client, [this.pollKey(mailbox)], [this.token]),
    );
  }

  private pollKey(mailbox: string): string {
    return `${this.prefix}mail-poll:${hash(mailbox)}`;
  }
}
