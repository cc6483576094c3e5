import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { Server } from 'restify';
import type { Mailbox, MailServices, Messenger, RequestContext, Services } from './app/ports';
import { BackgroundWork } from './app/background-work';
import { CardCleanup } from './app/card-cleanup';
import { goneCaseCard } from './app/case-access';
import { runScheduledTask } from './app/scheduled-tasks';
import { deliverSignal } from './app/receive-signal';
import { errorSummary } from './logging/error-summary';
import { preloadCardTemplates } from './cards/render-card';
import { loadConfig, type AppConfig } from './config/app-config';
import { SchoolsReloader, type SchoolsReloadResult } from './config/schools-reloader';
import { latestLocalDate } from './domain/calendar';
import { caseFigures } from './domain/case-figures';
import { isHwcError } from './domain/errors';
import { schoolByIdOrBrin } from './domain/school';
import { createDirectories } from './directory/create-directory';
import { GraphGroupMembers } from './directory/graph-group-members';
import { warnCoordinatorsMissingFromStaff } from './directory/roster-csv-directory';
import { createGraphServices } from './graph/create-graph';
import { GraphMailbox } from './graph/graph-mailbox';
import { MailPoller } from './mail/mail-poller';
import { MemoryMailDrafts } from './mail/memory-mail-drafts';
import { MemoryMailLedger } from './mail/memory-mail-ledger';
import { RedisMailDrafts } from './mail/redis-mail-drafts';
import { RedisMailLedger } from './mail/redis-mail-ledger';
import { mailboxesOf, pollMailboxes } from './app/mail-intake';
import { createHttpServer, listen } from './http/http-server';
import { parseApiKeys } from './intake/intake-auth';
import { createRedisIntakeShared, registerIntakeRoutes, type IntakeLimits } from './intake/intake-routes';
import { createLogger, newCorrelationId, type Logger, type LoggerOptions } from './logging/logger';
import { InMemoryCaseStore } from './store/in-memory-case-store';
import type { CaseStore } from './store/case-store';
import { RedisCaseStore } from './store/redis-case-store';
import { InProcessScheduler } from './scheduling/in-process-scheduler';
import { RedisScheduler } from './scheduling/redis-scheduler';
import { openRedis } from './redis/open-redis';
import type { RedisClient } from './redis/redis-client';
import { RedisSentForms } from './redis/redis-sent-forms';
import { MonthlyStats, type MonthlyStatsStore } from './stats/monthly-stats';
import { RedisMonthlyStats } from './stats/redis-monthly-stats';
import { RedisRateLimiter } from './intake/redis-rate-limiter';
import { registerStatsRoutes } from './stats/stats-routes';
import { createBotAdapter } from './teams/adapter';
import { registerBotRoute } from './teams/bot-route';
import { ConversationReferences } from './teams/conversation-references';
import { HandleWithCareBot } from './teams/handle-with-care-bot';
import { TeamsMessenger, type TeamsMessengerOptions } from './teams/teams-messenger';
import { VerbRouter, verbHandlers } from './teams/verb-router';
import { countingMessenger, OtelMetrics } from './telemetry/otel-metrics';
import { startTelemetry, type RunningTelemetry, type TelemetryExtras } from './telemetry/start-telemetry';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Instead of the Graph credential the settings describe (tests, with a fake Graph). */
  graphCredential?: TokenCredential;
  /** Messenger timings (tests: short waits after installing the app). */
  messenger?: Pick<TeamsMessengerOptions, 'afterInstallDelaysMs' | 'retry'>;
  log?: LoggerOptions;
  clock?: () => Date;
  intakeLimits?: IntakeLimits;
  /** Instead of the schools' mailboxes in Microsoft Graph (tests, the Playground's demo mailbox). */
  mailbox?: Mailbox;
  /** With APPLICATIONINSIGHTS_CONNECTION_STRING: processors and readers besides Azure Monitor's (tests: in-memory). */
  telemetry?: TelemetryExtras;
}

export interface RunningApp {
  url: string;
  /** The Redis connection, when the app runs on Redis (tests look inside it). */
  redis?: RedisClient;
  config: AppConfig;
  services: Services;
  server: Server;
  logger: Logger;
  /** Reads the schools file again now (SIGHUP, tests); it is also watched. A bad file changes nothing. */
  reloadSchools(): Promise<SchoolsReloadResult>;
  /** Reads the Handle with Care mailboxes now (tests, the Playground); they are read every MAIL_POLL_INTERVAL_MS too. */
  pollMail(): Promise<void>;
  stop(): Promise<void>;
}

