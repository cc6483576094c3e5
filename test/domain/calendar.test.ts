import assert from 'node:assert/strict';
import {
  latestLocalDate,
  formatLocalTime,
  nextSchoolDayAfter,
  supportDayFor,
  weekdayOf,
  type SchoolCalendar,
  type SupportDay,
} from '../../src/domain/calendar';
import { isHwcError } from '../../src/domain/errors';

const amsterdam: SchoolCalendar = {
  timeZone: 'Europe/Amsterdam',
  lessonStart: '08:30',
  dayEnd: '17:00',
  schoolDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  holidays: [],
  publicHolidays: false,
};

function receivedAt(calendar: SchoolCalendar, instant: string): SupportDay {
  return supportDayFor(calendar, new Date(instant));
}

function day(date: string, lessonStart: string, dayEnd: string): SupportDay {
  return { date, lessonStart: new Date(lessonStart), dayEnd: new Date(dayEnd) };
}

// Amsterdam is UTC+1 in winter (CET) and UTC+2 in summer (CEST): 08:30 local is 07:30Z or 06:30Z.
const tuesdayInWinter = day('2027-01-12', '2027-01-12T07:30:00Z', '2027-01-12T16:00:00Z');
const wednesdayInWinter = day('2027-01-13', '2027-01-13T07:30:00Z', '2027-01-13T16:00:00Z');
const mondayInWinter = day('2027-01-18', '2027-01-18T07:30:00Z', '2027-01-18T16:00:00Z');

