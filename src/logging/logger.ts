import { randomUUID } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: pino.LevelWithSilent;
  /** Where lines go; tests pass a stream that captures them. Defaults to stdout. */
  destination?: DestinationStream;
}

/**
 * The product's only logger. Callers log ids, codes and counts, never a pupil's data: the
 * redaction below is a safety net for fields that could carry it, not the mechanism.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
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
    options.destination,
  );
}

export function newCorrelationId(): string {
  return randomUUID();
}
