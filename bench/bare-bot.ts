/**
 * The baseline of bench/against-bare-bot.ts: a bare botbuilder 4.23 bot, CloudAdapter +
 * TeamsActivityHandler in local mode (no app id, no auth), on restify on 127.0.0.1 like the
 * product. It holds no store and no logic, only what it must to make the same Teams calls the
 * product makes per request:
 *
 * - every adaptiveCard/action invoke is answered with one static card: the product's own view
 *   card, captured from the product in the same run, so both answers have the same size;
 * - POST /api/signals posts a static card (the product's own shell card) proactively to each of
 *   the school's coordinators, then answers 201: createConversation + member lookup + send for a
 *   new chat, continueConversation + send for a known one;
 * - after answering a click it does in the background what the product does for it:
 *   'case.claim' updates the other coordinators' cards, 'case.record-talk' posts a card to each
 *   colleague, 'case.remind' posts one again to each, 'case.record-parents' updates the
 *   coordinator's card. `idle()` waits for that background work.
 *
 * No rate limiter: botbuilder's own HTTP retries (429 with Retry-After, 5xx) are all it has.
 */
import { randomUUID } from 'node:crypto';
import {
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  TeamsActivityHandler,
  TeamsInfo,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type ConversationParameters,
  type ConversationReference,
} from 'botbuilder';
import * as restify from 'restify';
import { API_KEY, TENANT_ID } from './harness';

type Card = Record<string, unknown>;

export interface BareBotOptions {
  serviceUrl: string;
  /** The coordinators of each school, by school id. */
  coordinators: Map<string, string[]>;
  viewCard: Card;
  shellCard: Card;
  colleagueCard: Card;
}

interface Posted {
  reference: Partial<ConversationReference>;
  activityId: string;
}

export interface BareBot {
  url: string;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBareBot(options: BareBotOptions): Promise<BareBot> {
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  adapter.onTurnError = async (_context, error) => {
    console.error('bare bot turn error:', error instanceof Error ? error.message : error);
  };
  const chats = new Map<string, Partial<ConversationReference>>();
  const cases = new Map<
    string,
    { coordinators: string[]; colleagues: string[]; shells: Map<string, Posted> }
  >();
  const background = new Set<Promise<unknown>>();

  const track = (work: Promise<unknown>) => {
    const p = work.catch((error: unknown) =>
      console.error('bare bot background:', error instanceof Error ? error.message : error),
    );
    background.add(p);
    void p.finally(() => background.delete(p));
  };

  const post = async (staffId: string, card: Card): Promise<Posted> => {
    const activity = { type: 'message', attachments: [CardFactory.adaptiveCard(card)] };
    const known = chats.get(staffId);
    let posted: Posted | undefined;
    if (known) {
      await adapter.continueConversationAsync('', known, async (context) => {
        const res = await context.sendActivity(activity);
        posted = { reference: known, activityId: res?.id ?? '' };
      });
    } else {
      const parameters = {
        isGroup: false,
        bot: { id: 'bot', name: '' },
        members: [{ id: staffId, aadObjectId: staffId, name: '' }],
        tenantId: TENANT_ID,
        channelData: { tenant: { id: TENANT_ID } },
      } as ConversationParameters;
      await adapter.createConversationAsync(
        '',
        'msteams',
        options.serviceUrl,
        undefined as unknown as string,
        parameters,
        async (context) => {
          const reference = TurnContext.getConversationReference(context.activity);
          await TeamsInfo.getMember(context, staffId).catch(() => undefined);
          const res = await context.sendActivity(activity);
          chats.set(staffId, reference);
          posted = { reference, activityId: res?.id ?? '' };
        },
      );
    }
    if (!posted) throw new Error('nothing posted');
    return posted;
  };

  const update = (shell: Posted, card: Card) =>
    adapter.continueConversationAsync('', shell.reference, async (context) => {
      await context.updateActivity({
        id: shell.activityId,
        type: 'message',
        attachments: [CardFactory.adaptiveCard(card)],
      });
    });

  class Bare extends TeamsActivityHandler {
    protected override async onAdaptiveCardInvoke(
      context: TurnContext,
      value: AdaptiveCardInvokeValue,
    ): Promise<AdaptiveCardInvokeResponse> {
      const verb = value.action?.verb;
      const data = (value.action?.data ?? {}) as Record<string, string>;
      const c = cases.get(data.caseId ?? '');
      const me = context.activity.from?.aadObjectId ?? '';
      if (c) {
        if (verb === 'case.claim') {
          const others = [...c.shells].filter(([who]) => who !== me).map(([, s]) => s);
          track(Promise.all(others.map((s) => update(s, options.shellCard))));
        } else if (verb === 'case.record-talk') {
          c.colleagues = (data.others ?? '').split(',').filter(Boolean);
          track(Promise.all(c.colleagues.map((p) => post(p, options.colleagueCard))));
        } else if (verb === 'case.remind') {
          track(Promise.all(c.colleagues.map((p) => post(p, options.colleagueCard))));
        } else if (verb === 'case.record-parents') {
          const mine = c.shells.get(me);
          if (mine) track(update(mine, options.shellCard));
        }
      }
      return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: options.viewCard };
    }
  }
  const bot = new Bare();

  const server = restify.createServer({ name: 'bare-bot', handleUncaughtExceptions: false });
  server.post(
    '/api/messages',
    restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false }),
    async (req: restify.Request, res: restify.Response) => {
      await adapter.process(req, res, (context) => bot.run(context));
    },
  );
  server.post(
    '/api/signals',
    restify.plugins.bodyParser({ maxBodySize: 64 * 1024, mapParams: false }),
    async (req: restify.Request, res: restify.Response) => {
      if (req.header('x-api-key') !== API_KEY) {
        res.send(401, { error: 'unauthorized' });
        return;
      }
      const body = req.body as { schoolId?: string } | undefined;
      const coordinators = options.coordinators.get(body?.schoolId ?? '');
      if (!coordinators) {
        res.send(422, { error: 'unknown school' });
        return;
      }
      const caseId = randomUUID();
      const results = await Promise.allSettled(coordinators.map((p) => post(p, options.shellCard)));
      const shells = new Map<string, Posted>();
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') shells.set(coordinators[i]!, r.value);
      });
      cases.set(caseId, { coordinators, colleagues: [], shells });
      res.send(shells.size > 0 ? 201 : 503, { signalId: caseId });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${address.port}`,
    async idle() {
      while (background.size > 0) await Promise.allSettled([...background]);
    },
    async stop() {
      server.server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
