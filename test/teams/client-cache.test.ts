import assert from 'node:assert/strict';
import { ClientCache } from '../../src/teams/adapter';

describe('the cache of Bot Framework clients', () => {
  it('makes a client once per key, however many calls ask for it at once', async () => {
    const cache = new ClientCache<{ n: number }>();
    let made = 0;
    const make = async () => ({ n: ++made });
    const [a, b] = await Promise.all([cache.get('app|url', make), cache.get('app|url', make)]);
    assert.equal(made, 1, 'one client for both calls');
    assert.equal(a, b);
    assert.notEqual(await cache.get('app|other-url', make), a, 'another service URL, another client');
  });

  it('forgets a client that could not be made, so the next call tries again', async () => {
    const cache = new ClientCache<string>();
    await assert.rejects(cache.get('k', () => Promise.reject(new Error('no credentials yet'))));
    assert.equal(await cache.get('k', async () => 'made'), 'made');
  });

  it('holds at most its cap, dropping the oldest', async () => {
    const cache = new ClientCache<string>(2);
    await cache.get('a', async () => 'a1');
    await cache.get('b', async () => 'b1');
    await cache.get('c', async () => 'c1');
    assert.equal(cache.size, 2);
    assert.equal(await cache.get('a', async () => 'a2'), 'a2', 'the oldest was dropped and made anew');
  });
});
