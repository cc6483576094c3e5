import assert from 'node:assert/strict';
import type { RequestContext } from '../../src/app/ports';
import { createLogger } from '../../src/logging/logger';
import { MailPoller } from '../../src/mail/mail-poller';

const context = (): RequestContext => ({ correlationId: 'c', log: createLogger({ level: 'silent' }) });

describe('the mailbox poller', () => {
  it('runs one pass at a time: asking again while one runs gets that one', async () => {
    let passes = 0;
    let finish: () => void = () => undefined;
    const poller = new MailPoller(
      () => {
        passes++;
        return new Promise<void>((resolve) => (finish = resolve));
      },
      context,
      60_000,
    );
    const first = poller.pollNow();
    const second = poller.pollNow();
    assert.equal(passes, 1, 'the second ask joined the first pass');
    finish();
    await Promise.all([first, second]);
    void poller.pollNow();
    assert.equal(passes, 2, 'a new ask after it ended starts a new pass');
    finish();
    await poller.close();
  });

  it('starts a pass at once, and none after it is closed', async () => {
    let passes = 0;
    const poller = new MailPoller(async () => void passes++, context, 5);
    poller.start();
    while (passes === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await poller.close();
    const after = passes;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(passes, after, 'no pass after close');
  });
});
