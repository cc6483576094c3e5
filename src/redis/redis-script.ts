import { createHash } from 'node:crypto';

/** What a script needs of a client: a plain client, or one with a type mapping (Buffers, say). */
export interface ScriptClient<R = unknown> {
  evalSha(sha: string, options: { keys: string[]; arguments: Array<string | Buffer> }): Promise<R>;
  eval(script: string, options: { keys: string[]; arguments: Array<string | Buffer> }): Promise<R>;
}

/**
 * A Lua script, sent by its SHA1 (EVALSHA) so a hot path does not send its source each time.
 * A Redis that restarted or failed over has forgotten it: on NOSCRIPT it is sent whole once
 * (EVAL, which loads it again). Other failures reach the caller as they are.
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run<R>(client: ScriptClient<R>, keys: string[], args: Array<string | Buffer>): Promise<R> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(this.sha, options);
    } catch (error) {
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return client.eval(this.source, options);
    }
  }
}
