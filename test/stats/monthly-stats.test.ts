import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import fsPromises from 'node:fs/promises';
import path from 'node:path';
import sinon from 'sinon';
import type { CaseFigures } from '../../src/domain/case-figures';
import { HwcError } from '../../src/domain/errors';
import { histogramMedian, MAX_MONTHS_PER_SCHOOL, MonthlyStats } from '../../src/stats/monthly-stats';

// Invented school ids.
const NOORDSTER = 'de-noordster';
const ORANJE = 'oranjeschool';

function figures(overrides: Partial<CaseFigures> = {}): CaseFigures {
  return {
    schoolId: NOORDSTER,
    month: '2026-11',
    signals: 1,
    claimedBeforeLessons: 1,
    colleaguesInformed: 2,
    minutesToAcknowledge: [4, 13],
    ...overrides,
  };
}

const REPORT_KEYS = ['schools'];
const SCHOOL_KEYS = ['months', 'schoolId'];
const MONTH_KEYS = [
  'acknowledgements',
  'claimedBeforeLessons',
  'colleaguesInformed',
  'medianMinutesToAcknowledge',
  'month',
  'signals',
];

describe('monthly statistics', () => {
  describe('counting', () => {
    it('adds up signals, claims before lessons, colleagues informed and acknowledgements per school and month', () => {
      const stats = new MonthlyStats();
      stats.add(figures());
      stats.add(figures({ claimedBeforeLessons: 0, colleaguesInformed: 1, minutesToAcknowledge: [7] }));
      stats.add(figures({ month: '2026-10', minutesToAcknowledge: [] }));
      stats.add(figures({ schoolId: ORANJE, colleaguesInformed: 0, minutesToAcknowledge: [] }));
      assert.deepEqual(stats.report('all'), {
        schools: [
          {
            schoolId: NOORDSTER,
            months: [
              {
                month: '2026-10',
                signals: 1,
                claimedBeforeLessons: 1,
                colleaguesInformed: 2,
                acknowledgements: 0,
                medianMinutesToAcknowledge: null,
              },
              {
                month: '2026-11',
                signals: 2,
                claimedBeforeLessons: 1,
                colleaguesInformed: 3,
                acknowledgements: 3,
                medianMinutesToAcknowledge: 7,
              },
            ],
          },
          {
            schoolId: ORANJE,
            months: [
              {
                month: '2026-11',
                signals: 1,
                claimedBeforeLessons: 1,
                colleaguesInformed: 0,
                acknowledgements: 0,
                medianMinutesToAcknowledge: null,
              },
            ],
          },
        ],
      });
    });

    it('sorts by school, then month, whatever order the cases ended in', () => {
      const stats = new MonthlyStats();
      stats.add(figures({ schoolId: ORANJE, month: '2027-01' }));
      stats.add(figures({ schoolId: ORANJE, month: '2026-12' }));
      stats.add(figures({ schoolId: NOORDSTER, month: '2026-09' }));
      assert.deepEqual(
        stats.report('all').schools.map((s) => [s.schoolId, s.months.map((m) => m.month)]),
        [
          [NOORDSTER, ['2026-09']],
          [ORANJE, ['2026-12', '2027-01']],
        ],
      );
    });

    it('reports only the schools asked for, listing a school without figures with no months', () => {
      const stats = new MonthlyStats();
      stats.add(figures({ schoolId: NOORDSTER }));
      stats.add(figures({ schoolId: ORANJE }));
      assert.deepEqual(
        stats.report([ORANJE, 'de-regenboog']).schools.map((s) => [s.schoolId, s.months.length]),
        [
          ['de-regenboog', 0],
          [ORANJE, 1],
        ],
      );
    });

    it(`keeps the newest ${MAX_MONTHS_PER_SCHOOL} months of a school and drops the oldest`, () => {
      const stats = new MonthlyStats();
      for (let i = 0; i < MAX_MONTHS_PER_SCHOOL + 2; i++) {
        const month = `${2024 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
        stats.add(figures({ month }));
      }
      stats.add(figures({ schoolId: ORANJE, month: '2020-01' }));
      const months = stats.report([NOORDSTER]).schools[0]!.months.map((m) => m.month);
      assert.equal(months.length, MAX_MONTHS_PER_SCHOOL);
      assert.equal(months[0], '2024-03');
      assert.equal(months.at(-1), '2026-02');
      // Another school's months are its own.
      assert.deepEqual(
        stats.report([ORANJE]).schools[0]!.months.map((m) => m.month),
        ['2020-01'],
      );
    });

    it('refuses figures that are not figures, naming the field only', () => {
      const stats = new MonthlyStats();
      assert.throws(
        () => stats.add({ ...figures(), month: '2026-13' }),
        (error: Error) => error instanceof RangeError && /month/.test(error.message),
      );
      assert.throws(() => stats.add({ ...figures(), minutesToAcknowledge: [-1] }), RangeError);
      assert.throws(
        () => stats.add({ ...figures(), pupil: 'Jorinde Paddenburg' } as CaseFigures),
        (error: Error) => error instanceof RangeError && !error.message.includes('Jorinde'),
      );
      assert.deepEqual(stats.report('all'), { schools: [] });
    });

    it('reports no key other than the documented ones: nothing that identifies a pupil or a case', () => {
      const stats = new MonthlyStats();
      stats.add(figures());
      stats.add(figures({ schoolId: ORANJE, month: '2026-12' }));
      const report = stats.report('all');
      assert.deepEqual(Object.keys(report).sort(), REPORT_KEYS);
      for (const school of report.schools) {
        assert.deepEqual(Object.keys(school).sort(), SCHOOL_KEYS);
        for (const month of school.months) assert.deepEqual(Object.keys(month).sort(), MONTH_KEYS);
      }
    });
  });

  describe('the median minutes to acknowledge', () => {
    const median = (...values: number[]) => {
      const stats = new MonthlyStats();
      stats.add(figures({ minutesToAcknowledge: values }));
      return stats.report('all').schools[0]!.months[0]!.medianMinutesToAcknowledge;
    };

    it('is the middle value for an odd count', () => {
      assert.equal(median(30, 2, 9), 9);
      assert.equal(median(5), 5);
      assert.equal(median(1, 1, 1, 40, 40), 1);
    });

    it('is the mean of the two middle values for an even count, to one decimal', () => {
      assert.equal(median(4, 13), 8.5);
      assert.equal(median(1, 2, 3, 100), 2.5);
      assert.equal(median(6, 6, 7, 7), 6.5);
      assert.equal(median(3, 3), 3);
    });

    it('is null when nobody acknowledged', () => {
      assert.equal(median(), null);
      assert.equal(histogramMedian(new Map()), null);
    });

    it('is computed from the histogram across cases', () => {
      const stats = new MonthlyStats();
      stats.add(figures({ minutesToAcknowledge: [10] }));
      stats.add(figures({ minutesToAcknowledge: [2, 2] }));
      stats.add(figures({ minutesToAcknowledge: [50] }));
      const month = stats.report('all').schools[0]!.months[0]!;
      assert.equal(month.acknowledgements, 4);
      assert.equal(month.medianMinutesToAcknowledge, 6);
      assert.equal(
        histogramMedian(
          new Map([
            [20, 1],
            [3, 2],
          ]),
        ),
        3,
      );
    });
  });

  describe('the file (STATS_FILE)', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'hwc-stats-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    function configError(fn: () => unknown): string {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof HwcError, 'expected an HwcError');
        assert.equal(error.code, 'config.invalid');
        return error.message;
      }
      assert.fail('expected a configuration error');
    }

    it('starts empty when the file does not exist yet', () => {
      const stats = new MonthlyStats({ file: path.join(dir, 'stats.json') });
      assert.deepEqual(stats.report('all'), { schools: [] });
    });

    it('keeps the figures across a restart (round trip)', async () => {
      const file = path.join(dir, 'stats.json');
      const first = new MonthlyStats({ file });
      first.add(figures());
      first.add(figures({ minutesToAcknowledge: [7] }));
      first.add(figures({ schoolId: ORANJE, month: '2026-12', claimedBeforeLessons: 0 }));
      await first.flush();
      const second = new MonthlyStats({ file });
      assert.deepEqual(second.report('all'), first.report('all'));
      second.add(figures());
      await second.flush();
      assert.equal(new MonthlyStats({ file }).report([NOORDSTER]).schools[0]!.months[0]!.signals, 3);
    });

    it('holds only the aggregate: counts and a histogram of minutes, not one entry per case', async () => {
      const file = path.join(dir, 'stats.json');
      const stats = new MonthlyStats({ file });
      stats.add(figures({ minutesToAcknowledge: [4, 13] }));
      stats.add(figures({ minutesToAcknowledge: [4] }));
      await stats.flush();
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
        version: 1,
        schools: {
          [NOORDSTER]: {
            '2026-11': {
              signals: 2,
              claimedBeforeLessons: 2,
              colleaguesInformed: 4,
              minutesToAcknowledge: { '4': 2, '13': 1 },
            },
          },
        },
      });
    });

    it('writes atomically through <file>.tmp and leaves no temporary file behind', async () => {
      const file = path.join(dir, 'stats.json');
      const stats = new MonthlyStats({ file });
      stats.add(figures());
      // Nothing half-written is ever at the file's own path: before the rename there is no file.
      assert.equal(existsSync(file), false);
      await stats.flush();
      assert.deepEqual(readdirSync(dir), ['stats.json']);
      JSON.parse(readFileSync(file, 'utf8'));
    });

    it('replaces the file by renaming <file>.tmp over it', async () => {
      const file = path.join(dir, 'stats.json');
      const first = new MonthlyStats({ file });
      first.add(figures());
      await first.flush();
      const renames = sinon.spy(fsPromises, 'rename');
      try {
        const stats = new MonthlyStats({ file });
        stats.add(figures({ schoolId: ORANJE }));
        await stats.flush();
        assert.deepEqual(renames.args, [[`${file}.tmp`, file]]);
      } finally {
        renames.restore();
      }
      assert.equal(new MonthlyStats({ file }).report('all').schools.length, 2);
    });

    it('ignores a half-written <file>.tmp left by a crash, and replaces it', async () => {
      const file = path.join(dir, 'stats.json');
      writeFileSync(`${file}.tmp`, '{"version": 1, "scho');
      const stats = new MonthlyStats({ file });
      stats.add(figures());
      await stats.flush();
      assert.deepEqual(readdirSync(dir), ['stats.json']);
      assert.equal(new MonthlyStats({ file }).report('all').schools[0]!.months[0]!.signals, 1);
    });

    it('serializes writes: adds made while a write is under way all end up in the file', async () => {
      const file = path.join(dir, 'stats.json');
      const stats = new MonthlyStats({ file });
      const { open, rename } = fsPromises;
      let writing = 0;
      let mostAtOnce = 0;
      let writes = 0;
      const opens = sinon.stub(fsPromises, 'open').callsFake(async (...args: Parameters<typeof open>) => {
        writing++;
        writes++;
        mostAtOnce = Math.max(mostAtOnce, writing);
        return open(...args);
      });
      const renames = sinon
        .stub(fsPromises, 'rename')
        .callsFake(async (...args: Parameters<typeof rename>) => {
          await rename(...args);
          writing--;
        });
      try {
        for (let i = 0; i < 20; i++) {
          stats.add(figures({ minutesToAcknowledge: [i] }));
          if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        await Promise.all([stats.flush(), stats.flush()]);
      } finally {
        opens.restore();
        renames.restore();
      }
      assert.equal(mostAtOnce, 1, 'one write at a time');
      assert.ok(writes >= 2 && writes < 20, `adds of one turn share a write (${writes} writes)`);
      const reread = new MonthlyStats({ file });
      assert.equal(reread.report('all').schools[0]!.months[0]!.signals, 20);
      assert.equal(reread.report('all').schools[0]!.months[0]!.acknowledgements, 20);
      assert.deepEqual(readdirSync(dir), ['stats.json']);
    });

    it('names STATS_FILE and the file, not its contents, when the file is not JSON', () => {
      const file = path.join(dir, 'stats.json');
      writeFileSync(file, '{"schools": {"geheim-lotte-van-beusekom": ');
      const message = configError(() => new MonthlyStats({ file }));
      assert.match(message, /^STATS_FILE: /);
      assert.ok(message.includes(file));
      assert.ok(!message.includes('geheim'));
    });

    it('names STATS_FILE and the file, not its contents, when the file does not match the format', () => {
      const file = path.join(dir, 'stats.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: 1,
          schools: { [NOORDSTER]: { '2026-11': { signals: 1, pupil: 'Lotte van Beusekom' } } },
        }),
      );
      const message = configError(() => new MonthlyStats({ file }));
      assert.match(message, /^STATS_FILE: /);
      assert.ok(message.includes(file));
      assert.ok(!message.includes('Lotte') && !message.includes('pupil') && !message.includes(NOORDSTER));
    });

    it('refuses a file in a folder that does not exist, at start rather than at the first write', () => {
      const file = path.join(dir, 'missing-folder', 'stats.json');
      assert.match(
        configError(() => new MonthlyStats({ file })),
        /^STATS_FILE: .*missing-folder.* folder that does not exist/,
      );
    });

    it('says when the file cannot be written, naming STATS_FILE, and writes it with the next try', async () => {
      const file = path.join(dir, 'stats.json');
      const stats = new MonthlyStats({ file });
      // A folder where the temporary file should go makes the write fail.
      const blocker = `${file}.tmp`;
      mkdirSync(blocker);
      stats.add(figures());
      await assert.rejects(stats.flush(), /STATS_FILE: cannot write .*stats\.json/);
      rmSync(blocker, { recursive: true });
      await stats.flush();
      assert.equal(new MonthlyStats({ file }).report('all').schools[0]!.months[0]!.signals, 1);
    });
  });
});
