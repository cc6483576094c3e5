import { METHODS } from 'node:http';
import type * as restify from 'restify';
import type { Logger } from '../logging/logger';

/** What a log line says for a request that matched no registered route. */
export const UNKNOWN_ROUTE = 'unknown-route';

const KNOWN_METHODS = new Set(METHODS);

/** The request's method when it is an HTTP method Node knows; a fixed word otherwise. */
export function methodOf(req: { method?: string | undefined }): string {
  return req.method !== undefined && KNOWN_METHODS.has(req.method) ? req.method : 'other';
}

/**
 * The route a request is for, as the server registered it (`/api/stats`, `/api/x/:id`), never the
 * path that was sent: anyone can put a pupil's name in a path. A path that matches a route only for
 * another method (405) names that route; anything else is UNKNOWN_ROUTE.
 */
export function routeOf(server: restify.Server, req: restify.Request): string {
  const matched = req.getRoute?.()?.path;
  if (typeof matched === 'string') return matched;
  let requested: string | undefined;
  try {
    requested = new URL(req.url ?? '', 'http://localhost').pathname;
  } catch {
    return UNKNOWN_ROUTE;
  }
  // Only a registered pattern is returned, and only one without parameters: an exact match.
  const routes = Object.values(server.router.getRoutes() as unknown as Record<string, { path?: unknown }>);
  const known = routes.find((route) => typeof route.path === 'string' && route.path === requested);
  return typeof known?.path === 'string' ? known.path : UNKNOWN_ROUTE;
}

/** The fields restify's own log lines may keep: shapes, never the request itself. */
function restifyFields(server: restify.Server, fields: Record<string, unknown>): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  const req = fields.req as restify.Request | undefined;
  if (req && typeof req === 'object') shape.request = { method: methodOf(req), route: routeOf(server, req) };
  const err = fields.err;
  if (err instanceof Error) shape.err = { name: err.name };
  if ('value' in fields) shape.valueType = typeof fields.value;
  return shape;
}

/** restify's own warnings we know; any other message is replaced, as it might quote a request. */
const RESTIFY_MESSAGES = [
  'Discarded returned value from async handler',
  'error retrieving formatter',
  'Invalid throttle configuration',
];

/**
 * The logger restify itself writes to. restify would log a whole request (headers and all) when
 * it cannot format a response, and its debug lines carry requests too; this passes its warnings
 * and errors to our logger as shapes (method, route pattern, error name), and drops the rest.
 */
export function restifyLogger(server: () => restify.Server, logger: Logger): restify.ServerOptions['log'] {
  const log = logger.child({ component: 'restify' });
  const forward =
    (level: 'warn' | 'error' | 'fatal') =>
    (...args: unknown[]): boolean | undefined => {
      // restify asks `log.trace()` with no arguments whether a level is on.
      if (args.length === 0) return log.isLevelEnabled(level);
      const [first, second] = args;
      const fields =
        typeof first === 'object' && first !== null
          ? restifyFields(server(), first as Record<string, unknown>)
          : {};
      const text = typeof first === 'string' ? first : second;
      const known =
        typeof text === 'string' &&
        (RESTIFY_MESSAGES.includes(text) || text.startsWith('DEPRECATION WARNING'));
      log[level](fields, `restify: ${known ? text : 'a warning (its message is not logged)'}`);
      return undefined;
    };
  const quiet = (...args: unknown[]): boolean | undefined => (args.length === 0 ? false : undefined);
  const adapter: Record<string, unknown> = {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: forward('warn'),
    error: forward('error'),
    fatal: forward('fatal'),
  };
  adapter.child = () => adapter;
  return adapter as unknown as restify.ServerOptions['log'];
}
