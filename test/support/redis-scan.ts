import { RESP_TYPES } from 'redis';
import type { RedisClient } from '../../src/redis/redis-client';
import { pupil, pupilTraces } from './fixtures';

export interface RedisKeyDump {
  key: string;
  type: string;
  /** The key's expiry time in ms since the epoch; -1 without a TTL. */
  expiresAt: number;
  /** Every field, member and value, decoded as UTF-8 (binary bytes stay, as replacement characters). */
  contents: string;
}

/** Every key under the prefix, with its TTL and everything it holds. */
export async function dumpRedis(client: RedisClient, prefix: string): Promise<RedisKeyDump[]> {
  const raw = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const keys: string[] = [];
  for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
  const dumps: RedisKeyDump[] = [];
  for (const key of keys) {
    const type = await client.type(key);
    const expiresAt = Number(await client.sendCommand(['PEXPIRETIME', key]));
    let parts: unknown[] = [];
    if (type === 'string') parts = [await raw.get(key)];
    else if (type === 'hash') parts = Object.entries(await raw.hGetAll(key)).flat();
    else if (type === 'zset') parts = await raw.zRange(key, 0, -1);
    else if (type === 'set') parts = await raw.sMembers(key);
    else if (type === 'list') parts = await raw.lRange(key, 0, -1);
    else if (type === 'none') continue; // expired between SCAN and now
    const contents = parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : String(p))).join('\n');
    dumps.push({ key, type, expiresAt, contents });
  }
  return dumps;
}

/**
 * The privacy check of Redis: no key name and no value holds the pupil's name or birth date in
 * any format. Returns the offending keys (empty when clean), named by key only.
 */
export function keysWithPupilData(dumps: readonly RedisKeyDump[], p = pupil): string[] {
  const traces = pupilTraces(p).map((t) => t.toLowerCase());
  return dumps
    .filter((d) =>
      traces.some((t) => d.key.toLowerCase().includes(t) || d.contents.toLowerCase().includes(t)),
    )
    .map((d) => d.key);
}

/** The keys whose name holds the case id: the keys of that case. */
export function keysOfCase(dumps: readonly RedisKeyDump[], caseId: string): RedisKeyDump[] {
  return dumps.filter((d) => d.key.includes(caseId));
}
