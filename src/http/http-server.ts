import * as restify from 'restify';
import type { Logger } from '../logging/logger';

/**
 * The restify server with the routes that belong to no adapter. No global body parser: each
 * route reads its body with its own limit, so nothing is parsed (or logged) that is not needed.
 */
export function createHttpServer(logger: Logger): restify.Server {
  const server = restify.createServer({ name: 'handle-with-care', handleUncaughtExceptions: false });
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });
  server.on(
    'restifyError',
    (req: restify.Request, _res: restify.Response, err: Error, callback: () => void) => {
      logger.warn({ method: req.method, path: req.path(), err: { name: err.name } }, 'request failed');
      callback();
    },
  );
  return server;
}

export function listen(server: restify.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve(server.url.replace('[::]', 'localhost').replace('0.0.0.0', 'localhost'));
    });
  });
}
