import { STATUS_CODES, type Server as NodeHttpServer } from 'node:http';
import * as restify from 'restify';
import { HwcError } from '../domain/errors';
import type { Logger } from '../logging/logger';
import { MAX_TRUSTED_PROXY_HOPS, rememberClientAddress } from './client-address';
import { registerPublicPages } from './public-pages';
import { methodOf, restifyLogger, routeOf } from './request-shape';

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

/** How long a client may take, how many may be connected, and which proxies are trusted. */
export interface HttpServerOptions {
  /** The whole header block must arrive within this; else 408 and the connection is closed. */
  headersTimeoutMs?: number;
  /** The whole request, body included, must arrive within this (not the time to answer it). */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open; above the front end's own idle timeout. */
  keepAliveTimeoutMs?: number;
  /** Connections beyond this are closed at once, so that slow clients cannot exhaust the process. */
  maxConnections?: number;
  /** Proxies in front of the bot whose X-Forwarded-For entries are trusted (App Service: 1). */
  trustProxyHops?: number;
}

/**
 * The defaults, also those of the HTTP_* settings. A bot behind App Service gets small requests
 * from a front end on a fast network: headers take milliseconds, a body a few. Node's own defaults
 * (60 s for headers, 300 s per request, no connection cap) let a few slow clients hold the process.
 * keepAliveTimeoutMs: the front end reuses its connections to the app and must close an idle one
 * before the app does, or a request it sends on a connection the app just closed fails with 502.
 * Azure's load balancers drop connections idle for 4 minutes (240 s; App Service ends a request
 * after 230 s), so the app keeps them a little longer.
 */
export const HTTP_SERVER_DEFAULTS: Required<HttpServerOptions> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 245_000,
  maxConnections: 1000,
  trustProxyHops: 0,
};

function resolveHttpOptions(options: HttpServerOptions): Required<HttpServerOptions> {
  const resolved = { ...HTTP_SERVER_DEFAULTS, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    const least = name === 'trustProxyHops' ? 0 : 1;
    if (!Number.isInteger(value) || value < least)
      throw new HwcError(
        'config.invalid',
        `HTTP server option ${name} must be a whole number of at least ${least}`,
      );
  }
  if (resolved.trustProxyHops > MAX_TRUSTED_PROXY_HOPS)
    throw new HwcError(
      'config.invalid',
      `HTTP server option trustProxyHops must be at most ${MAX_TRUSTED_PROXY_HOPS}`,
    );
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs)
    throw new HwcError(
      'config.invalid',
      'HTTP server option headersTimeoutMs must not exceed requestTimeoutMs',
    );
  return resolved;
}

/**
 * The restify server with the routes that belong to no adapter. No global body parser: each
 * route reads its body with its own limit, so nothing is parsed (or logged) that is not needed.
 */
export function createHttpServer(
  logger: Logger,
  readiness: () => Promise<Readiness> = ready,
  options: HttpServerOptions = {},
): restify.Server {
  const limits = resolveHttpOptions(options);
  const server: restify.Server = restify.createServer({
    name: 'handle-with-care',
    handleUncaughtExceptions: false,
    // restify's own default logger writes whole requests to stdout; ours writes their shape.
    log: restifyLogger(() => server, logger),
  });
  const httpServer = server.server as NodeHttpServer & { connectionsCheckingInterval?: number };
  httpServer.headersTimeout = limits.headersTimeoutMs;
  httpServer.requestTimeout = limits.requestTimeoutMs;
  httpServer.keepAliveTimeout = limits.keepAliveTimeoutMs;
  httpServer.maxConnections = limits.maxConnections;
  // Node looks for expired headers and requests every 30 s by default (the createServer option
  // connectionsCheckingInterval, which restify does not pass), so a slow client could stay 30 s
  // past its timeout. Node reads this property when listening starts.
  httpServer.connectionsCheckingInterval = Math.min(
    1000,
    Math.max(25, Math.floor(limits.headersTimeoutMs / 4)),
  );
  // The client's address once per request, before any route needs it (the failed-auth budgets).
  server.pre((req: restify.Request, _res: restify.Response, next: restify.Next) => {
    rememberClientAddress(req, limits.trustProxyHops);
    next();
  });
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
      // The route's pattern, never the path or query sent: anyone can write text into those.
      logger.warn(
        { method: methodOf(req), route: routeOf(server, req), status, err: { name: err.name } },
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
