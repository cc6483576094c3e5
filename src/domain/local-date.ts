// One formatter per zone: making one costs more than a whole support-day computation.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The local date (YYYY-MM-DD) of an instant in a time zone: the school's 'today'. Throws a
 * RangeError for a zone Intl does not know (the schools file is validated, so not in practice).
 */
export function localDateOf(instant: Date, timeZone: string): string {
  // Every view asks 'is it today?' and the answer stays for a quarter of an hour: every zone's
  // offset is a whole number of quarters, so a local date never changes inside one.
  const quarter = Math.floor(instant.getTime() / QUARTER_MS);
  const known = lastDates.get(timeZone);
  if (known?.quarter === quarter) return known.date;
  const date = formatDate(instant, timeZone);
  if (Number.isFinite(quarter)) lastDates.set(timeZone, { quarter, date });
  return date;
}

const QUARTER_MS = 15 * 60_000;
const lastDates = new Map<string, { quarter: number; date: string }>();

function formatDate(instant: Date, timeZone: string): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Whether the local date `date` is today at `now` in the school's time zone. */
export function isToday(date: string, now: Date, timeZone: string): boolean {
  return localDateOf(now, timeZone) === date;
}
