import { DateTime } from 'luxon';

/** The local date (YYYY-MM-DD) of an instant in a time zone: the school's 'today'. */
export function localDateOf(instant: Date, timeZone: string): string {
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  // An unknown zone cannot reach here (the schools file is validated); UTC keeps it total anyway.
  return (local.isValid ? local : DateTime.fromJSDate(instant, { zone: 'utc' })).toISODate() ?? '';
}

/** Whether the local date `date` is today at `now` in the school's time zone. */
export function isToday(date: string, now: Date, timeZone: string): boolean {
  return localDateOf(now, timeZone) === date;
}