describe('the support day', () => {
  describe('on an ordinary school week', () => {
    it('a signal before lessons on a school day is handled that same day', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-12T06:00:00Z'), tuesdayInWinter);
    });

    it('a signal one minute before lessons is still handled that same day', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-12T07:29:00Z'), tuesdayInWinter);
    });

    it('a signal exactly when lessons start is handled the next school day', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-12T07:30:00Z'), wednesdayInWinter);
    });

    it('a signal during lessons is handled the next school day', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-12T10:00:00Z'), wednesdayInWinter);
    });

    it('a signal after the school day is handled the next school day', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-12T20:00:00Z'), wednesdayInWinter);
    });

    it('a signal just after local midnight is handled before lessons that morning', () => {
      // 23:30Z on Tuesday is already 00:30 on Wednesday in Amsterdam.
      assert.deepEqual(receivedAt(amsterdam, '2027-01-12T23:30:00Z'), wednesdayInWinter);
    });
  });

  describe('around the weekend', () => {
    it('a signal on Friday evening is handled before lessons on Monday', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-15T19:00:00Z'), mondayInWinter);
    });

    it('a signal on Saturday is handled on Monday', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-16T06:00:00Z'), mondayInWinter);
    });

    it('a signal on Sunday evening is handled on Monday', () => {
      assert.deepEqual(receivedAt(amsterdam, '2027-01-17T21:00:00Z'), mondayInWinter);
    });

    it('a school without lessons on Wednesday hands a Tuesday-afternoon signal to Thursday', () => {
      const noWednesday: SchoolCalendar = { ...amsterdam, schoolDays: ['mon', 'tue', 'thu', 'fri'] };
      const thursday = day('2027-01-14', '2027-01-14T07:30:00Z', '2027-01-14T16:00:00Z');
      assert.deepEqual(receivedAt(noWednesday, '2027-01-12T13:00:00Z'), thursday);
      assert.deepEqual(receivedAt(noWednesday, '2027-01-13T06:00:00Z'), thursday);
    });
  });

  describe('around holidays', () => {
    const autumnBreak: SchoolCalendar = {
      ...amsterdam,
      holidays: [{ from: '2027-10-16', to: '2027-10-24', name: 'herfstvakantie' }],
    };
    const christmasBreak: SchoolCalendar = {
      ...amsterdam,
      holidays: [{ from: '2027-12-25', to: '2028-01-09', name: 'kerstvakantie' }],
    };
    const kingsDay: SchoolCalendar = {
      ...amsterdam,
      holidays: [{ from: '2027-04-27', to: '2027-04-27', name: 'Koningsdag' }],
    };

    it('a signal on the Friday before the autumn break is handled after the break', () => {
      assert.deepEqual(
        receivedAt(autumnBreak, '2027-10-15T15:00:00Z'),
        day('2027-10-25', '2027-10-25T06:30:00Z', '2027-10-25T15:00:00Z'),
      );
    });

    it('a signal on a weekday inside a break is handled after the break, even before lesson time', () => {
      assert.equal(receivedAt(autumnBreak, '2027-10-20T05:00:00Z').date, '2027-10-25');
    });

    it('the last school day before the Christmas break still counts when the signal is early', () => {
      assert.equal(receivedAt(christmasBreak, '2027-12-24T06:00:00Z').date, '2027-12-24');
    });

    it('a signal after lessons on the last day before Christmas is handled in the new year', () => {
      assert.deepEqual(
        receivedAt(christmasBreak, '2027-12-24T12:00:00Z'),
        day('2028-01-10', '2028-01-10T07:30:00Z', '2028-01-10T16:00:00Z'),
      );
    });

    it('a signal on New Year’s night is handled on the first day after the Christmas break', () => {
      assert.equal(receivedAt(christmasBreak, '2027-12-31T23:30:00Z').date, '2028-01-10');
    });

    it('a signal the evening before a one-day holiday is handled the day after it', () => {
      assert.equal(receivedAt(kingsDay, '2027-04-26T18:00:00Z').date, '2027-04-28');
    });

    it('a holiday covers its own date: an early signal that day waits for the day after', () => {
      assert.equal(receivedAt(kingsDay, '2027-04-27T05:00:00Z').date, '2027-04-28');
    });
  });

  describe('around public holidays', () => {
    const withPublicHolidays: SchoolCalendar = { ...amsterdam, publicHolidays: true };

    it('a school closed on public holidays hands the evening before Ascension Day to the Friday', () => {
      // Hemelvaartsdag 2027 is Thursday 6 May.
      assert.equal(receivedAt(withPublicHolidays, '2027-05-05T18:00:00Z').date, '2027-05-07');
    });

    it('a school that has not switched public holidays on is open on Ascension Day', () => {
      assert.equal(receivedAt(amsterdam, '2027-05-05T18:00:00Z').date, '2027-05-06');
    });

    it('a signal on the Friday before Koningsdag on a Monday is handled on the Tuesday', () => {
      // 27 April 2026 is a Monday.
      assert.equal(receivedAt(withPublicHolidays, '2026-04-24T18:00:00Z').date, '2026-04-28');
    });

    it('a signal on Easter Monday itself, before lessons, waits for the Tuesday', () => {
      assert.equal(receivedAt(withPublicHolidays, '2027-03-29T05:00:00Z').date, '2027-03-30');
    });

    it('counts New Year’s Day of the coming year when a signal arrives in the old one', () => {
      // 1 January 2029 is a Monday; the signal arrives on Friday 29 December 2028.
      assert.equal(receivedAt(withPublicHolidays, '2028-12-29T18:00:00Z').date, '2029-01-02');
    });

    it('skips a public holiday inside a run of the school’s own holidays and study days alike', () => {
      const studyDayAfterWhitMonday: SchoolCalendar = {
        ...withPublicHolidays,
        holidays: [{ from: '2027-05-18', to: '2027-05-18', name: 'Studiedag' }],
      };
      // Friday 14 May, then Tweede Pinksterdag (17 May) and the study day (18 May).
      assert.equal(nextSchoolDayAfter(studyDayAfterWhitMonday, '2027-05-14').date, '2027-05-19');
    });
  });

  describe('across daylight-saving changes', () => {
    it('on the last Friday of winter time, 08:30 lessons start at 07:30Z', () => {
      assert.deepEqual(
        receivedAt(amsterdam, '2027-03-26T06:00:00Z'),
        day('2027-03-26', '2027-03-26T07:30:00Z', '2027-03-26T16:00:00Z'),
      );
    });

    it('a signal on the Saturday evening before summer time is handled at 08:30 CEST on Monday', () => {
      assert.deepEqual(
        receivedAt(amsterdam, '2027-03-27T19:00:00Z'),
        day('2027-03-29', '2027-03-29T06:30:00Z', '2027-03-29T15:00:00Z'),
      );
    });

    it('a signal on the Friday evening before winter time is handled at 08:30 CET on Monday', () => {
      assert.deepEqual(
        receivedAt(amsterdam, '2027-10-29T18:00:00Z'),
        day('2027-11-01', '2027-11-01T07:30:00Z', '2027-11-01T16:00:00Z'),
      );
    });

    it('on the first Monday of winter time, 08:00 local is still before lessons', () => {
      // 07:00Z is 08:00 CET; with a stale summer offset it would be 09:00 and wrongly "too late".
      assert.equal(receivedAt(amsterdam, '2027-11-01T07:00:00Z').date, '2027-11-01');
    });
  });

  describe('in another time zone', () => {
    it('a school in Curaçao counts lesson time on its own clock', () => {
      const curacao: SchoolCalendar = { ...amsterdam, timeZone: 'America/Curacao', lessonStart: '07:30' };
      // 11:00Z is 07:00 in Curaçao (UTC-4) but 12:00 in Amsterdam, when lessons would be over.
      assert.deepEqual(
        receivedAt(curacao, '2027-01-15T11:00:00Z'),
        day('2027-01-15', '2027-01-15T11:30:00Z', '2027-01-15T21:00:00Z'),
      );
    });

    it('a school in London counts lesson time on its own summer clock', () => {
      const london: SchoolCalendar = { ...amsterdam, timeZone: 'Europe/London' };
      // 07:15Z is 08:15 BST in June: before lessons in London, after 08:30 CEST in Amsterdam.
      assert.deepEqual(
        receivedAt(london, '2027-06-15T07:15:00Z'),
        day('2027-06-15', '2027-06-15T07:30:00Z', '2027-06-15T16:00:00Z'),
      );
    });
  });

  describe('with a calendar that cannot be right', () => {
    const noLessonsForYears: SchoolCalendar = {
      ...amsterdam,
      schoolDays: ['mon'],
      holidays: [{ from: '2027-01-01', to: '2028-12-31' }],
    };

    it('a calendar without a school day in the coming year is reported as a configuration error', () => {
      assert.throws(
        () => receivedAt(noLessonsForYears, '2027-01-12T06:00:00Z'),
        (error: unknown) =>
          isHwcError(error, 'config.invalid') && /no school day in the coming year/.test(error.message),
      );
    });

    it('a school day just over a year away is still found', () => {
      const longBreak: SchoolCalendar = {
        ...amsterdam,
        holidays: [{ from: '2027-01-01', to: '2028-01-30' }],
      };
      assert.equal(receivedAt(longBreak, '2027-01-01T06:00:00Z').date, '2028-01-31');
    });

    it('an unknown time zone is reported as a configuration error', () => {
      const nowhere: SchoolCalendar = { ...amsterdam, timeZone: 'Europe/Atlantis' };
      assert.throws(
        () => receivedAt(nowhere, '2027-01-12T06:00:00Z'),
        (error: unknown) => isHwcError(error, 'config.invalid'),
      );
    });
  });
});

