import { DateTime } from 'luxon';
import { isDutchPublicHoliday } from './dutch-public-holidays';
import { HwcError } from './errors';
import { localDateOf } from './local-date';
import { weekdays, type School, type Weekday } from './school';

export type SchoolCalendar = Pick<
  School,
  'timeZone' | 'lessonStart' | 'dayEnd' | 'schoolDays' | 'holidays' | 'publicHolidays'
>;

/** The school day on which the pupil gets support, as instants and as the school's local date. */
export interface SupportDay {
  /** The local date in the school's time zone, YYYY-MM-DD. */
  date: string;
  /** When lessons start that day: the deadline for the talk with the pupil. */
  lessonStart: Date;
  /** The end of that school day: the case expires then, whatever its state. */
  dayEnd: Date;
}

// A year plus the longest summer break: a calendar without a school day in that span is a mistake,
// and the bound keeps a bad calendar from turning into an endless loop.
const searchLimitDays = 400;

/**
 * The support day for a signal received at `receivedAt`: that day if it is a school day and
 * lessons have not started yet, otherwise the first following school day.
 */
export function supportDayFor(calendar: SchoolCalendar, receivedAt: Date): SupportDay {
  if (Number.isNaN(receivedAt.getTime())) {
    throw invalidCalendar(`cannot read ${String(receivedAt)} in time zone '${calendar.timeZone}'`);
  }
  let today: string;
  try {
    today = localDateOf(receivedAt, calendar.timeZone);
  } catch {
    throw invalidCalendar(`cannot read a date in time zone '${calendar.timeZone}'`);
  }
  if (isSchoolDay(calendar, today)) {
    const day = schoolDayOn(calendar, today);
    // Exactly at lessonStart is too late: the talk with the pupil has to happen before lessons.
    if (receivedAt.getTime() < day.lessonStart.getTime()) return day;
  }
  return nextSchoolDayAfter(calendar, today);
}

/** The first school day strictly after the local date `date` (for a pupil absent today). */
export function nextSchoolDayAfter(calendar: SchoolCalendar, date: string): SupportDay {
  let candidate = parseDate(date);
  for (let i = 0; i < searchLimitDays; i++) {
    candidate += DAY_MS;
    const iso = new Date(candidate).toISOString().slice(0, 10);
    if (isSchoolDay(calendar, iso)) return schoolDayOn(calendar, iso);
  }
  throw invalidCalendar(
    `the school calendar has no school day in the coming year (searched ${searchLimitDays} days ` +
      `after ${date}); check its schoolDays, holidays and calendar`,
  );
}

/** The wall-clock time of `instant` in `timeZone`, as HH:mm (for cards and notices). */
export function formatLocalTime(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toFormat('HH:mm');
}

/** The weekday of a local date, YYYY-MM-DD. */
export function weekdayOf(date: string): Weekday {
  // getUTCDay: 0 is Sunday; `weekdays` starts on Monday.
  return weekdays[(new Date(parseDate(date)).getUTCDay() + 6) % 7] as Weekday;
}

function isSchoolDay(calendar: SchoolCalendar, date: string): boolean {
  // YYYY-MM-DD strings sort like the dates they name, so a string comparison is a date comparison.
  const inHoliday = calendar.holidays.some((h) => h.from <= date && date <= h.to);
  // Asked per date, so each date is checked against its own year, also across New Year.
  const publicHoliday = calendar.publicHolidays && isDutchPublicHoliday(date);
  return !inHoliday && !publicHoliday && calendar.schoolDays.includes(weekdayOf(date));
}

function schoolDayOn(calendar: SchoolCalendar, date: string): SupportDay {
  return {
    date,
    lessonStart: localInstant(calendar, date, calendar.lessonStart),
    dayEnd: localInstant(calendar, date, calendar.dayEnd),
  };
}

// Resolving the wall-clock time in the school's zone on that very date is what makes 08:30 land on
// 07:30Z in winter and 06:30Z in summer; adding hours to midnight would be off on DST days.
function localInstant(calendar: SchoolCalendar, date: string, time: string): Date {
  // Every signal of a school on one day asks for the same two instants; luxon's zone arithmetic
  // is most of an intake's calendar work, so each answer is kept (a few per school per day).
  const key = `${calendar.timeZone}|${date}|${time}`;
  let instant = instants.get(key);
  if (instant === undefined) {
    const local = DateTime.fromISO(`${date}T${time}`, { zone: calendar.timeZone });
    if (!local.isValid) {
      throw invalidCalendar(`cannot place ${time} on ${date} in time zone '${calendar.timeZone}'`);
    }
    instant = local.toMillis();
    if (instants.size >= MAX_CACHED_INSTANTS) instants.clear();
    instants.set(key, instant);
  }
  return new Date(instant);
}

const MAX_CACHED_INSTANTS = 10_000;
const instants = new Map<string, number>();
const DAY_MS = 86_400_000;

// Dates are counted in UTC milliseconds so that stepping a day never meets a DST change.
function parseDate(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : NaN;
  // Date.UTC rolls 2026-02-30 over into March; a date that does not round-trip is not a date.
  if (!match || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`expected a date as YYYY-MM-DD, got '${date}'`);
  }
  return ms;
}

function invalidCalendar(message: string): HwcError {
  return new HwcError('config.invalid', message);
}

/**
 * The latest local date among these time zones at `instant`: a date after it is in the future
 * for every school, so a birth date can be checked before the school is known.
 */
export function latestLocalDate(timeZones: readonly string[], instant: Date): string {
  // Asked at every intake, for every school: twenty schools in one zone are one question.
  let latest = localDateOf(instant, 'UTC');
  for (const zone of new Set(timeZones)) {
    const date = localDateOf(instant, zone);
    if (date > latest) latest = date;
  }
  return latest;
}