/** Wires configuration, logger, store, Teams and the HTTP routes together, and starts listening. */
export async function startApp(options: StartOptions = {}): Promise<RunningApp> {
  const config = loadConfig(options.env ?? process.env);
  const { env } = config;
  // First, before the server and the clients are made (src/telemetry/start-telemetry.ts says why).
  const telemetry: RunningTelemetry | undefined = env.APPLICATIONINSIGHTS_CONNECTION_STRING
    ? startTelemetry({ connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING }, options.telemetry)
    : undefined;
  const appMetrics = telemetry ? new OtelMetrics() : undefined;
  const logger = createLogger({ level: env.LOG_LEVEL, telemetry: telemetry !== undefined, ...options.log });
  preloadCardTemplates();
  const graph = createGraphServices(config.graph, {
    log: logger,
    ...(options.graphCredential ? { credential: options.graphCredential } : {}),
  });
  // Reads the roster files now: a bad file stops the start, naming the file and line. Later changes
  // of the schools file are validated and applied while the bot runs (src/config/schools-reloader.ts).
  const schoolsReloader = new SchoolsReloader({
    file: config.schoolsFile,
    schools: config.schools,
    createDirectory: (schools) =>
      createDirectories(schools, path.dirname(config.schoolsFile), graph?.client, { log: logger }),
    ...(graph ? { groupMembers: new GraphGroupMembers(graph.client) } : {}),
    log: logger,
  });
  // A coordinator or deputy missing from the school's staff file is most likely a mistyped id: warn, don't stop.
  await warnCoordinatorsMissingFromStaff(config.schools, schoolsReloader.directory, logger);
  const apiKeys = parseApiKeys(env.INTAKE_API_KEYS);

  const clock = options.clock ?? (() => new Date());
  const now = () => clock().getTime();
  const newContext = (): RequestContext => {
    const correlationId = newCorrelationId();
    return { correlationId, log: logger.child({ correlationId }) };
  };
  const onTaskError = (key: string, error: unknown) =>
    logger.error({ task: key.split(':').pop(), ...errorSummary(error) }, 'a scheduled task failed');

  // With Redis, open cases, follow-ups and what the instances share survive a restart; without
  // it, all of that lives in this process and a restart forgets it.
  const redis = config.redis ? await openRedis(config.redis, logger) : undefined;
  const scheduler = redis
    ? new RedisScheduler({
        client: redis.client,
        prefix: redis.prefix,
        now,
        onError: onTaskError,
        log: logger.child({ component: 'scheduler' }),
      })
    : new InProcessScheduler(now, onTaskError);
  const store: CaseStore & { close?: () => void } = redis
    ? new RedisCaseStore({
        client: redis.client,
        keyring: redis.keyring,
        scheduler,
        prefix: redis.prefix,
        now,
        log: logger.child({ component: 'store' }),
      })
    : new InMemoryCaseStore({ scheduler, now });
  const shared = redis ? { client: redis.client, prefix: redis.prefix } : undefined;
  // The anonymous counts: in Redis, shared by the instances; else in memory, with STATS_FILE kept
  // across restarts (a corrupt file stops the start).
  const monthlyStats: MonthlyStatsStore = redis
    ? new RedisMonthlyStats({ client: redis.client, prefix: redis.prefix })
    : new MonthlyStats({ ...(config.stats.file ? { file: config.stats.file } : {}), logger });
  const references = new ConversationReferences({ ...(shared ? { shared } : {}), logger });
  const adapter = createBotAdapter(
    {
      appId: env.MicrosoftAppId,
      appPassword: env.MicrosoftAppPassword,
      appType: env.MicrosoftAppType,
      tenantId: env.MicrosoftAppTenantId,
      openIdMetadataUrl: env.ToBotFromChannelOpenIdMetadataUrl,
      tokenIssuer: env.ToBotFromChannelTokenIssuer,
      sovereignCloud: env.BOT_SOVEREIGN_CLOUD,
    },
    logger,
  );
  const teamsMessenger: Messenger = new TeamsMessenger(adapter, references, {
    ...(shared ? { shared } : {}),
    appId: env.MicrosoftAppId ?? '',
    serviceUrl: env.TEAMS_SERVICE_URL,
    ...(env.MicrosoftAppTenantId ? { tenantId: env.MicrosoftAppTenantId } : {}),
    ...(env.BOT_LANGUAGE !== 'auto' ? { language: env.BOT_LANGUAGE } : {}),
    ...(graph?.installer ? { installer: graph.installer } : {}),
    logger,
    ...options.messenger,
  });
  const messenger = appMetrics ? countingMessenger(teamsMessenger, appMetrics) : teamsMessenger;
  const cleanup = new CardCleanup({ messenger, scheduler, clock, newId: randomUUID });
  const background = new BackgroundWork();
  // The schools' Handle with Care mailboxes (Graph), read by the poller below and used to answer
  // senders; what the bot remembers of them, and the mails waiting for a coordinator's confirmation.
  const mailbox = options.mailbox ?? (graph ? new GraphMailbox(graph.client, { log: logger }) : undefined);
  const mail: MailServices | undefined = mailbox
    ? {
        mailbox,
        ledger: redis ? new RedisMailLedger(redis.client, redis.prefix) : new MemoryMailLedger(now),
        drafts: redis
          ? new RedisMailDrafts({
              client: redis.client,
              keyring: redis.keyring,
              prefix: redis.prefix,
              now,
              log: logger.child({ component: 'mail-drafts' }),
            })
          : new MemoryMailDrafts(now),
      }
    : undefined;
  const services: Services = {
    schools: schoolsReloader.registry,
    store,
    messenger,
    cleanup,
    background,
    stats: {
      caseEnded: (c, school) => {
        const figures = caseFigures(c, school.timeZone);
        void Promise.resolve()
          .then(() => monthlyStats.add(figures))
          .catch((error: unknown) => logger.error(errorSummary(error), 'an ended case could not be counted'));
      },
    },
    directory: schoolsReloader.directory,
    scheduler,
    clock,
    newId: randomUUID,
    newContext,
    ...(mail ? { mail } : {}),
    ...(appMetrics ? { metrics: appMetrics } : {}),
  };
  appMetrics?.observe({
    pendingNeutral: () => cleanup.size,
    oldestOpen: () => store.oldestOpen(),
    now: clock,
  });
  const bot = new HandleWithCareBot({
    services,
    router: new VerbRouter(
      verbHandlers(
        services,
        redis ? new RedisSentForms({ client: redis.client, prefix: redis.prefix }) : undefined,
      ),
      (caseId, locale) => goneCaseCard(services, caseId, locale),
    ),
    references,
    logger,
    ...(env.MicrosoftAppTenantId ? { tenantId: env.MicrosoftAppTenantId } : {}),
    ...(env.BOT_LANGUAGE !== 'auto' ? { language: env.BOT_LANGUAGE } : {}),
  });

  // The Entra groups of coordinators are read before the first request (for 10 s at most).
  await schoolsReloader.start();
  scheduler.start((task) => runScheduledTask(services, task));
  const server = createHttpServer(
    logger,
    async () => {
      if (!redis) return { ready: true, checks: { store: 'ok' } };
      const store = await redis.ping();
      return { ready: store === 'ok', checks: { store } };
    },
    {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
      trustProxyHops: env.TRUST_PROXY_HOPS,
    },
  );
  registerBotRoute(server, adapter, bot);
  registerIntakeRoutes(server, {
    logger,
    now: clock,
    ...(options.intakeLimits ? { limits: options.intakeLimits } : {}),
    ...(redis
      ? {
          shared: createRedisIntakeShared({
            client: redis.client,
            prefix: redis.prefix,
            secret: redis.idempotencySecret,
            now: clock,
            ...(options.intakeLimits ? { limits: options.intakeLimits } : {}),
          }),
        }
      : {}),
    auth: { apiKeys, ...(config.entraIntake ? { entra: config.entraIntake } : {}) },
    signalRules: () => ({
      today: latestLocalDate(
        services.schools.all().map((s) => s.timeZone),
        clock(),
      ),
      isKnownSchool: (id) => services.schools.get(id) !== undefined,
    }),
    resolveSchoolId: (schoolId) => schoolByIdOrBrin(services.schools.all(), schoolId)?.id ?? schoolId,
    isSenderAllowed: (sender, schoolId) => {
      if (sender.kind !== 'entra') return true;
      const allowed = services.schools.get(schoolId)?.senders;
      return allowed === undefined || allowed.includes(sender.id);
    },
    cases: services.store,
    receiveSignal: (signal, ctx) =>
      deliverSignal(services, signal, ctx.sender, {
        correlationId: ctx.correlationId,
        log: logger.child({ correlationId: ctx.correlationId }),
      }),
  });

  registerStatsRoutes(server, {
    logger,
    now: clock,
    stats: monthlyStats,
    ...(redis
      ? {
          failedAuthLimiter: new RedisRateLimiter({
            client: redis.client,
            prefix: redis.prefix,
            name: 'stats-failed-auth',
            perMinute: 20,
            keySecret: redis.idempotencySecret,
          }),
        }
      : {}),
    auth: { apiKeys: config.stats.apiKeys, ...(config.stats.entra ? { entra: config.stats.entra } : {}) },
    knownSchools: () => services.schools.all().map((s) => s.id),
  });

  // Signals by mail: each pass reads the mailboxes the schools file names now (a reload may add one).
  const mailPoller = mail
    ? new MailPoller(
        (ctx) => pollMailboxes(services, ctx, env.MAIL_POLL_INTERVAL_MS * 2),
        newContext,
        env.MAIL_POLL_INTERVAL_MS,
      )
    : undefined;

  const url = await listen(server, env.PORT, env.HOST);
  mailPoller?.start();
  if (!mailbox && mailboxesOf(config.schools).length > 0) {
    logger.warn(
      { event: 'mail.not-read', schools: config.schools.filter((s) => s.mail).map((s) => s.id) },
      'schools receive signals by mail, but without Microsoft Graph the bot reads no mailbox',
    );
  }
  logger.info(
    {
      url,
      localMode: config.localMode,
      schools: config.schools.length,
      schoolsFile: config.schoolsFile,
      intake: { apiKeys: apiKeys.length, entra: config.entraIntake !== undefined },
      stats: { apiKeys: config.stats.apiKeys.length, file: config.stats.file !== undefined },
      store: redis ? 'redis' : 'memory',
    },
    'Handle with Care bot started',
  );
  if (!redis && env.NODE_ENV === 'production') {
    logger.warn(
      'CASE_STORE=memory: open signals live in this process only; a restart or deploy loses every open signal, and only one instance may run',
    );
  }
  if (apiKeys.length === 0 && !config.entraIntake) {
    logger.warn(
      'no intake credential configured: /api/signals refuses every request; signals can only be typed in Teams',
    );
  }
  if (env.NODE_ENV === 'production' && config.stats.apiKeys.length > 0) {
    logger.warn(
      'STATS_API_KEYS is set in production: prefer Microsoft Entra tokens with the Stats.Read role',
    );
  }
  if (env.NODE_ENV === 'production' && apiKeys.length > 0) {
    logger.warn('INTAKE_API_KEYS is set in production: prefer Microsoft Entra tokens for sender systems');
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      schoolsReloader.close();
      // A pass under way finishes its mail (or is cut off and read again by the next instance).
      if (mailPoller) await waitAtMost(mailPoller.close(), env.SHUTDOWN_GRACE_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, env.SHUTDOWN_GRACE_MS);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.server.closeIdleConnections?.();
      });
      // Cards for other people that clicks started get the grace to go out; a fan-out cut off
      // here is resumed by its scheduled task (in Redis, by another instance).
      await waitAtMost(background.idle(), env.SHUTDOWN_GRACE_MS);
      // Running follow-ups finish; waiting ones stay in Redis for another instance, or are
      // forgotten with this process's memory.
      await scheduler.close();
      await waitAtMost(cleanup.idle(), env.SHUTDOWN_GRACE_MS);
      const open = await store.size().catch(() => undefined);
      store.close?.();
      if (redis) {
        await references.flush();
        await redis.close();
        logger.info({ openCases: open }, 'stopped; open cases stay in Redis until they end or expire');
      } else {
        // Forgetting open cases on shutdown is what the memory store does: the senders' signals are with them.
        logger.info({ openCases: open }, 'stopped; open cases are forgotten (no Redis)');
      }
      if (monthlyStats instanceof MonthlyStats) {
        await monthlyStats
          .flush()
          .catch((error: unknown) =>
            logger.error(errorSummary(error), 'the statistics file was not written'),
          );
      }
      // Last, so what the stop itself logged and measured goes out too.
      await telemetry?.shutdown().catch(() => undefined);
    })());
  return {
    url,
    config,
    services,
    server,
    logger,
    reloadSchools: () => schoolsReloader.reloadSchools(),
    pollMail: async () => {
      await mailPoller?.pollNow();
    },
    stop,
    ...(redis ? { redis: redis.client } : {}),
  };
}

function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  let app: RunningApp;
  try {
    // A .env file beside the app is read if present; the environment wins over it.
    if (existsSync('.env')) process.loadEnvFile('.env');
    app = await startApp();
  } catch (error) {
    const logger = createLogger();
    if (isHwcError(error, 'config.invalid')) {
      logger.fatal({ code: error.code }, error.message);
    } else {
      // Nothing of a pupil exists before start-up, so the whole error may be logged here.
      logger.fatal({ err: error, correlationId: newCorrelationId() }, 'could not start');
    }
    process.exitCode = 1;
    return;
  }
  // SIGHUP: read the schools file again now (it is watched too); a bad file changes nothing.
  process.on('SIGHUP', () => {
    app.logger.info({ signal: 'SIGHUP' }, 'reloading the schools file');
    void app.reloadSchools();
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      app.logger.info({ signal }, 'shutting down');
      void app.stop().then(() => process.exit(0));
    });
  }
}

if (require.main === module) void main();