describe('the next school day after a date', () => {
  it('a pupil absent on Friday is seen on Monday', () => {
    assert.deepEqual(nextSchoolDayAfter(amsterdam, '2027-01-15'), mondayInWinter);
  });

  it('the next school day is never the given day itself', () => {
    assert.deepEqual(nextSchoolDayAfter(amsterdam, '2027-01-12'), wednesdayInWinter);
  });

  it('a pupil absent before the Christmas break is seen after it', () => {
    const christmasBreak: SchoolCalendar = {
      ...amsterdam,
      holidays: [{ from: '2027-12-25', to: '2028-01-09' }],
    };
    assert.equal(nextSchoolDayAfter(christmasBreak, '2027-12-24').date, '2028-01-10');
  });

  it('a calendar without a school day in the coming year is reported as a configuration error', () => {
    const never: SchoolCalendar = {
      ...amsterdam,
      schoolDays: ['mon'],
      holidays: [{ from: '2027-01-01', to: '2028-12-31' }],
    };
    assert.throws(
      () => nextSchoolDayAfter(never, '2027-01-12'),
      (error: unknown) => isHwcError(error, 'config.invalid'),
    );
  });

  it('a malformed date is refused', () => {
    assert.throws(() => nextSchoolDayAfter(amsterdam, '12-01-2027'), RangeError);
  });
});

describe('local times and weekdays', () => {
  it('shows lesson start as the school’s wall-clock time in summer and in winter', () => {
    assert.equal(formatLocalTime(new Date('2027-03-29T06:30:00Z'), 'Europe/Amsterdam'), '08:30');
    assert.equal(formatLocalTime(new Date('2027-01-12T07:30:00Z'), 'Europe/Amsterdam'), '08:30');
    assert.equal(formatLocalTime(new Date('2027-06-15T07:30:00Z'), 'Europe/London'), '08:30');
  });

  it('names the weekday of a date', () => {
    assert.equal(weekdayOf('2027-03-29'), 'mon');
    assert.equal(weekdayOf('2027-03-28'), 'sun');
    assert.equal(weekdayOf('2028-02-29'), 'tue');
  });

  describe('latestLocalDate', () => {
    it('is the latest local date among the zones, so a date after it is in the future everywhere', () => {
      // 23:30 UTC on 22 November is already 23 November in Amsterdam, still 22 November in Curaçao.
      const instant = new Date('2026-11-22T23:30:00Z');
      assert.equal(latestLocalDate(['America/Curacao'], instant), '2026-11-22');
      assert.equal(latestLocalDate(['America/Curacao', 'Europe/Amsterdam'], instant), '2026-11-23');
    });
  });
});
