import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

export type BodyReadResult =
  | { ok: true; body: Buffer }
  /** `drained`: the rest of the request was read and discarded, so the connection is clean. */
  | { ok: false; reason: 'too-large'; drained: boolean }
  | { ok: false; reason: 'aborted' }
  /** The stream had been read before (a body parser ran first): the body is gone. */
  | { ok: false; reason: 'consumed' };

export interface BodyReadOptions {
  /** After the limit, up to this many more bytes are read and discarded so the client sees the 413. */
  drainBytes?: number;
  /** ... for at most this long. */
  drainTimeoutMs?: number;
}

/**
 * Reads a request body into memory, counting bytes as they arrive: the limit holds whatever
 * Content-Length claims (or when there is none, with chunked encoding). Nothing beyond the limit
 * is kept. Over the limit, the rest is discarded (bounded) so the sender can read the 413.
 */
export function readBodyWithLimit(
  req: Readable & { headers?: IncomingHttpHeaders },
  limit: number,
  options: BodyReadOptions = {},
): Promise<BodyReadResult> {
  const drainBytes = options.drainBytes ?? 64 * 1024;
  const drainTimeoutMs = options.drainTimeoutMs ?? 2000;
  if (req.readableEnded || req.readableFlowing) return Promise.resolve({ ok: false, reason: 'consumed' });
  const declared = Number(req.headers?.['content-length']);
  if (Number.isFinite(declared) && declared > limit + drainBytes) {
    return Promise.resolve({ ok: false, reason: 'too-large', drained: false });
  }

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let overflow = false;
    let timer: NodeJS.Timeout | undefined;

    const finish = (result: BodyReadResult) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
      req.off('close', onClose);
      if (timer) clearTimeout(timer);
      if (!(result.ok === false && result.reason === 'too-large' && result.drained)) req.pause();
      chunks.length = 0;
      resolve(result);
    };
    const onData = (chunk: Buffer | string) => {
      received += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      if (!overflow && received <= limit) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        return;
      }
      if (!overflow) {
        overflow = true;
        chunks.length = 0;
        timer = setTimeout(() => finish({ ok: false, reason: 'too-large', drained: false }), drainTimeoutMs);
      }
      if (received > limit + drainBytes) finish({ ok: false, reason: 'too-large', drained: false });
    };
    const onEnd = () => {
      if (overflow) finish({ ok: false, reason: 'too-large', drained: true });
      else finish({ ok: true, body: Buffer.concat(chunks, received) });
    };
    const onError = () => finish({ ok: false, reason: 'aborted' });
    const onClose = () => {
      if (!req.readableEnded) onError();
    };

    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
    req.on('close', onClose);
  });
}
