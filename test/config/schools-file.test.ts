import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stringify as toYaml } from 'yaml';
import { loadSchoolsFile } from '../../src/config/app-config';
import { createDirectories } from '../../src/directory/create-directory';
import { warnCoordinatorsMissingFromStaff } from '../../src/directory/roster-csv-directory';
import { nextSchoolDayAfter } from '../../src/domain/calendar';
import { HwcError } from '../../src/domain/errors';
import { coordinatorsMissingFromStaff, type School } from '../../src/domain/school';
import { createLogger } from '../../src/logging/logger';
import { testSchool } from '../support/fixtures';

// Every person and school here is invented.
const coordinatorId = '0b7f4c2e-1d3a-4e5f-8a9b-0c1d2e3f4a5b';
const deputyId = '2d9b6e40-3f5c-4071-8cbd-2e3f4a5b6c7d';
const teacherId = '6b1f0a84-7394-44b5-8c0f-6c7d8e9fa0b1';
const mistypedId = '9e4f3d2c-1b0a-4987-8654-3210fedcba98';

const school = {
  id: 'de-regenboog',
  name: 'Basisschool De Regenboog',
  lessonStart: '08:30',
  dayEnd: '15:00',
  coordinators: [{ id: coordinatorId, name: 'Wilma Ravenstein' }],
};

class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
}

