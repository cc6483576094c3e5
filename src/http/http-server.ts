import { STATUS_CODES } from 'node:http';
import * as restify from 'restify';
import type { Logger } from '../logging/logger';
import { registerPublicPages } from './public-pages';

/** A route's own answer to an error restify raised before the route ran (a plugin's 4xx, say). */
export type RouteErrorResponder = (req: restify.Request, res: restify.Response, err: unknown) => void;

const responders = new WeakMap<restify.Server, RouteErrorResponder[]>();

/**
 * restify calls all 'restifyError' listeners with one shared callback, so a second listener
 * crashes it. The server owns the one listener; routes add responders here instead.
 */
export function onRouteError(server: restify.Server, responder: RouteErrorResponder): void {
  const list = responders.get(server);
  if (!list) throw new Error('onRouteError needs a server made by createHttpServer');
  list.push(responder);
}

/** What /readyz reports: each check by name, with a fixed word as its state. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'unavailable' | 'misconfigured'>;
}

const ready = async (): Promise<Readiness> => ({ ready: true, checks: {} });

/**
 * The restify server with the routes that belong to no adapter. No global body parser: each
 * route reads its body with its own limit, so nothing is parsed (or logged) that is not needed.
 */
export function createHttpServer(
  logger: Logger,
  readiness: () => Promise<Readiness> = ready,
): restify.Server {
  const server = restify.createServer({ name: 'handle-with-care', handleUncaughtExceptions: false });
  // Liveness: the process answers. A load balancer restarts an instance that fails it.
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { status: 'ok' });
    next();
  });
  // Readiness: whether this instance can take signals now (its store answers). A load balancer
  // sends no traffic to one that is not ready, and does not restart it for that.
  server.get('/readyz', (_req, res, next) => {
    readiness()
      .catch((): Readiness => ({ ready: false, checks: { store: 'unavailable' } }))
      .then((result) => {
        res.header('Cache-Control', 'no-store');
        res.send(result.ready ? 200 : 503, {
          status: result.ready ? 'ready' : 'not-ready',
          checks: result.checks,
        });
        next();
      }, next);
  });
  registerPublicPages(server);
  const list: RouteErrorResponder[] = [];
  responders.set(server, list);
  server.on(
    'restifyError',
    (req: restify.Request, res: restify.Response, err: Error, callback: () => void) => {
      const status = (err as { statusCode?: number }).statusCode;
      logger.warn(
        { method: req.method, path: req.path(), status, err: { name: err.name } },
        'request failed',
      );
      for (const responder of list) if (!res.headersSent) responder(req, res, err);
      // restify's own answer quotes the error message, and Node's JSON errors quote the body:
      // answer with the status text only.
      const code = (err as { body?: { code?: unknown } }).body?.code;
      Object.defineProperty(err, 'toJSON', {
        value: () => ({
          code: typeof code === 'string' ? code : err.name,
          message: STATUS_CODES[status ?? 500] ?? 'Error',
        }),
      });
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
