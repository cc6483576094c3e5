import assert from 'node:assert/strict';
import dns from 'node:dns';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import restify from 'restify';
import sinon from 'sinon';
import type { CloudAdapter, TurnContext } from 'botbuilder';
import { MicrosoftAppCredentials } from 'botframework-connector';
import { readEnvOptions } from '../../src/config/app-config';
import { createBotAdapter, type BotAuthSettings } from '../../src/teams/adapter';
import { HwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';
import { FakeBotConnector } from '../support/fake-bot-connector';
import { LocalBotIssuer } from '../support/local-bot-issuer';

const APP_ID = '6d8f2a0e-4b1c-4c7e-9a55-0f3b2e1d7c11';
const TENANT_ID = '0b8a6a7e-2f13-4c55-8a34-9a1c6f0d2e44';
const USER_AAD = 'c3f1e9d2-7a4b-4e11-b2a8-5d6e7f801234';
/** Stands in for the AAD token the bot would get from login.microsoftonline.com for outbound calls. */
const OUTBOUND_TOKEN = 'local-outbound-token';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);
/** The issuers botbuilder takes for the Bot Framework Emulator's (tokenValidationParameters.js). */
const EMULATOR_ISSUER_V1 = 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/';
const EMULATOR_ISSUER_V2 = 'https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0';

type Logic = (context: TurnContext) => Promise<void>;

