import type { RedisClient } from './redis-client';

/** The oldest Redis the bot's scripts and commands run on (Lua scripts, PEXPIRETIME). */
export const MIN_REDIS_VERSION = [7, 0] as const;

/**
 * What the bot needs from Redis, read from INFO (CONFIG is often not allowed on a managed Redis):
 * a recent enough version, and `maxmemory-policy noeviction`, because an evicted case, task or
 * idempotency answer is a signal lost without a trace. Returns the problems, by name, for an operator.
 */
export async function redisRequirementProblems(client: RedisClient): Promise<string[]> {
  const info = parseInfo(await client.info('server'));
  const memory = parseInfo(await client.info('memory'));
  const problems: string[] = [];
  const version = info.get('redis_version') ?? '';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor, needMinor] = MIN_REDIS_VERSION;
  if (major < needMajor || (major === needMajor && minor < needMinor)) {
    problems.push(
      `REDIS_URL: Redis ${version || '(unknown version)'} is too old; ${needMajor}.${needMinor} or later is needed`,
    );
  }
  const policy = memory.get('maxmemory_policy');
  if (policy !== undefined && policy !== 'noeviction') {
    problems.push(
      `REDIS_URL: the server's maxmemory-policy is ${policy}; it must be noeviction, or Redis may drop open signals when memory runs out`,
    );
  }
  return problems;
}

function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
