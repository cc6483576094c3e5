import assert from 'node:assert/strict';
import { ConcurrencyGate } from '../../src/app/concurrency-gate';

describe('a concurrency gate', () => {
  it('lets at most its limit through at a time, the rest in the order they came', async () => {
    const gate = new ConcurrencyGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const runs = Array.from({ length: 5 }, (_, i) =>
      gate.run(async () => {
        running += 1;
        most = Math.max(most, running);
        order.push(i);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
      }),
    );
    for (let turn = 0; turn < 5; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
      releases.shift()?.();
    }
    await Promise.all(runs);
    assert.equal(most, 2, 'never more than two at once');
    assert.deepEqual(order, [0, 1, 2, 3, 4], 'in the order they came');
    assert.equal(gate.queued, 0, 'nothing left waiting');
  });

  it('passes the turn on when a piece of work fails', async () => {
    const gate = new ConcurrencyGate(1);
    await assert.rejects(
      gate.run(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await gate.run(() => Promise.resolve(7)), 7, 'the next one runs');
  });
});
