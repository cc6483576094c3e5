import type { CloudAdapter } from 'botbuilder';
import * as restify from 'restify';
import type { HandleWithCareBot } from './handle-with-care-bot';

export const MESSAGES_PATH = '/api/messages';

/** POST /api/messages: Bot Framework activities, JWT-validated by the adapter. */
export function registerBotRoute(
  server: restify.Server,
  adapter: CloudAdapter,
  bot: HandleWithCareBot,
): void {
  // Clients (the Agents Playground, uptime probes) check the endpoint with HEAD.
  server.head(MESSAGES_PATH, (_req: restify.Request, res: restify.Response, next: restify.Next) => {
    res.send(200);
    next();
  });
  server.post(
    MESSAGES_PATH,
    restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false }),
    async (req: restify.Request, res: restify.Response) => {
      // Anything but a JSON object would reach botbuilder as 'missing activity type' and a 500.
      const body: unknown = req.body;
      if (!req.is('application/json')) {
        res.send(415, { error: 'expected application/json' });
        return;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        res.send(400, { error: 'expected an activity' });
        return;
      }
      await adapter.process(req, res, (context) => bot.run(context));
    },
  );
}
