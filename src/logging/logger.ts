import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { logs, SeverityNumber, type AnyValueMap } from '@opentelemetry/api-logs';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: pino.LevelWithSilent;
  /** Where lines go; tests pass a stream that captures them. Defaults to stdout. */
  destination?: DestinationStream;
  /**
   * Also hands every line, as written (redacted), to OpenTelemetry's logs API, so Azure Monitor
   * gets it as a log record of the line's trace. Only when telemetry runs.
   */
  telemetry?: boolean;
}

/**
 * The product's only logger. Callers log ids, codes and counts, never a pupil's data: the
 * redaction below is a safety net for fields that could carry it, not the mechanism.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination(1);
  return pino(
    {
      // A line written inside a traced request or task names its trace, to find the two together.
      mixin: () => {
        const span = trace.getActiveSpan()?.spanContext();
        return span && trace.isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
      },
      level: options.level ?? 'info',
      base: { service: 'handle-with-care' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'pupil',
          '*.pupil',
          'birthDate',
          '*.birthDate',
          'body',
          '*.body',
          'req.body',
          'values',
          '*.values',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.telemetry
      ? pino.multistream([
          { stream: destination, level: 'trace' },
          { stream: new TelemetryLogStream(), level: 'trace' },
        ])
      : destination,
  );
}

const SEVERITY: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
};

/**
 * Turns each finished line into an OpenTelemetry log record. It reads the line pino wrote, after
 * redaction, so a record holds exactly what stdout holds and nothing more; the trace comes from
 * the line's trace_id and span_id, not from whatever context is active when the stream runs.
 */
class TelemetryLogStream extends Writable {
  private readonly logger = logs.getLogger('handle-with-care');

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line) this.emit_(line);
    }
    callback();
  }

  private emit_(line: string): void {
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const { msg, level, time, trace_id: traceId, span_id: spanId, ...rest } = fields;
    const context =
      typeof traceId === 'string' && typeof spanId === 'string'
        ? trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED })
        : ROOT_CONTEXT;
    const label = typeof level === 'string' ? level : 'info';
    this.logger.emit({
      body: typeof msg === 'string' ? msg : '',
      severityText: label,
      severityNumber: SEVERITY[label] ?? SeverityNumber.INFO,
      ...(typeof time === 'string' ? { timestamp: new Date(time) } : {}),
      attributes: rest as AnyValueMap,
      context,
    });
  }
}

export function newCorrelationId(): string {
  return randomUUID();
}
