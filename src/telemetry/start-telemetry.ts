import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { LogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { shutdownAzureMonitor, useAzureMonitor } from '@azure/monitor-opentelemetry';
import { PrivacySpanProcessor } from './privacy-span-processor';

export interface TelemetrySettings {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING. */
  connectionString: string;
  /** Share of traces kept (default 1, all of them); sampled per trace, so a request stays whole. */
  samplingRatio?: number;
  /** Live Metrics streams to the portal continuously; off unless asked for. */
  enableLiveMetrics?: boolean;
}

/**
 * Processors and readers besides the Azure Monitor exporter. Tests pass in-memory ones, with a
 * connection string whose IngestionEndpoint is a closed local port, so nothing leaves the machine.
 */
export interface TelemetryExtras {
  spanProcessors?: SpanProcessor[];
  metricReaders?: MetricReader[];
  logRecordProcessors?: LogRecordProcessor[];
}

export interface RunningTelemetry {
  /** Flushes what is buffered, then takes the SDK's global registrations away again. */
  shutdown(): Promise<void>;
}

let running: RunningTelemetry | undefined;

/**
 * Starts OpenTelemetry with the Azure Monitor distro: incoming requests, outgoing HTTP (the Bot
 * Connector, Microsoft Graph through fetch), metrics and log records. Redis v6 is not instrumented
 * by the distro (its redis4 instrumentation knows @redis/client 1.x only): storeCall makes those spans.
 *
 * Called from startApp, before the HTTP server is made. The build is CommonJS, where the modules
 * are loaded before any code of ours runs; that is fine here: the HTTP instrumentation patches the
 * exports of node:http/https in place, which every user of them reads at call time, and fetch is
 * traced through diagnostics_channel. The require below makes the in-place patch happen now (the
 * hook applies to a core module on its next require), instead of on some later require.
 *
 * One at a time per process: OpenTelemetry's providers are global.
 */
export function startTelemetry(settings: TelemetrySettings, extras: TelemetryExtras = {}): RunningTelemetry {
  if (running) throw new Error('telemetry is already started in this process');
  // The instrumentation records no bodies; query strings (GET /api/signals/{id}?…, Graph's
  // $filter) are cut by the PrivacySpanProcessor. Health probes would only be noise. (A variable:
  // the distro's type is the base InstrumentationConfig, which does not list the HTTP hooks.)
  const httpConfig = {
    enabled: true,
    ignoreIncomingRequestHook: (request: { url?: string }) =>
      request.url === '/healthz' || request.url === '/readyz',
  };
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: settings.connectionString },
    samplingRatio: settings.samplingRatio ?? 1,
    // Rate-limited sampling would drop requests unpredictably; the ratio is the only knob.
    tracesPerSecond: 0,
    enableLiveMetrics: settings.enableLiveMetrics ?? false,
    instrumentationOptions: {
      http: httpConfig,
      azureSdk: { enabled: true },
      redis: { enabled: false },
      redis4: { enabled: false },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      bunyan: { enabled: false },
      winston: { enabled: false },
    },
    // The privacy processor first, so every later processor and exporter sees scrubbed spans.
    spanProcessors: [new PrivacySpanProcessor(), ...(extras.spanProcessors ?? [])],
    metricReaders: extras.metricReaders ?? [],
    logRecordProcessors: extras.logRecordProcessors ?? [],
  });
  // fetch (Microsoft Graph) is not in the distro. Enabled on construction, on the global provider
  // just registered; its URLs (with $filter, $select, delta tokens) are scrubbed like the others.
  const undici = new UndiciInstrumentation();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: applies the patch now
  require('node:http');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('node:https');
  const handle: RunningTelemetry = {
    async shutdown() {
      undici.disable();
      try {
        await shutdownAzureMonitor();
      } finally {
        // Leaves the API as before the start, so a later start (or test) begins clean.
        trace.disable();
        metrics.disable();
        logs.disable();
        propagation.disable();
        context.disable();
        if (running === handle) running = undefined;
      }
    },
  };
  running = handle;
  return handle;
}