interface BotServer {
  url: string;
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function startBot(settings: BotAuthSettings, logic: Logic): Promise<BotServer> {
  const logLines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  const adapter: CloudAdapter = createBotAdapter(settings, logger);
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req: restify.Request, res: restify.Response) => {
    await adapter.process(req, res, logic);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/messages`,
    logLines,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function messageActivity(
  serviceUrl: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'message',
    id: '1718000000001',
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: '29:1user', aadObjectId: USER_AAD, name: 'Test User' },
    recipient: { id: `28:${APP_ID}`, name: 'Handle with Care' },
    conversation: { id: 'a:1personal-chat', conversationType: 'personal', tenantId: TENANT_ID },
    channelData: { tenant: { id: TENANT_ID } },
    locale: 'nl-NL',
    text: 'hallo',
    ...overrides,
  };
}

async function post(
  url: string,
  activity: unknown,
  token?: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}

/** Fails (and remembers) any DNS lookup of a non-local host: nothing in these tests may reach the internet. */
function forbidExternalDns(sandbox: sinon.SinonSandbox, externalLookups: string[]): void {
  const realLookup = dns.lookup;
  const refuse = (hostname: string) => {
    externalLookups.push(hostname);
    return Object.assign(new Error(`test forbids DNS lookup of ${hostname}`), { code: 'ENOTFOUND' });
  };
  sandbox.replace(dns, 'lookup', function (hostname: string, ...rest: unknown[]) {
    if (LOCAL_HOSTS.has(hostname)) return (realLookup as (...args: unknown[]) => unknown)(hostname, ...rest);
    const callback = rest[rest.length - 1] as (err: Error) => void;
    const err = refuse(hostname);
    process.nextTick(() => callback(err));
    return {};
  } as typeof dns.lookup);
  const realPromiseLookup = dns.promises.lookup;
  sandbox.replace(dns.promises, 'lookup', (async (hostname: string, ...rest: unknown[]) => {
    if (LOCAL_HOSTS.has(hostname))
      return (realPromiseLookup as (...args: unknown[]) => unknown)(hostname, ...rest);
    throw refuse(hostname);
  }) as typeof dns.promises.lookup);
}

const replyOk: Logic = async (ctx) => {
  if (ctx.activity.type === 'invoke') {
    await ctx.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { ok: true } } });
    return;
  }
  await ctx.sendActivity('ok');
};

describe('Bot Framework authentication of /api/messages', function () {
  // Like the real Bot Framework keys, endorsed for more channels than Teams.
  const issuer = new LocalBotIssuer({ endorsements: ['msteams', 'webchat', 'directline'] });
  const connector = new FakeBotConnector({ requireAuth: (token) => token === OUTBOUND_TOKEN });
  const externalLookups: string[] = [];
  const sandbox = sinon.createSandbox();
  let bot: BotServer;

  before(async function () {
    forbidExternalDns(sandbox, externalLookups);
    // The bot's outbound token would come from login.microsoftonline.com via MSAL, which cannot be
    // pointed at a local http endpoint (it insists on https and does instance discovery against
    // login.microsoftonline.com). Stand in for it at the credentials boundary instead.
    sandbox.stub(MicrosoftAppCredentials.prototype, 'getToken').resolves(OUTBOUND_TOKEN);
    // botbuilder reports every rejected request on console.error; keep the test output readable.
    sandbox.stub(console, 'error');
    sandbox.stub(console, 'warn');

    await issuer.start();
    await connector.start();
    bot = await startBot(
      {
        appId: APP_ID,
        appPassword: 'not-a-real-secret',
        appType: 'SingleTenant',
        tenantId: TENANT_ID,
        openIdMetadataUrl: issuer.openIdMetadataUrl,
        tokenIssuer: issuer.issuer,
      },
      replyOk,
    );
  });

  after(async function () {
    await bot?.close();
    await connector.stop();
    await issuer.stop();
    sandbox.restore();
  });

  beforeEach(function () {
    connector.reset();
    bot.logLines.length = 0;
  });

  afterEach(function () {
    assert.deepEqual(externalLookups, [], 'a test looked up an external host');
  });

  /** The bot's own log line about a refused token: a reason, never the token or the activity. */
  function refusalLogged(reason: string, token: string): void {
    const lines = bot.logLines.filter((l) => l.event === 'bot.auth.refused');
    assert.equal(lines.length, 1, `one refusal line, got ${JSON.stringify(bot.logLines)}`);
    assert.equal(lines[0]?.level, 'warn', 'a refused token is logged at warn');
    assert.equal(lines[0]?.reason, reason, 'the refusal names its reason');
    const all = JSON.stringify(bot.logLines);
    assert.ok(!all.includes(token.split('.')[1] ?? token), 'the log holds no part of the token');
    assert.ok(!all.includes('hallo'), 'the log holds no user text');
  }

  async function channelToken(overrides: Partial<Parameters<LocalBotIssuer['mintToken']>[0]> = {}) {
    return issuer.mintToken({ audience: APP_ID, serviceUrl: connector.url, ...overrides });
  }

  it('accepts a valid channel token and replies through the activity serviceUrl with its own bearer token', async function () {
    const res = await post(bot.url, messageActivity(connector.url), await channelToken());

    assert.equal(res.status, 200, res.body);
    assert.equal(connector.activities.length, 1);
    const [reply] = connector.activities;
    assert.equal(reply?.kind, 'reply');
    assert.equal(reply?.conversationId, 'a:1personal-chat');
    assert.equal(reply?.replyToId, '1718000000001');
    assert.equal(reply?.body?.text, 'ok');
    assert.equal(connector.requests[0]?.headers.authorization, `Bearer ${OUTBOUND_TOKEN}`);
    // The keys came from the local issuer; nothing else was asked for.
    assert.ok(issuer.requests.some((r) => r.path === '/.well-known/openid-configuration'));
    assert.ok(issuer.requests.some((r) => r.path === '/keys'));
  });

  it('rejects a token for another audience with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ audience: 'a0000000-0000-4000-8000-00000000000a' }),
    );
    assert.equal(res.status, 401);
    assert.equal(connector.requests.length, 0);
  });

  it('rejects a token from another issuer with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ issuer: 'https://issuer.invalid' }),
    );
    assert.equal(res.status, 401);
    assert.equal(connector.requests.length, 0);
  });

  it('rejects an expired token with 401', async function () {
    // botbuilder allows 5 minutes of clock skew, so expire it well before that.
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ expiresIn: -15 * 60 }),
    );
    assert.equal(res.status, 401);
    assert.equal(connector.requests.length, 0);
  });

  it('rejects a token that is not valid yet with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ notBefore: 30 * 60 }),
    );
    assert.equal(res.status, 401);
  });

  it('rejects a token signed with a key the issuer does not publish with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ signWith: 'other-key' }),
    );
    assert.equal(res.status, 401);
    assert.equal(connector.requests.length, 0);
  });

  it('rejects a token whose key id is unknown with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ signWith: 'other-key', kid: 'unknown-key' }),
    );
    assert.equal(res.status, 401);
  });

  it('rejects a token issued for another serviceUrl with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url),
      await channelToken({ serviceUrl: 'https://smba.trafficmanager.net/emea/' }),
    );
    assert.equal(res.status, 401);
    assert.equal(connector.requests.length, 0);
  });

  it('rejects an activity from a channel the signing key is not endorsed for with 401', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url, { channelId: 'slack' }),
      await channelToken(),
    );
    assert.equal(res.status, 401, 'a key not endorsed for the channel');
  });

  it('refuses a Bot Framework Emulator token (v1 issuer, appid = the bot) with 401', async function () {
    const token = await channelToken({
      issuer: EMULATOR_ISSUER_V1,
      claims: { ver: '1.0', appid: APP_ID },
    });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, `an Emulator token must not be accepted: ${res.body}`);
    assert.equal(connector.requests.length, 0, 'nothing was sent for a refused token');
    refusalLogged('issuer', token);
  });

  it('refuses a Bot Framework Emulator token (v2 issuer, azp = the bot) with 401', async function () {
    const token = await channelToken({
      issuer: EMULATOR_ISSUER_V2,
      claims: { ver: '2.0', azp: APP_ID },
    });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, `an Emulator token must not be accepted: ${res.body}`);
    assert.equal(connector.requests.length, 0, 'nothing was sent for a refused token');
    refusalLogged('issuer', token);
  });

  it("refuses an Emulator token from the school's own tenant issuer (tid) with 401", async function () {
    // botbuilder adds sts.windows.net/<tid>/ and login.microsoftonline.com/<tid>/v2.0 to its
    // Emulator issuers for any token that names a tenant.
    const token = await channelToken({
      issuer: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
      claims: { ver: '2.0', azp: APP_ID, tid: TENANT_ID },
    });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, `an Emulator token must not be accepted: ${res.body}`);
    refusalLogged('issuer', token);
  });

  it('refuses an Emulator token for an activity with another serviceUrl with 401', async function () {
    // botbuilder checks no serviceUrl for Emulator tokens: a reply would go wherever the activity says.
    const token = await channelToken({
      issuer: EMULATOR_ISSUER_V1,
      claims: { ver: '1.0', appid: APP_ID },
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
    });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, `an Emulator token must not be accepted: ${res.body}`);
    assert.equal(connector.requests.length, 0, 'nothing was sent for a refused token');
  });

  it('refuses a bot-to-bot (skill) token with 401', async function () {
    const token = await channelToken({
      issuer: EMULATOR_ISSUER_V1,
      claims: { ver: '1.0', appid: 'a0000000-0000-4000-8000-00000000000b' },
    });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, `a skill token must not be accepted: ${res.body}`);
  });

  it('refuses a channel token without exp with 401', async function () {
    const token = await channelToken({ withoutExpiry: true });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, `a token that never expires must not be accepted: ${res.body}`);
    assert.equal(connector.requests.length, 0, 'nothing was sent for a refused token');
    refusalLogged('expiry', token);
  });

  it('refuses a channel token for an activity of another channel (webchat), even with an endorsed key, with 401', async function () {
    const token = await channelToken();
    const res = await post(bot.url, messageActivity(connector.url, { channelId: 'webchat' }), token);
    assert.equal(res.status, 401, `only Teams activities are accepted: ${res.body}`);
    assert.equal(connector.requests.length, 0, 'nothing was sent for a refused token');
    refusalLogged('channel', token);
  });

  it('refuses an invoke without a serviceUrl, which botbuilder would not bind to the token, with 401', async function () {
    const token = await channelToken();
    const activity = messageActivity(connector.url, {
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: 'case.view', data: {} } },
    });
    delete activity.serviceUrl;
    const res = await post(bot.url, activity, token);
    assert.equal(res.status, 401, `an activity must name the serviceUrl its token is for: ${res.body}`);
    refusalLogged('service-url', token);
  });

  it('logs a refused serviceUrl binding at warn, without the token', async function () {
    const token = await channelToken({ serviceUrl: 'https://smba.trafficmanager.net/emea/' });
    const res = await post(bot.url, messageActivity(connector.url), token);
    assert.equal(res.status, 401, 'a token for another serviceUrl');
    assert.doesNotMatch(res.body, /smba|emea/, 'the answer does not echo the claim');
    refusalLogged('service-url', token);
  });

  it('rejects a request without an Authorization header with 401', async function () {
    const res = await post(bot.url, messageActivity(connector.url));
    assert.equal(res.status, 401);
    assert.equal(connector.requests.length, 0);
  });

  it('rejects a garbage bearer token with 401', async function () {
    const res = await post(bot.url, messageActivity(connector.url), 'not.a.jwt');
    assert.equal(res.status, 401);
  });

  it('still accepts a proper channel token for an invoke, and answers it', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url, { type: 'invoke', name: 'adaptiveCard/action' }),
      await channelToken(),
    );
    assert.equal(res.status, 200, `a proper channel token: ${res.body}`);
    assert.deepEqual(JSON.parse(res.body), { ok: true }, 'the invoke was answered by the bot');
    assert.deepEqual(
      bot.logLines.filter((l) => l.event === 'bot.auth.refused'),
      [],
      'a proper token is not refused',
    );
  });
});

describe('Bot Framework token overrides in production', function () {
  const override = {
    openIdMetadataUrl: 'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
  };
  const settings: BotAuthSettings = {
    appId: APP_ID,
    appPassword: 'not-a-real-secret',
    appType: 'SingleTenant',
    tenantId: TENANT_ID,
  };
  let saved: string | undefined;

  beforeEach(function () {
    saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
  });

  afterEach(function () {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });

  for (const [setting, extra] of [
    ['ToBotFromChannelOpenIdMetadataUrl', override],
    ['ToBotFromChannelTokenIssuer', { tokenIssuer: 'https://api.botframework.us' }],
  ] as const) {
    it(`refuses to start with ${setting} unless BOT_SOVEREIGN_CLOUD says so`, function () {
      assert.throws(
        () => createBotAdapter({ ...settings, ...extra }, createLogger({ level: 'silent' })),
        (error: unknown) =>
          error instanceof HwcError &&
          error.code === 'config.invalid' &&
          error.message.includes(setting) &&
          error.message.includes('BOT_SOVEREIGN_CLOUD'),
        `an override of ${setting} must stop the start in production`,
      );
    });
  }

  it('starts with an override when BOT_SOVEREIGN_CLOUD says this is a sovereign cloud', function () {
    assert.doesNotThrow(
      () =>
        createBotAdapter(
          { ...settings, ...override, sovereignCloud: true },
          createLogger({ level: 'silent' }),
        ),
      'a declared sovereign cloud may override the channel metadata',
    );
  });

  it('starts without any override', function () {
    assert.doesNotThrow(
      () => createBotAdapter(settings, createLogger({ level: 'silent' })),
      'the public cloud needs no override',
    );
  });
});

describe('Bot adapter in local mode (no app id)', function () {
  const connector = new FakeBotConnector();
  const externalLookups: string[] = [];
  const sandbox = sinon.createSandbox();
  let bot: BotServer;

  before(async function () {
    forbidExternalDns(sandbox, externalLookups);
    await connector.start();
    bot = await startBot({}, replyOk);
  });

  after(async function () {
    await bot?.close();
    await connector.stop();
    sandbox.restore();
  });

  it('accepts a request without a token and replies without one', async function () {
    const res = await post(bot.url, messageActivity(connector.url));

    assert.equal(res.status, 200, res.body);
    assert.equal(connector.activities[0]?.body?.text, 'ok');
    assert.equal(connector.requests[0]?.headers.authorization, undefined);
    assert.deepEqual(externalLookups, []);
  });

  it('says loudly, once, that authentication is off', function () {
    const warnings = bot.logLines.filter((l) => l.event === 'bot.auth.off');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, 'warn');
    assert.match(String(warnings[0]?.msg), /authentication is OFF/);
  });

  it('refuses local mode when NODE_ENV is production', function () {
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      assert.throws(
        () => createBotAdapter({}, createLogger({ level: 'silent' })),
        /cannot be off in production/,
      );
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });
});

describe('Bot adapter turn errors', function () {
  const connector = new FakeBotConnector();
  const SECRET_TEXT = 'Jan Jansen 2014-03-02';
  const externalLookups: string[] = [];
  const sandbox = sinon.createSandbox();
  let bot: BotServer;
  let fail: (ctx: TurnContext) => Error = () => new Error(SECRET_TEXT);

  before(async function () {
    forbidExternalDns(sandbox, externalLookups);
    await connector.start();
    bot = await startBot({}, async (ctx) => {
      if (ctx.activity.type === 'invoke') {
        await ctx.sendActivity({ type: 'invokeResponse', value: { status: 200, body: { ok: true } } });
      }
      throw fail(ctx);
    });
  });

  after(async function () {
    await bot?.close();
    await connector.stop();
    sandbox.restore();
  });

  beforeEach(function () {
    connector.reset();
    bot.logLines.length = 0;
    fail = () => new Error(SECRET_TEXT);
  });

  afterEach(function () {
    assert.deepEqual(externalLookups, [], 'a test looked up an external host');
  });

  it('tells the user something neutral in Dutch, with a reference that matches the log line', async function () {
    const res = await post(bot.url, messageActivity(connector.url, { text: SECRET_TEXT }));

    assert.equal(res.status, 200);
    const text = String(connector.activities[0]?.body?.text);
    const match = /^Er ging iets mis\. Probeer het later opnieuw\. \(referentie: ([0-9a-f-]{36})\)$/.exec(
      text,
    );
    assert.ok(match, text);
    const line = bot.logLines.find((l) => l.event === 'bot.turn.error');
    assert.equal(line?.level, 'error');
    assert.equal(line?.correlationId, match[1]);
    assert.equal(line?.errorName, 'Error');
    assert.match(String(line?.errorStack), /^at /);
  });

  it('answers in English when the activity locale is English', async function () {
    await post(bot.url, messageActivity(connector.url, { locale: 'en-GB' }));
    assert.match(
      String(connector.activities[0]?.body?.text),
      /^Something went wrong\. Please try again later\./,
    );
  });

  it('never logs the message of an unknown error', async function () {
    fail = () => new Error(`${SECRET_TEXT}\n    at fake (${SECRET_TEXT})`);
    await post(bot.url, messageActivity(connector.url));
    const all = JSON.stringify(bot.logLines);
    assert.ok(!all.includes('Jan Jansen'), all);
    assert.ok(bot.logLines.some((l) => l.event === 'bot.turn.error'));
  });

  it('logs the code of an HwcError', async function () {
    fail = () => new HwcError('case.not-found', 'case abc123 not found');
    await post(bot.url, messageActivity(connector.url));
    const line = bot.logLines.find((l) => l.event === 'bot.turn.error');
    assert.equal(line?.errorCode, 'case.not-found');
    assert.equal(line?.errorName, 'HwcError');
  });

  it('answers a failing invoke with 500 instead of a chat message', async function () {
    const res = await post(
      bot.url,
      messageActivity(connector.url, { type: 'invoke', name: 'adaptiveCard/action', value: { action: {} } }),
    );
    assert.equal(res.status, 500);
    assert.equal(connector.activities.length, 0);
    assert.ok(!res.body.includes('Jan Jansen'));
    assert.ok(
      bot.logLines.some((l) => l.event === 'bot.turn.error' && l.invokeName === 'adaptiveCard/action'),
    );
  });
});

describe('Bot Framework token overrides in the production settings', function () {
  const production = {
    SCHOOLS_FILE: 'schools.yaml',
    NODE_ENV: 'production',
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: 'not-a-real-secret',
    MicrosoftAppTenantId: TENANT_ID,
    CASE_STORE: 'memory',
  };

  function configError(env: Record<string, string>): string {
    try {
      readEnvOptions(env);
    } catch (error) {
      assert.ok(error instanceof HwcError && error.code === 'config.invalid', 'a configuration error');
      return error.message;
    }
    return assert.fail('the settings were accepted');
  }

  it('refuses ToBotFromChannelOpenIdMetadataUrl in production, naming it and BOT_SOVEREIGN_CLOUD', function () {
    const message = configError({
      ...production,
      ToBotFromChannelOpenIdMetadataUrl:
        'https://login.botframework.azure.us/v1/.well-known/openidconfiguration',
    });
    assert.match(message, /ToBotFromChannelOpenIdMetadataUrl: /, 'the message names the setting');
    assert.match(message, /BOT_SOVEREIGN_CLOUD=true/, 'the message names the way out');
  });

  it('refuses ToBotFromChannelTokenIssuer in production, naming it', function () {
    const message = configError({
      ...production,
      ToBotFromChannelTokenIssuer: 'https://api.botframework.us',
    });
    assert.match(message, /ToBotFromChannelTokenIssuer: /, 'the message names the setting');
  });

  it('accepts the overrides in production with BOT_SOVEREIGN_CLOUD=true', function () {
    const options = readEnvOptions({
      ...production,
      ToBotFromChannelTokenIssuer: 'https://api.botframework.us',
      BOT_SOVEREIGN_CLOUD: 'true',
    });
    assert.equal(options.BOT_SOVEREIGN_CLOUD, true, 'the setting is read as a boolean');
  });

  it('accepts the overrides outside production (tests, a local issuer)', function () {
    const options = readEnvOptions({
      ...production,
      NODE_ENV: 'test',
      ToBotFromChannelTokenIssuer: 'http://127.0.0.1:1234',
    });
    assert.equal(options.BOT_SOVEREIGN_CLOUD, false, 'unset means the public cloud');
  });

  it('refuses a BOT_SOVEREIGN_CLOUD that is not true or false', function () {
    assert.match(configError({ ...production, BOT_SOVEREIGN_CLOUD: 'yes' }), /BOT_SOVEREIGN_CLOUD/, 'named');
  });
});
