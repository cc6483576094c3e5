import assert from 'node:assert/strict';
import { isToday, localDateOf } from '../../src/domain/local-date';

describe("a school's local date", () => {
  it('is the date on the wall in the school’s zone, also around midnight and DST', () => {
    const cases: [string, string, string][] = [
      ['2026-11-30T22:59:59Z', 'Europe/Amsterdam', '2026-11-30'],
      ['2026-11-30T23:00:00Z', 'Europe/Amsterdam', '2026-12-01'],
      ['2026-03-29T00:30:00Z', 'Europe/Amsterdam', '2026-03-29'],
      ['2026-10-24T22:30:00Z', 'Europe/Amsterdam', '2026-10-25'],
      ['2026-12-31T23:30:00Z', 'Europe/Amsterdam', '2027-01-01'],
      ['2026-06-30T12:30:00Z', 'Pacific/Auckland', '2026-07-01'],
      ['2026-01-01T03:00:00Z', 'America/Curacao', '2025-12-31'],
    ];
    for (const [instant, zone, expected] of cases) {
      assert.equal(localDateOf(new Date(instant), zone), expected, `${instant} in ${zone}`);
    }
  });

  it('says whether a date is today there', () => {
    const now = new Date('2026-11-30T23:30:00Z');
    assert.equal(isToday('2026-12-01', now, 'Europe/Amsterdam'), true, 'already Tuesday in Amsterdam');
    assert.equal(isToday('2026-11-30', now, 'Europe/Amsterdam'), false, 'not Monday any more');
  });
});
