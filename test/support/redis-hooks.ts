import { freePort, redisAnswers, RedisServerProcess } from './redis';

let own: RedisServerProcess | undefined;

/**
 * Finds the Redis server the tests use, once per run: TEST_REDIS_URL, else 127.0.0.1:6379, else
 * a redis-server started here on a free port (and stopped after the run).
 */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(20_000);
    if (process.env.TEST_REDIS_URL) return;
    if (await redisAnswers(6379)) {
      process.env.TEST_REDIS_URL = 'redis://127.0.0.1:6379/9';
      return;
    }
    if (!RedisServerProcess.available()) {
      throw new Error(
        'The tests need a Redis server: none answers on 127.0.0.1:6379 and redis-server is not installed. ' +
          "Install it ('apt-get install redis-server') or set TEST_REDIS_URL.",
      );
    }
    own = new RedisServerProcess(await freePort());
    await own.start();
    process.env.TEST_REDIS_URL = `${own.url}/9`;
  },
  async afterAll(): Promise<void> {
    await own?.stop();
  },
};
