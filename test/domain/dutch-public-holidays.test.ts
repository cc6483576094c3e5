import assert from 'node:assert/strict';
import {
  dutchPublicHolidays,
  easterSunday,
  isDutchPublicHoliday,
} from '../../src/domain/dutch-public-holidays';

/**
 * Easter by another method than the product's (Knuth, The Art of Computer Programming 1.3.2,
 * exercise 14, after Lilius and Clavius), so the two check each other for every year.
 */
function knuthEaster(year: number): string {
  const golden = (year % 19) + 1;
  const century = Math.floor(year / 100) + 1;
  const x = Math.floor((3 * century) / 4) - 12;
  const z = Math.floor((8 * century + 5) / 25) - 5;
  const d = Math.floor((5 * year) / 4) - x - 10;
  let epact = (((11 * golden + 20 + z - x) % 30) + 30) % 30;
  if ((epact === 25 && golden > 11) || epact === 24) epact++;
  let n = 44 - epact;
  if (n < 21) n += 30;
  n = n + 7 - ((d + n) % 7);
  const [month, day] = n > 31 ? [4, n - 31] : [3, n];
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function holidaysOf(year: number): Record<string, string> {
  return Object.fromEntries(dutchPublicHolidays(year).map((h) => [h.name, h.date]));
}

describe('Dutch public holidays', () => {
  describe('Easter', () => {
    it('falls on the published dates', () => {
      const published: Array<[number, string]> = [
        [2000, '2000-04-23'],
        [2008, '2008-03-23'],
        [2019, '2019-04-21'],
        [2024, '2024-03-31'],
        [2025, '2025-04-20'],
        [2026, '2026-04-05'],
        [2027, '2027-03-28'],
        [2038, '2038-04-25'],
      ];
      for (const [year, date] of published) assert.equal(easterSunday(year), date, `Easter ${year}`);
    });

    it('is a Sunday from 22 March to 25 April in every Gregorian year, as another method finds it', () => {
      for (let year = 1583; year <= 4099; year++) {
        const easter = easterSunday(year);
        assert.equal(new Date(`${easter}T00:00:00Z`).getUTCDay(), 0, `Easter ${year} is a Sunday`);
        const monthDay = easter.slice(5);
        assert.ok(monthDay >= '03-22' && monthDay <= '04-25', `Easter ${year} (${easter}) in its range`);
        assert.equal(easter, knuthEaster(year), `Easter ${year} by both methods`);
      }
    });

    it('refuses a year the Gregorian calendar does not cover', () => {
      for (const year of [1582, 10000, 2026.5, Number.NaN]) {
        assert.throws(() => easterSunday(year), RangeError, `year ${year}`);
      }
    });
  });

  describe('the days of a year', () => {
    it('are those of 2026, in date order', () => {
      assert.deepEqual(dutchPublicHolidays(2026), [
        { date: '2026-01-01', name: 'Nieuwjaarsdag' },
        { date: '2026-04-05', name: 'Eerste Paasdag' },
        { date: '2026-04-06', name: 'Tweede Paasdag' },
        { date: '2026-04-27', name: 'Koningsdag' },
        { date: '2026-05-14', name: 'Hemelvaartsdag' },
        { date: '2026-05-24', name: 'Eerste Pinksterdag' },
        { date: '2026-05-25', name: 'Tweede Pinksterdag' },
        { date: '2026-12-25', name: 'Eerste Kerstdag' },
        { date: '2026-12-26', name: 'Tweede Kerstdag' },
      ]);
    });

    it('move with Easter: Ascension Day 39 days and Whit Monday 50 days after it', () => {
      const y2025 = holidaysOf(2025);
      assert.equal(y2025['Tweede Paasdag'], '2025-04-21', 'Easter Monday 2025');
      assert.equal(y2025['Hemelvaartsdag'], '2025-05-29', 'Ascension Day 2025');
      assert.equal(y2025['Tweede Pinksterdag'], '2025-06-09', 'Whit Monday 2025');
      const y2027 = holidaysOf(2027);
      assert.equal(y2027['Tweede Paasdag'], '2027-03-29', 'Easter Monday 2027');
      assert.equal(y2027['Hemelvaartsdag'], '2027-05-06', 'Ascension Day 2027');
      assert.equal(y2027['Eerste Pinksterdag'], '2027-05-16', 'Whit Sunday 2027');
    });

    it('put Koningsdag on Saturday 26 April when 27 April is a Sunday', () => {
      assert.equal(holidaysOf(2025)['Koningsdag'], '2025-04-26', '27 April 2025 is a Sunday');
      assert.equal(holidaysOf(2027)['Koningsdag'], '2027-04-27', '27 April 2027 is a Tuesday');
      assert.equal(holidaysOf(2031)['Koningsdag'], '2031-04-26', '27 April 2031 is a Sunday');
    });

    it('hold Bevrijdingsdag in lustrum years only, as the CAO PO does', () => {
      assert.equal(holidaysOf(2025)['Bevrijdingsdag'], '2025-05-05', 'lustrum 2025');
      assert.equal(holidaysOf(2030)['Bevrijdingsdag'], '2030-05-05', 'lustrum 2030');
      assert.equal(holidaysOf(2026)['Bevrijdingsdag'], undefined, 'no lustrum in 2026');
      assert.equal(isDutchPublicHoliday('2027-05-05'), false, '5 May 2027 is a school day');
    });

    it('leave out Good Friday, which each school decides for itself', () => {
      assert.equal(isDutchPublicHoliday('2026-04-03'), false, 'Goede Vrijdag 2026');
      assert.ok(!dutchPublicHolidays(2026).some((h) => /vrijdag/i.test(h.name)), 'no Goede Vrijdag');
    });
  });

  describe('one date', () => {
    it('is a holiday when it is one in its own year', () => {
      assert.equal(isDutchPublicHoliday('2029-01-01'), true, 'Nieuwjaarsdag 2029');
      assert.equal(isDutchPublicHoliday('2028-12-26'), true, 'Tweede Kerstdag 2028');
      assert.equal(isDutchPublicHoliday('2026-05-14'), true, 'Hemelvaartsdag 2026');
      assert.equal(isDutchPublicHoliday('2026-05-15'), false, 'the Friday after Ascension Day');
      assert.equal(isDutchPublicHoliday('2025-04-27'), false, 'the Sunday Koningsdag moved away from');
    });

    it('refuses a date that is not YYYY-MM-DD', () => {
      assert.throws(() => isDutchPublicHoliday('1-1-2026'), RangeError, 'a Dutch-style date');
    });
  });
});
