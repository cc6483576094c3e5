import type { School } from './school';

export type SchoolCalendar = Pick<School, 'timeZone' | 'lessonStart' | 'dayEnd' | 'schoolDays' | 'holidays'>;

/** The school day on which the pupil gets support, as instants and as the school's local date. */
export interface SupportDay {
  /** The local date in the school's time zone, YYYY-MM-DD. */
  date: string;
  /** When lessons start that day: the deadline for the talk with the pupil. */
  lessonStart: Date;
  /** The end of that school day: the case expires then, whatever its state. */
  dayEnd: Date;
}

/**
 * The support day for a signal received at `receivedAt`: that day if it is a school day and
 * lessons have not started yet, otherwise the first following school day.
 */
export function supportDayFor(_calendar: SchoolCalendar, _receivedAt: Date): SupportDay {
  throw new Error('not implemented yet');
}

/** The first school day strictly after the local date `date` (for a pupil absent today). */
export function nextSchoolDayAfter(_calendar: SchoolCalendar, _date: string): SupportDay {
  throw new Error('not implemented yet');
}
