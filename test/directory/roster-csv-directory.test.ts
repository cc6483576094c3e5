import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadSchoolsFile } from '../../src/config/app-config';
import { createDirectories } from '../../src/directory/create-directory';
import { parseExportDate, RosterCsvDirectory } from '../../src/directory/roster-csv-directory';
import { HwcError } from '../../src/domain/errors';
import { createLogger } from '../../src/logging/logger';

// Every name here is invented.
const SCHOOL = 'de-linde';
const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';
const T3 = '33333333-3333-4333-8333-333333333333';

class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
}

const staffCsv = [
  'naam;entra_object_id;groepen;email',
  `Wendy Kroeze;${T1};Groep 5;wendy.kroeze@linde.example`,
  `Karim Bouzid;${T2};groep 5|groep 7;`,
  `Anke Visscher;${T3};;`,
].join('\n');

describe('roster CSV directory', () => {
  let dir: string;
  let counter = 0;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-roster-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(content: string | Buffer, name = `f${counter++}.csv`): string {
    const full = path.join(dir, name);
    writeFileSync(full, content);
    return full;
  }

  function load(pupils: string | Buffer, staff: string | Buffer = staffCsv, log?: LogLines) {
    return RosterCsvDirectory.load({
      schoolId: SCHOOL,
      pupilsFile: file(pupils, 'pupils.csv'),
      staffFile: file(staff, 'staff.csv'),
      ...(log ? { log: createLogger({ destination: log, level: 'debug' }) } : {}),
    });
  }

  function loadError(pupils: string, staff: string = staffCsv): HwcError {
    try {
      load(pupils, staff);
    } catch (error) {
      assert.ok(error instanceof HwcError, 'expected an HwcError');
      assert.equal(error.code, 'config.invalid');
      return error;
    }
    assert.fail('expected the files to be refused');
  }

  describe('finding a pupil', () => {
    it('suggests the group teachers of the pupil in an export-style file', async () => {
      const directory = load(
        [
          'naam;geboortedatum;groep',
          'Beusekom, Lotte van;12-04-2016;groep 5',
          'Zwartjes, Milan;03-11-2016;groep 7',
        ].join('\n'),
      );
      const found = await directory.findPupil(SCHOOL, {
        name: 'Lotte van Beusekom',
        birthDate: '2016-04-12',
      });
      assert.equal(found?.group, 'groep 5');
      assert.deepEqual(found?.teachers.map((t) => t.name).sort(), ['Karim Bouzid', 'Wendy Kroeze']);
      assert.deepEqual(
        (await directory.findPupil(SCHOOL, { name: 'Milan Zwartjes', birthDate: '2016-11-03' }))?.teachers,
        [{ id: T2, name: 'Karim Bouzid' }],
      );
    });

    it('reads split name columns, a comma delimiter, a byte-order mark and header names in any case', async () => {
      const directory = load(
        '\uFEFFRoepnaam,Voornamen,Tussenvoegsel,Achternaam,GeboorteDatum,GROEP\n' +
          'Jan,Johannes Pieter,de,Vries,2015-09-03,groep 5\n',
      );
      for (const name of ['Jan de Vries', 'Johannes Pieter de Vries', 'Vries, Jan de']) {
        const found = await directory.findPupil(SCHOOL, { name, birthDate: '2015-09-03' });
        assert.equal(found?.group, 'groep 5', name);
      }
    });

    it('when two pupils share birth date and surname, each is found by first name', async () => {
      const directory = load(
        [
          'roepnaam;tussenvoegsel;achternaam;geboortedatum;groep',
          'Jan;de;Vries;3-9-2015;groep 5',
          'Piet;de;Vries;3-9-2015;groep 7',
        ].join('\n'),
      );
      assert.equal(
        (await directory.findPupil(SCHOOL, { name: 'Jan de Vries', birthDate: '2015-09-03' }))?.group,
        'groep 5',
      );
      assert.equal(
        (await directory.findPupil(SCHOOL, { name: 'Piet de Vries', birthDate: '2015-09-03' }))?.group,
        'groep 7',
      );
    });

    it('matches names with or without diacritics, also from a Windows-1252 export', async () => {
      const directory = load(
        Buffer.from('naam;geboortedatum;groep\r\nÇelik, Zoë;01.02.2016;groep 5\r\n', 'latin1'),
      );
      const found = await directory.findPupil(SCHOOL, { name: 'Zoe Celik', birthDate: '2016-02-01' });
      assert.equal(found?.group, 'groep 5');
    });

    it('gives no suggestion for an ambiguous match, a wrong birth date, an unknown pupil or another school', async () => {
      const directory = load(
        ['naam;geboortedatum;groep', 'Bakker, Sem;2017-06-30;groep 5', 'Sem Bakker;2017-06-30;groep 7'].join(
          '\n',
        ),
      );
      assert.equal(
        await directory.findPupil(SCHOOL, { name: 'Sem Bakker', birthDate: '2017-06-30' }),
        undefined,
      );
      assert.equal(
        await directory.findPupil(SCHOOL, { name: 'Sem Bakker', birthDate: '2017-06-29' }),
        undefined,
      );
      assert.equal(
        await directory.findPupil(SCHOOL, { name: 'Fenna Dijkhuis', birthDate: '2017-06-30' }),
        undefined,
      );
      assert.equal(
        await directory.findPupil('other-school', { name: 'Sem Bakker', birthDate: '2017-06-30' }),
        undefined,
      );
      assert.deepEqual(await directory.staff('other-school'), []);
    });

    it('lists the staff by name, including those who teach no group', async () => {
      const directory = load('naam;geboortedatum;groep\nBakker, Sem;2017-06-30;groep 5\n');
      assert.deepEqual(await directory.staff(SCHOOL), [
        { id: T3, name: 'Anke Visscher' },
        { id: T2, name: 'Karim Bouzid' },
        { id: T1, name: 'Wendy Kroeze' },
      ]);
    });

    it('names someone picked in the people picker from the staff list, and no one it does not know', async () => {
      const directory = load('naam;geboortedatum;groep\nBakker, Sem;2017-06-30;groep 5\n');
      assert.equal(await directory.nameOf(SCHOOL, T2), 'Karim Bouzid');
      assert.equal(await directory.nameOf(SCHOOL, '00000000-0000-4000-8000-000000000000'), undefined);
      assert.equal(await directory.nameOf('another-school', T2), undefined);
    });
  });

  describe('a file that cannot be used stops the start', () => {
    it('names file, line and column of a bad date, never the cell or the pupil', () => {
      const error = loadError(
        [
          'naam;geboortedatum;groep',
          'Bakker, Sem;2017-06-30;groep 5',
          'Dijkhuis, Fenna;31-02-2016;groep 5',
        ].join('\n'),
      );
      assert.match(error.message, /pupils file .*pupils\.csv, line 3, column 2 \(geboortedatum\)/);
      assert.doesNotMatch(error.message, /Dijkhuis|Fenna|31-02-2016|Bakker/);
    });

    it('names the line where an unquoted comma splits a name into an extra cell', () => {
      const error = loadError('naam,geboortedatum,groep\nHooft, Fenna,2018-09-08,groep 3\n');
      assert.match(error.message, /line 2: has 4 cells, the header only 3 columns/);
      assert.doesNotMatch(error.message, /Hooft|Fenna/);
    });

    it('does not pass on the CSV parser’s message, which can quote a cell', () => {
      const error = loadError('naam;geboortedatum;groep\nBak"ker, Sem;2017-06-30;groep 5\n');
      assert.match(error.message, /line 2: a quote inside an unquoted cell/);
      assert.doesNotMatch(error.message, /Bak|Sem/);
    });

    it('names a missing column', () => {
      assert.match(loadError('naam;groep\nBakker, Sem;groep 5\n').message, /no column 'geboortedatum'/);
      assert.match(loadError('naam;geboortedatum\nBakker, Sem;2017-06-30\n').message, /no column 'groep'/);
    });

    it('names an empty name or group cell', () => {
      assert.match(
        loadError('naam;geboortedatum;groep\n;2017-06-30;groep 5\n').message,
        /line 2, column 1 \(naam\): is empty/,
      );
      assert.match(
        loadError('naam;geboortedatum;groep\nBakker, Sem;2017-06-30;\n').message,
        /line 2, column 3 \(groep\): is empty/,
      );
    });

    it('refuses a staff id that is not a GUID, a repeated id, and groups separated by commas', () => {
      const pupils = 'naam;geboortedatum;groep\nBakker, Sem;2017-06-30;groep 5\n';
      const notGuid = loadError(pupils, 'naam;entra_object_id;groepen\nWendy Kroeze;wendy@linde;groep 5\n');
      assert.match(
        notGuid.message,
        /staff file .*staff\.csv, line 2, column 2 \(entra_object_id\): expected a GUID/,
      );
      assert.doesNotMatch(notGuid.message, /wendy@linde/);
      assert.match(
        loadError(pupils, `naam;entra_object_id;groepen\nA B;${T1};groep 5\nC D;${T1};groep 7\n`).message,
        /line 3, column 2 \(entra_object_id\): the same Entra object id as line 2/,
      );
      assert.match(
        loadError(pupils, `naam;entra_object_id;groepen\nA B;${T1};"groep 5, groep 7"\n`).message,
        /line 2, column 3 \(groepen\): separate groups with '\|'/,
      );
    });

    it('names a file that is missing', () => {
      assert.throws(
        () =>
          RosterCsvDirectory.load({
            schoolId: SCHOOL,
            pupilsFile: path.join(dir, 'nope.csv'),
            staffFile: file(staffCsv),
          }),
        /pupils file .*nope\.csv cannot be read \(ENOENT\)/,
      );
    });
  });

  describe('a fresh export is picked up without a restart', () => {
    function touch(full: string, secondsAhead: number): void {
      const when = new Date(Date.now() + secondsAhead * 1000);
      utimesSync(full, when, when);
    }

    it('rereads a changed file, and keeps the last good one when the new one is not valid', async () => {
      const logs = new LogLines();
      const directory = load('naam;geboortedatum;groep\nBakker, Sem;2017-06-30;groep 5\n', staffCsv, logs);
      const pupils = path.join(dir, 'pupils.csv');
      const sem = { name: 'Sem Bakker', birthDate: '2017-06-30' };
      const mila = { name: 'Mila Bos', birthDate: '2016-03-14' };
      assert.equal((await directory.findPupil(SCHOOL, sem))?.group, 'groep 5');
      assert.equal(await directory.findPupil(SCHOOL, mila), undefined);

      writeFileSync(
        pupils,
        'naam;geboortedatum;groep\nBakker, Sem;2017-06-30;groep 7\nBos, Mila;14-03-2016;groep 5\n',
      );
      touch(pupils, 10);
      assert.equal((await directory.findPupil(SCHOOL, sem))?.group, 'groep 7');
      assert.equal((await directory.findPupil(SCHOOL, mila))?.group, 'groep 5');

      writeFileSync(
        pupils,
        'naam;geboortedatum;groep\nBos, Mila;14-03-2016;groep 5\nDijkhuis, Fenna;not a date;groep 5\n',
      );
      touch(pupils, 20);
      assert.equal(
        (await directory.findPupil(SCHOOL, sem))?.group,
        'groep 7',
        'the last good file stays in use',
      );
      assert.equal((await directory.findPupil(SCHOOL, mila))?.group, 'groep 5');
      const failures = logs.lines.filter((l) => l.includes('directory.reload-failed'));
      assert.equal(failures.length, 1, 'a bad file is reported once, not on every lookup');
      assert.match(failures[0]!, /line 3, column 2 \(geboortedatum\)/);

      writeFileSync(pupils, 'naam;geboortedatum;groep\nBos, Mila;14-03-2016;groep 6\n');
      touch(pupils, 30);
      assert.equal((await directory.findPupil(SCHOOL, mila))?.group, 'groep 6');
      assert.equal(await directory.findPupil(SCHOOL, sem), undefined);

      // No pupil's name or date of birth in any log line.
      assert.ok(logs.lines.length >= 3);
      for (const line of logs.lines) {
        assert.doesNotMatch(
          line,
          /Sem|Bakker|Mila|Bos\b|Fenna|Dijkhuis|2017-06-30|14-03-2016|not a date/,
          line,
        );
      }
    });

    it('keeps the last good roster while a file is briefly missing', async () => {
      const directory = load('naam;geboortedatum;groep\nBakker, Sem;2017-06-30;groep 5\n');
      rmSync(path.join(dir, 'pupils.csv'));
      assert.equal(
        (await directory.findPupil(SCHOOL, { name: 'Sem Bakker', birthDate: '2017-06-30' }))?.group,
        'groep 5',
      );
    });
  });

  describe('dates as exports write them', () => {
    it('reads ISO and Dutch day-first dates with -, / or . and ignores a midnight time', () => {
      for (const text of [
        '2016-04-12',
        '12-04-2016',
        '12/4/2016',
        '12.04.2016',
        '2016/04/12',
        '12-04-2016 00:00',
      ]) {
        assert.equal(parseExportDate(text), '2016-04-12', text);
      }
      for (const text of ['31-02-2016', '2016-13-01', '12-04-16', '', 'gisteren']) {
        assert.equal(parseExportDate(text), undefined, text);
      }
    });
  });

  describe('the demo school', () => {
    it('suggests Femke and Bram, who teach groep 5, for the README’s demo pupil', async () => {
      const { path: schoolsFile, schools } = loadSchoolsFile('config/demo-schools.yaml');
      const directory = createDirectories(schools, path.dirname(schoolsFile));
      const found = await directory.findPupil('demo-school', {
        name: 'Lotte van Beusekom',
        birthDate: '2016-04-12',
      });
      assert.equal(found?.group, 'groep 5');
      assert.deepEqual(found?.teachers.map((t) => t.name).sort(), ['Bram Kuijpers', 'Femke Oosterhuis']);
      assert.equal((await directory.staff('demo-school')).length, 6);
      assert.equal(
        await directory.findPupil('no-such-school', { name: 'Lotte van Beusekom', birthDate: '2016-04-12' }),
        undefined,
      );
    });
  });
});
