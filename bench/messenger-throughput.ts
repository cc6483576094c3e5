/**
 * How fast TeamsMessenger reaches many colleagues while keeping to Teams' rate limits.
 *
 *   npm run bench
 *
 * The real messenger and CloudAdapter (local mode) against the fake Bot Connector over HTTP on
 * 127.0.0.1, which throttles like Teams (7 per second and 8 per 2 s per conversation, 50 per second
 * per tenant; 429 with Retry-After: 1). Each colleague is a new chat: createConversation, a member
 * lookup and the post, 3 requests. For comparison the same run with the limiter opened wide, where
 * only the retries keep things going. Numbers only, no assertions.
 */
import { createLogger } from '../src/logging/logger';
import { createBotAdapter } from '../src/teams/adapter';
import { ConversationReferences } from '../src/teams/conversation-references';
import { RateLimiter, createTeamsRateLimiter, type TeamsBucket } from '../src/teams/rate-limiter';
import { TeamsMessenger } from '../src/teams/teams-messenger';
import type { AdaptiveCardJson } from '../src/cards/card-data';
import { FakeBotConnector, TEAMS_LIKE_RATE_LIMITS, testGuid } from '../test/support/fake-bot-connector';

const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
const CARD = {
  type: 'AdaptiveCard',
  version: '1.5',
  body: [{ type: 'TextBlock', text: 'Er is een Handle with Care-taak' }],
} as AdaptiveCardJson;

interface Row {
  scenario: string;
  cards: number;
  delivered: number;
  failed: number;
  wallMs: number;
  requests: number;
  throttled: number;
  requestsPerSecond: number;
}

/** A limiter that never holds anything back: the messenger without rate limiting. */
function wideOpen(): RateLimiter<TeamsBucket> {
  const none = [{ windowMs: 1, max: 1_000_000 }];
  return new RateLimiter<TeamsBucket>({
    limits: { tenant: none, conversation: none, members: none },
    marginMs: 0,
  });
}

async function sendToColleagues(count: number, limited: boolean): Promise<Row> {
  const connector = new FakeBotConnector({ rateLimits: TEAMS_LIKE_RATE_LIMITS });
  await connector.start();
  try {
    const adapter = createBotAdapter({}, createLogger({ level: 'silent' }));
    const messenger = new TeamsMessenger(adapter, new ConversationReferences(), {
      appId: '',
      serviceUrl: connector.url,
      tenantId: TENANT_ID,
      limiter: limited ? createTeamsRateLimiter() : wideOpen(),
    });
    const colleagues = Array.from({ length: count }, () => connector.addMember({ aadObjectId: testGuid() }));

    const started = performance.now();
    const results = await Promise.allSettled(
      colleagues.map((c) => messenger.sendCard({ staffId: c.aadObjectId }, () => CARD)),
    );
    const wallMs = performance.now() - started;

    return {
      scenario: `${count} colleagues, ${limited ? 'limiter on' : 'limiter off'}`,
      cards: count,
      delivered: results.filter((r) => r.status === 'fulfilled').length,
      failed: results.filter((r) => r.status === 'rejected').length,
      wallMs: Math.round(wallMs),
      requests: connector.requests.length,
      throttled: connector.throttled,
      requestsPerSecond: Math.round((connector.requests.length / wallMs) * 1000 * 10) / 10,
    };
  } finally {
    await connector.stop();
  }
}

async function updateOneCard(times: number): Promise<Row> {
  const connector = new FakeBotConnector({ rateLimits: TEAMS_LIKE_RATE_LIMITS });
  await connector.start();
  try {
    const adapter = createBotAdapter({}, createLogger({ level: 'silent' }));
    const messenger = new TeamsMessenger(adapter, new ConversationReferences(), {
      appId: '',
      serviceUrl: connector.url,
      tenantId: TENANT_ID,
    });
    const colleague = connector.addMember({ aadObjectId: testGuid() });
    const posted = await messenger.sendCard({ staffId: colleague.aadObjectId }, () => CARD);
    connector.reset();

    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: times }, () => messenger.updateCard(posted, CARD)),
    );
    const wallMs = performance.now() - started;
    return {
      scenario: `${times} updates of one card`,
      cards: times,
      delivered: results.filter((r) => r.status === 'fulfilled').length,
      failed: results.filter((r) => r.status === 'rejected').length,
      wallMs: Math.round(wallMs),
      requests: connector.requests.length,
      throttled: connector.throttled,
      requestsPerSecond: Math.round((connector.requests.length / wallMs) * 1000 * 10) / 10,
    };
  } finally {
    await connector.stop();
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const count of [30, 100]) {
    rows.push(await sendToColleagues(count, true));
    rows.push(await sendToColleagues(count, false));
  }
  rows.push(await updateOneCard(20));
  console.log(
    'Fake Bot Connector throttling like Teams: 7/1 s and 8/2 s per conversation, 50/1 s per tenant.\n',
  );
  console.table(rows);
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
