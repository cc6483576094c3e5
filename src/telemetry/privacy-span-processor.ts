import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Attributes that hold a whole URL: their query string is cut off. */
const URL_ATTRIBUTES = ['url.full', 'http.url', 'http.target'];
/** Attributes that hold only a query string, or a body: dropped altogether. */
const DROPPED_ATTRIBUTES = [
  'url.query',
  'http.request.body',
  'http.response.body',
  'db.statement',
  'db.query.text',
];

/** `https://host/path?$filter=…` → `https://host/path?[redacted]`; a URL without a query stays. */
export function withoutQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : `${url.slice(0, at)}?[redacted]`;
}

/**
 * Keeps query strings and bodies out of every span, whatever instrumentation made it: a query
 * could carry a pupil (a Graph $filter, a sender's GET), and the HTTP instrumentation records the
 * full URL. It runs first among the span processors, on start and again just before the end (the
 * span is still writable then), so no exporter, the Azure one included, sees the original.
 */
export class PrivacySpanProcessor implements SpanProcessor {
  onStart(span: Span, _parentContext: Context): void {
    scrub(span);
  }

  onEnding(span: Span): void {
    scrub(span);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function scrub(span: Span): void {
  const attributes = span.attributes;
  for (const key of URL_ATTRIBUTES) {
    const value = attributes[key];
    if (typeof value === 'string' && value.includes('?')) span.setAttribute(key, withoutQuery(value));
  }
  for (const key of DROPPED_ATTRIBUTES) {
    // The SDK has no removeAttribute: an empty marker replaces the value.
    if (attributes[key] !== undefined) span.setAttribute(key, '[redacted]');
  }
  // A span named after its URL (some instrumentations do) loses the query too.
  if (span.name.includes('?')) span.updateName(withoutQuery(span.name));
}