describe('the schools file', () => {
  let dir: string;
  let counter = 0;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-schools-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(content: unknown, name = `schools-${counter++}.yaml`): string {
    const file = path.join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : toYaml(content));
    return file;
  }

  function problemsOf(content: unknown): string[] {
    try {
      loadSchoolsFile(write(content));
    } catch (error) {
      assert.ok(error instanceof HwcError, 'expected an HwcError');
      assert.equal(error.code, 'config.invalid', 'expected a configuration error');
      return error.message
        .split('\n')
        .filter((line) => line.startsWith('  - '))
        .map((line) => line.slice(4));
    }
    assert.fail('expected the schools file to be refused');
  }

  describe('staff ids', () => {
    it('refuses an e-mail address as a coordinator’s id, naming school and field but not the address', () => {
      const problems = problemsOf({
        schools: [
          school,
          { ...school, id: 'de-linde', coordinators: [{ id: 'w.ravenstein@linde.example', name: 'W' }] },
        ],
      });
      assert.equal(problems.length, 1, `one problem, got: ${problems.join(' | ')}`);
      const [problem = ''] = problems;
      assert.match(problem, /schools\.1\.coordinators\.0\.id: expected the Entra object id \(a GUID such as/);
      assert.match(problem, /not an e-mail address or name/, 'says what it is not');
      assert.match(problem, /\(school de-linde\)$/, 'names the school by its id');
      assert.ok(!problem.includes('ravenstein'), 'the address is not repeated');
    });

    it('refuses a name as the id of a deputy or of someone who may type in signals', () => {
      const problems = problemsOf({
        schools: [
          {
            ...school,
            deputies: [{ id: 'Anouk Zwaneveld', name: 'Anouk Zwaneveld' }],
            intakeUsers: [{ id: '2d9b6e40-3f5c-4071-8cbd', name: 'Pieter Lindeboom' }],
          },
        ],
      });
      assert.equal(problems.length, 2, `two problems, got: ${problems.join(' | ')}`);
      assert.match(
        problems[0] ?? '',
        /^SCHOOLS_FILE \(.*\): schools\.0\.deputies\.0\.id: expected the Entra object id/,
      );
      assert.match(problems[1] ?? '', /schools\.0\.intakeUsers\.0\.id: expected the Entra object id/);
      assert.ok(!problems.join('\n').includes('Zwaneveld'), 'the name is not repeated');
    });

    it('accepts an object id in capitals and keeps it in lowercase, as Teams sends it', () => {
      const file = write({
        schools: [{ ...school, coordinators: [{ id: coordinatorId.toUpperCase(), name: 'W' }] }],
      });
      const [loaded] = loadSchoolsFile(file).schools;
      assert.equal(loaded?.coordinators[0]?.id, coordinatorId, 'the id in lowercase');
    });
  });

  describe('times of the school day', () => {
    it('reports a time that is not HH:mm once, without a second complaint about the order', () => {
      const problems = problemsOf({ schools: [{ ...school, lessonStart: '8:30' }] });
      assert.equal(problems.length, 1, `exactly one problem, got: ${problems.join(' | ')}`);
      assert.match(problems[0] ?? '', /schools\.0\.lessonStart: expected a time as HH:mm/);
    });

    it('still reports lessons that start after the day ends', () => {
      const problems = problemsOf({ schools: [{ ...school, lessonStart: '15:30' }] });
      assert.deepEqual(
        problems.map((p) => p.replace(/^SCHOOLS_FILE \(.*?\): /, '')),
        ['schools.0.dayEnd: lessonStart must be before dayEnd (school de-regenboog)'],
      );
    });

    it('reports the order of the times next to a problem elsewhere in the school', () => {
      const problems = problemsOf({
        schools: [{ ...school, lessonStart: '15:30', name: 42 }],
      });
      assert.ok(
        problems.some((p) => p.includes('lessonStart must be before dayEnd')),
        `the order is reported too, got: ${problems.join(' | ')}`,
      );
    });
  });

  describe('the procedure', () => {
    it('is talk first when the school does not say, as before procedures existed', () => {
      const [loaded] = loadSchoolsFile(write({ schools: [school] })).schools;
      assert.equal(loaded?.procedure, 'talk-first');
    });

    it('accepts teacher first, for one school and not the next', () => {
      const [regenboog, linde] = loadSchoolsFile(
        write({
          schools: [
            { ...school, procedure: 'teacher-first' },
            { ...school, id: 'de-linde', procedure: 'talk-first' },
          ],
        }),
      ).schools;
      assert.equal(regenboog?.procedure, 'teacher-first');
      assert.equal(linde?.procedure, 'talk-first');
    });

    it('refuses another value, naming the school, the field and what is expected', () => {
      const problems = problemsOf({
        schools: [school, { ...school, id: 'de-linde', procedure: 'teacher_first' }],
      });
      assert.equal(problems.length, 1, `one problem, got: ${problems.join(' | ')}`);
      assert.match(
        problems[0] ?? '',
        /^SCHOOLS_FILE \(.*\): schools\.1\.procedure: expected 'talk-first' or 'teacher-first' \(school de-linde\)$/,
      );
    });

    it('refuses a procedure that is not a word at all', () => {
      const problems = problemsOf({ schools: [{ ...school, procedure: true }] });
      assert.equal(problems.length, 1, `one problem, got: ${problems.join(' | ')}`);
      assert.match(problems[0] ?? '', /schools\.0\.procedure: expected 'talk-first' or 'teacher-first'/);
    });
  });

  describe('the BRIN code and the mailbox', () => {
    const mail = {
      mailbox: 'HWC@bs-de-regenboog.example',
      allowedSenders: [
        { address: 'signalen@veiligthuis-regio.example', source: 'veilig-thuis' },
        { domain: 'Politie-Regio.example', source: 'police' },
      ],
    };

    it('keeps a BRIN code in capitals, addresses and domains in lowercase, and receipts off', () => {
      const [loaded] = loadSchoolsFile(
        write({ schools: [{ ...school, brin: '12ab', vestiging: '01', mail }] }),
      ).schools;
      assert.equal(loaded?.brin, '12AB');
      assert.equal(loaded?.vestiging, '01');
      assert.equal(loaded?.mail?.mailbox, 'hwc@bs-de-regenboog.example');
      assert.deepEqual(loaded?.mail?.allowedSenders, [
        { address: 'signalen@veiligthuis-regio.example', source: 'veilig-thuis' },
        { domain: 'politie-regio.example', source: 'police' },
      ]);
      assert.equal(loaded?.mail?.receipts, false, 'answers to senders are off unless asked for');
    });

    it('refuses a BRIN code that is not one, and a vestiging without a BRIN', () => {
      const problems = problemsOf({
        schools: [
          { ...school, brin: 'ABCD' },
          { ...school, id: 'de-linde', vestiging: '01' },
        ],
      });
      assert.equal(problems.length, 2, `two problems, got: ${problems.join(' | ')}`);
      assert.match(problems[0] ?? '', /schools\.0\.brin: expected a BRIN code: two digits and two letters/);
      assert.match(problems[1] ?? '', /schools\.1\.vestiging: a vestiging needs the brin it belongs to/);
    });

    it('refuses two schools with one BRIN, or one recipient address, naming both schools', () => {
      const problems = problemsOf({
        schools: [
          { ...school, brin: '12AB', mail },
          { ...school, id: 'de-linde', brin: '12ab', mail },
        ],
      });
      assert.equal(problems.length, 2, `two problems, got: ${problems.join(' | ')}`);
      assert.match(
        problems[0] ?? '',
        /schools\.1\.brin: school de-linde has the same BRIN as school de-regenboog/,
      );
      assert.match(
        problems[1] ?? '',
        /schools\.1\.mail: school de-linde has the same recipient as school de-regenboog/,
      );
    });

    it('lets one board-wide mailbox serve two schools through their own recipient addresses', () => {
      const shared = { ...mail, mailbox: 'hwc@bestuur.example' };
      const loaded = loadSchoolsFile(
        write({
          schools: [
            { ...school, mail: { ...shared, recipient: 'regenboog.hwc@bestuur.example' } },
            { ...school, id: 'de-linde', mail: { ...shared, recipient: 'linde.hwc@bestuur.example' } },
          ],
        }),
      ).schools;
      assert.deepEqual(
        loaded.map((s) => s.mail?.recipient),
        ['regenboog.hwc@bestuur.example', 'linde.hwc@bestuur.example'],
      );
    });

    it('refuses a mailbox without allowed senders, and a sender without a source', () => {
      const problems = problemsOf({
        schools: [
          { ...school, mail: { ...mail, allowedSenders: [] } },
          { ...school, id: 'de-linde', mail: { ...mail, allowedSenders: [{ address: 'x@y.example' }] } },
        ],
      });
      assert.equal(problems.length, 2, `two problems, got: ${problems.join(' | ')}`);
      assert.match(problems[0] ?? '', /schools\.0\.mail\.allowedSenders: list at least one allowed sender/);
      assert.match(problems[1] ?? '', /schools\.1\.mail\.allowedSenders\.0/);
    });
  });

  describe('shared calendars', () => {
    const board = {
      calendars: {
        'regio-zuid': {
          publicHolidays: true,
          holidays: [{ from: '2026-12-19', to: '2027-01-03', name: 'Kerstvakantie' }],
        },
      },
      schools: [
        {
          ...school,
          calendar: 'regio-zuid',
          holidays: [{ from: '2027-02-03', to: '2027-02-03', name: 'Studiedag' }],
        },
        {
          ...school,
          id: 'de-linde',
          name: 'Basisschool De Linde',
          calendar: 'regio-zuid',
          holidays: [{ from: '2027-03-10', to: '2027-03-10', name: 'Studiedag' }],
        },
      ],
    };

    it('gives each school the calendar’s holidays plus its own study days', () => {
      const [regenboog, linde] = loadSchoolsFile(write(board)).schools;
      assert.deepEqual(regenboog?.holidays, [
        { from: '2026-12-19', to: '2027-01-03', name: 'Kerstvakantie' },
        { from: '2027-02-03', to: '2027-02-03', name: 'Studiedag' },
      ]);
      assert.deepEqual(linde?.holidays, [
        { from: '2026-12-19', to: '2027-01-03', name: 'Kerstvakantie' },
        { from: '2027-03-10', to: '2027-03-10', name: 'Studiedag' },
      ]);
      assert.equal(regenboog?.publicHolidays, true, 'public holidays from the calendar');
      assert.ok(!('calendar' in (regenboog ?? {})), 'the resolved school does not carry the calendar name');
    });

    it('closes a school on its study day and on the computed public holidays, not on the other school’s', () => {
      const [regenboog, linde] = loadSchoolsFile(write(board)).schools as [School, School];
      assert.equal(nextSchoolDayAfter(regenboog, '2027-02-02').date, '2027-02-04', 'De Regenboog: study day');
      assert.equal(nextSchoolDayAfter(linde, '2027-02-02').date, '2027-02-03', 'De Linde is open');
      // Tweede Paasdag 2027 is Monday 29 March.
      assert.equal(nextSchoolDayAfter(linde, '2027-03-26').date, '2027-03-30', 'Easter Monday');
    });

    it('lets a school switch public holidays off that its calendar switches on', () => {
      const [, linde] = loadSchoolsFile(
        write({ ...board, schools: [board.schools[0], { ...board.schools[1], publicHolidays: false }] }),
      ).schools;
      assert.equal(linde?.publicHolidays, false, 'the school’s own setting wins');
    });

    it('refuses a school that names a calendar the file does not define, naming school and calendar', () => {
      const problems = problemsOf({
        ...board,
        schools: [board.schools[0], { ...board.schools[1], calendar: 'regio-noord' }],
      });
      assert.equal(problems.length, 1, `one problem, got: ${problems.join(' | ')}`);
      assert.match(
        problems[0] ?? '',
        /schools\.1\.calendar: school de-linde names calendar 'regio-noord', which is not under calendars \(there: regio-zuid\)$/,
      );
    });

    it('refuses an unknown setting in a calendar rather than ignoring a typo', () => {
      const problems = problemsOf({
        calendars: { 'regio-zuid': { publicHoliday: true } },
        schools: [{ ...school, calendar: 'regio-zuid' }],
      });
      assert.ok(
        problems.some((p) => /calendars\.regio-zuid/.test(p) && /publicHoliday/.test(p)),
        `names the calendar and the key, got: ${problems.join(' | ')}`,
      );
    });

    it('keeps a file without calendars as it was: own holidays only, public holidays off', () => {
      const [loaded] = loadSchoolsFile(
        write({ schools: [{ ...school, holidays: [{ from: '2027-04-27', to: '2027-04-27' }] }] }),
      ).schools;
      assert.deepEqual(loaded?.holidays, [{ from: '2027-04-27', to: '2027-04-27' }]);
      assert.equal(loaded?.publicHolidays, false, 'public holidays are off unless switched on');
    });

    it('reads a resolved school, written back as JSON, as the same school', () => {
      const file = write(
        JSON.stringify({ schools: [{ ...testSchool, publicHolidays: true }] }),
        'resolved.json',
      );
      assert.deepEqual(loadSchoolsFile(file).schools, [{ ...testSchool, publicHolidays: true }]);
    });
  });

  describe('coordinators missing from the staff file', () => {
    it('lists the coordinators and deputies whose ids the staff list does not hold', () => {
      const loaded: School = {
        ...testSchool,
        coordinators: [{ id: coordinatorId, name: 'W' }],
        deputies: [
          { id: deputyId, name: 'A' },
          { id: mistypedId, name: 'B' },
        ],
      };
      assert.deepEqual(coordinatorsMissingFromStaff(loaded, new Set([coordinatorId, teacherId])), [
        { role: 'deputy', id: deputyId },
        { role: 'deputy', id: mistypedId },
      ]);
      assert.deepEqual(
        coordinatorsMissingFromStaff(loaded, new Set([coordinatorId, deputyId, mistypedId])),
        [],
      );
    });

    it('finds nobody missing in the demo school, whose coordinator and deputy are in its staff file', async () => {
      const { path: schoolsFile, schools } = loadSchoolsFile('config/demo-schools.yaml');
      const out = new LogLines();
      const directory = createDirectories(schools, path.dirname(schoolsFile));
      const missing = await warnCoordinatorsMissingFromStaff(
        schools,
        directory,
        createLogger({ destination: out }),
      );
      assert.deepEqual(missing, [], 'nobody missing');
      assert.deepEqual(out.lines, [], 'no warning');
    });

    it('warns at start-up with school, role and id, and without a name', async () => {
      writeFileSync(
        path.join(dir, 'pupils.csv'),
        'naam;geboortedatum;groep\nBeusekom, Lotte van;12-04-2016;groep 5\n',
      );
      writeFileSync(
        path.join(dir, 'staff.csv'),
        `naam;entra_object_id;groepen\nWilma Ravenstein;${coordinatorId};\nMarloes Tjallema;${teacherId};groep 5\n`,
      );
      const file = write({
        schools: [
          {
            ...school,
            deputies: [{ id: mistypedId, name: 'Anouk Zwaneveld' }],
            directory: { type: 'roster-csv', pupils: 'pupils.csv', staff: 'staff.csv' },
          },
          { ...school, id: 'zonder-lijst', deputies: [{ id: mistypedId, name: 'Anouk Zwaneveld' }] },
        ],
      });
      const { path: schoolsFile, schools } = loadSchoolsFile(file);
      const directory = createDirectories(schools, path.dirname(schoolsFile));
      const out = new LogLines();

      const missing = await warnCoordinatorsMissingFromStaff(
        schools,
        directory,
        createLogger({ destination: out }),
      );

      assert.deepEqual(missing, [{ schoolId: 'de-regenboog', role: 'deputy', id: mistypedId }]);
      assert.equal(out.lines.length, 1, 'one warning: a school without a staff list is not checked');
      const line = JSON.parse(out.lines[0] ?? '{}') as Record<string, unknown>;
      assert.equal(line['level'], 'warn', 'a warning, not an error');
      assert.equal(line['schoolId'], 'de-regenboog', 'names the school');
      assert.equal(line['role'], 'deputy', 'names the role');
      assert.equal(line['staffId'], mistypedId, 'names the id');
      assert.ok(!(out.lines[0] ?? '').includes('Zwaneveld'), 'no name in the log');
    });
  });
});
