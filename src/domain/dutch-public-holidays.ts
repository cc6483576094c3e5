/**
 * The Dutch public holidays on which a primary school is closed, computed rather than typed into
 * the schools file. The list follows the recognised holidays of the CAO PO (after the Algemene
 * termijnenwet); the README's section on the schools file says which days are left out and why.
 */

export interface PublicHoliday {
  /** The local date, YYYY-MM-DD. */
  date: string;
  /** The Dutch name, as schools write it in their year calendar. */
  name: string;
}

// Easter's algorithm is the Gregorian one, so years before the calendar reform have no answer;
// the upper bound keeps a date a four-digit YYYY.
const FIRST_YEAR = 1583;
const LAST_YEAR = 9999;

/**
 * Easter Sunday of a Gregorian year: the anonymous algorithm (Meeus/Jones/Butcher), exact for
 * every Gregorian year, so no table of dates needs updating.
 */
export function easterSunday(year: number): string {
  assertYear(year);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(year, month, day);
}

/** The year's public holidays on which schools are closed, in date order. */
export function dutchPublicHolidays(year: number): PublicHoliday[] {
  const easter = easterSunday(year);
  const holidays: PublicHoliday[] = [
    { date: isoDate(year, 1, 1), name: 'Nieuwjaarsdag' },
    { date: easter, name: 'Eerste Paasdag' },
    { date: plusDays(easter, 1), name: 'Tweede Paasdag' },
    { date: kingsDay(year), name: 'Koningsdag' },
    { date: plusDays(easter, 39), name: 'Hemelvaartsdag' },
    { date: plusDays(easter, 49), name: 'Eerste Pinksterdag' },
    { date: plusDays(easter, 50), name: 'Tweede Pinksterdag' },
    { date: isoDate(year, 12, 25), name: 'Eerste Kerstdag' },
    { date: isoDate(year, 12, 26), name: 'Tweede Kerstdag' },
  ];
  // The CAO PO makes 5 May a day off in lustrum years only (2025, 2030, ...).
  if (year % 5 === 0) holidays.push({ date: isoDate(year, 5, 5), name: 'Bevrijdingsdag' });
  return holidays.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : 0));
}

// A scheduler asks about the same few dates all day: compute each year once.
const datesByYear = new Map<number, ReadonlySet<string>>();

/** Whether the local date (YYYY-MM-DD) is one of the public holidays of its own year. */
export function isDutchPublicHoliday(date: string): boolean {
  const match = /^(\d{4})-\d{2}-\d{2}$/.exec(date);
  if (!match) throw new RangeError(`expected a date as YYYY-MM-DD, got '${date}'`);
  const year = Number(match[1]);
  let dates = datesByYear.get(year);
  if (!dates) {
    dates = new Set(dutchPublicHolidays(year).map((h) => h.date));
    datesByYear.set(year, dates);
  }
  return dates.has(date);
}

/** 27 April, the King's birthday; on a Sunday it moves to Saturday the 26th (the rule since 2014). */
function kingsDay(year: number): string {
  const sunday = 0;
  return new Date(Date.UTC(year, 3, 27)).getUTCDay() === sunday ? isoDate(year, 4, 26) : isoDate(year, 4, 27);
}

function assertYear(year: number): void {
  if (!Number.isInteger(year) || year < FIRST_YEAR || year > LAST_YEAR) {
    throw new RangeError(`expected a Gregorian year from ${FIRST_YEAR} to ${LAST_YEAR}, got ${year}`);
  }
}

// Counted in UTC, where a day is always 24 hours.
function plusDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + days));
  return isoDate(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
