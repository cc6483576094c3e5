import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readBodyWithLimit } from '../../src/intake/body';

function stream(chunks: string[], contentLength?: number): Readable & { headers: Record<string, string> } {
  const readable = Readable.from(chunks.map((c) => Buffer.from(c))) as Readable & {
    headers: Record<string, string>;
  };
  readable.headers = contentLength === undefined ? {} : { 'content-length': String(contentLength) };
  return readable;
}

describe('intake API: reading the body with a limit', () => {
  it('reads a body under the limit', async () => {
    const result = await readBodyWithLimit(stream(['{"a":', '1}']), 100);
    assert.ok(result.ok);
    assert.equal(result.body.toString(), '{"a":1}');
  });

  it('counts the bytes that arrive when Content-Length claims less than is sent', async () => {
    const result = await readBodyWithLimit(stream(['x'.repeat(3000), 'y'.repeat(3000)], 10), 4096);
    assert.deepEqual(result, { ok: false, reason: 'too-large', drained: true });
  });

  it('refuses without reading when Content-Length is far over the limit', async () => {
    const result = await readBodyWithLimit(stream(['x'], 10_000_000), 4096);
    assert.deepEqual(result, { ok: false, reason: 'too-large', drained: false });
  });

  it('stops discarding after a bounded amount when the body keeps coming', async () => {
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(1024, 0x20));
      },
    }) as Readable & { headers: Record<string, string> };
    endless.headers = {};
    const result = await readBodyWithLimit(endless, 4096, { drainBytes: 8192 });
    assert.deepEqual(result, { ok: false, reason: 'too-large', drained: false });
    endless.destroy();
  });

  it('says so when the body was already read by someone else', async () => {
    const used = stream(['{}']);
    used.resume();
    await new Promise((resolve) => used.on('end', resolve));
    assert.deepEqual(await readBodyWithLimit(used, 100), { ok: false, reason: 'consumed' });
  });
});
