import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createDirectories } from '../../src/directory/create-directory';
import { GraphEducationDirectory } from '../../src/directory/graph-education-directory';
import { HwcError } from '../../src/domain/errors';
import type { School } from '../../src/domain/school';
import { GraphClient } from '../../src/graph/graph-client';
import { errorSummary } from '../../src/logging/error-summary';
import { createLogger } from '../../src/logging/logger';
import { FakeGraph, StaticTokenCredential } from '../support/fake-graph';

// Every name here is invented.
const SCHOOL = 'de-linde';
const EDU_SCHOOL = 'edu-linde';
const PUPIL_WORDS =
  /Lotte|Beusekom|Jan\b|Piet\b|Vries|Sem\b|Bakker|Fenna|Dijkhuis|2016-04-12|2015-09-03|2017-06-30/;

class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
}

describe('Microsoft Graph education directory', () => {
  const graph = new FakeGraph({ pageSize: 2 });
  let now: number;
  let logs: LogLines;
  const ids: Record<string, string> = {};

  before(async () => {
    await graph.start();
    ids.wendy = graph.addTeacher(EDU_SCHOOL, { displayName: 'Wendy Kroeze' }).id;
    ids.karim = graph.addTeacher(EDU_SCHOOL, { displayName: 'Karim Bouzid' }).id;
    ids.anke = graph.addTeacher(EDU_SCHOOL, { displayName: 'Anke Visscher' }).id;
    ids.lotte = graph.addStudent(EDU_SCHOOL, {
      givenName: 'Lotte',
      middleName: 'van',
      surname: 'Beusekom',
      birthDate: '2016-04-12',
    }).id;
    ids.jan = graph.addStudent(EDU_SCHOOL, {
      givenName: 'Jan',
      surname: 'de Vries',
      birthDate: '2015-09-03',
    }).id;
    ids.piet = graph.addStudent(EDU_SCHOOL, {
      givenName: 'Piet',
      surname: 'de Vries',
      birthDate: '2015-09-03',
    }).id;
    graph.addStudent(EDU_SCHOOL, { givenName: 'Sem', surname: 'Bakker', birthDate: '2017-06-30' });
    graph.addStudent(EDU_SCHOOL, { givenName: 'Sem', surname: 'Bakker', birthDate: '2017-06-30' });
    ids.fenna = graph.addStudent(EDU_SCHOOL, {
      givenName: 'Fenna',
      surname: 'Dijkhuis',
      birthDate: '2014-01-05T00:00:00Z',
    }).id;
    graph.addUser(EDU_SCHOOL, { id: 'no-role', displayName: 'Conciërge', primaryRole: 'none' });
    graph.addClass('Groep 5', [ids.lotte, ids.jan], [ids.wendy, ids.karim]);
    graph.addClass('Plusklas', [ids.lotte], [ids.anke, ids.karim]);
    graph.addClass('Groep 7', [ids.piet], [ids.karim]);
  });
  after(() => graph.stop());
  beforeEach(() => {
    graph.reset();
    now = Date.parse('2026-03-02T07:00:00Z');
    logs = new LogLines();
  });

  function directory(cacheMs?: number): GraphEducationDirectory {
    const client = new GraphClient({
      credential: new StaticTokenCredential(),
      baseUrl: graph.url,
      sleep: async () => undefined,
    });
    return new GraphEducationDirectory({
      schoolId: SCHOOL,
      educationSchoolId: EDU_SCHOOL,
      client,
      now: () => now,
      log: createLogger({ destination: logs, level: 'debug' }),
      ...(cacheMs !== undefined ? { cacheMs } : {}),
    });
  }

  it('suggests the teachers of every class of the pupil, with the class names as the group', async () => {
    const found = await directory().findPupil(SCHOOL, {
      name: 'Lotte van Beusekom',
      birthDate: '2016-04-12',
    });
    assert.equal(found?.group, 'Groep 5, Plusklas');
    assert.deepEqual(found?.teachers.map((t) => t.name).sort(), [
      'Anke Visscher',
      'Karim Bouzid',
      'Wendy Kroeze',
    ]);
    assert.ok(found?.teachers.some((t) => t.id === ids.wendy));
  });

  it('reads every page of the school’s users, only the fields it needs', async () => {
    await directory().findPupil(SCHOOL, { name: 'Jan de Vries', birthDate: '2015-09-03' });
    const pages = graph.requestsTo('schoolUsers');
    assert.ok(pages.length > 1, 'more than one page');
    assert.equal(pages[0]?.query.$select, 'id,displayName,givenName,middleName,surname,primaryRole,student');
    assert.equal(pages[0]?.path, `/v1.0/education/schools/${EDU_SCHOOL}/users`);
  });

  it('when two pupils share birth date and surname, each is found by first name', async () => {
    const dir = directory();
    assert.equal(
      (await dir.findPupil(SCHOOL, { name: 'Jan de Vries', birthDate: '2015-09-03' }))?.group,
      'Groep 5',
    );
    assert.equal(
      (await dir.findPupil(SCHOOL, { name: 'Vries, Piet de', birthDate: '2015-09-03' }))?.group,
      'Groep 7',
    );
  });

  it('reads a birth date written as a date and time', async () => {
    // Fenna is in no class: found, but nothing to suggest.
    assert.equal(
      await directory().findPupil(SCHOOL, { name: 'Fenna Dijkhuis', birthDate: '2014-01-05' }),
      undefined,
    );
    assert.equal(graph.requestsTo('userClasses')[0]?.path, `/v1.0/education/users/${ids.fenna}/classes`);
  });

  it('gives no suggestion for an ambiguous or unknown pupil, and asks Graph nothing more', async () => {
    const dir = directory();
    assert.equal(await dir.findPupil(SCHOOL, { name: 'Sem Bakker', birthDate: '2017-06-30' }), undefined);
    assert.equal(await dir.findPupil(SCHOOL, { name: 'Mila Bos', birthDate: '2017-06-30' }), undefined);
    assert.equal(graph.requestsTo('userClasses').length, 0);
  });

  it('lists the school’s teachers as its staff, by name', async () => {
    assert.deepEqual(await directory().staff(SCHOOL), [
      { id: ids.anke, name: 'Anke Visscher' },
      { id: ids.karim, name: 'Karim Bouzid' },
      { id: ids.wendy, name: 'Wendy Kroeze' },
    ]);
    assert.deepEqual(await directory().staff('other-school'), []);
  });

  it('names a teacher of the school by id, and no one else', async () => {
    const d = directory();
    assert.equal(await d.nameOf(SCHOOL, ids.karim!), 'Karim Bouzid');
    assert.equal(await d.nameOf(SCHOOL, ids.lotte!), undefined, 'a pupil is no colleague');
  });

  it('reuses the school’s user list for ten minutes', async () => {
    const dir = directory();
    await dir.staff(SCHOOL);
    const firstRead = graph.requestsTo('schoolUsers').length;
    now += 9 * 60_000;
    await dir.findPupil(SCHOOL, { name: 'Jan de Vries', birthDate: '2015-09-03' });
    assert.equal(graph.requestsTo('schoolUsers').length, firstRead);
    now += 2 * 60_000;
    await dir.staff(SCHOOL);
    assert.equal(graph.requestsTo('schoolUsers').length, 2 * firstRead);
  });

  it('uses the last list when Graph fails later, and says Graph is unavailable when it has none', async () => {
    const dir = directory(60_000);
    graph.failNext({ route: 'schoolUsers', status: 403 });
    await assert.rejects(dir.staff(SCHOOL), (error: unknown) => {
      assert.ok(error instanceof HwcError);
      assert.equal(error.code, 'directory.unavailable');
      assert.match(error.message, /HTTP 403/);
      return true;
    });
    assert.equal((await dir.staff(SCHOOL)).length, 3);
    now += 120_000;
    graph.failNext({ route: 'schoolUsers', status: 500 });
    assert.equal((await dir.staff(SCHOOL)).length, 3);
    assert.ok(logs.lines.some((l) => l.includes('directory.graph-stale')));
  });

  it('says Graph is unavailable when a class cannot be read, naming no pupil', async () => {
    graph.failNext({ route: 'classTeachers', status: 403 });
    await assert.rejects(
      directory().findPupil(SCHOOL, { name: 'Lotte van Beusekom', birthDate: '2016-04-12' }),
      (error: unknown) => {
        assert.ok(error instanceof HwcError);
        assert.equal(error.code, 'directory.unavailable');
        assert.doesNotMatch(error.message, PUPIL_WORDS);
        return true;
      },
    );
  });

  it('when the pupil’s classes cannot be read, names neither the pupil nor their Graph id', async () => {
    const dir = directory();
    graph.failNext({ route: 'userClasses', status: 503, times: 4 });
    await assert.rejects(
      dir.findPupil(SCHOOL, { name: 'Lotte van Beusekom', birthDate: '2016-04-12' }),
      (error: unknown) => {
        assert.ok(error instanceof HwcError);
        assert.equal(error.code, 'directory.unavailable');
        assert.equal(error.message, `Microsoft Graph directory of school ${SCHOOL}: HTTP 503`);
        assert.ok(!error.message.includes(ids.lotte!), 'no Graph id of the pupil');
        assert.doesNotMatch(error.message, PUPIL_WORDS);
        // The app logs the error with errorSummary(): its fields must be as clean.
        const logged = JSON.stringify(errorSummary(error));
        assert.ok(!logged.includes(ids.lotte!), logged);
        assert.doesNotMatch(logged, PUPIL_WORDS);
        return true;
      },
    );
    assert.equal(graph.requestsTo('userClasses').length, 4, 'every retry was used');
    assert.ok(logs.lines.length > 0);
    for (const line of logs.lines) {
      assert.ok(!line.includes(ids.lotte!), line);
      assert.doesNotMatch(line, PUPIL_WORDS, line);
    }
  });

  it('logs no pupil’s name or date of birth', async () => {
    const dir = directory();
    await dir.findPupil(SCHOOL, { name: 'Lotte van Beusekom', birthDate: '2016-04-12' });
    await dir.findPupil(SCHOOL, { name: 'Sem Bakker', birthDate: '2017-06-30' });
    now += 11 * 60_000;
    graph.failNext({ route: 'schoolUsers', status: 503, times: 4 });
    await dir.findPupil(SCHOOL, { name: 'Jan de Vries', birthDate: '2015-09-03' });
    assert.ok(logs.lines.length > 0);
    for (const line of logs.lines) assert.doesNotMatch(line, PUPIL_WORDS, line);
  });

  it('is chosen for a school whose directory is graph-education, and needs a Graph client', async () => {
    const school = {
      id: SCHOOL,
      directory: { type: 'graph-education', schoolId: EDU_SCHOOL },
    } as unknown as School;
    const client = new GraphClient({ credential: new StaticTokenCredential(), baseUrl: graph.url });
    const dir = createDirectories([school], '.', client);
    assert.equal(
      (await dir.findPupil(SCHOOL, { name: 'Jan de Vries', birthDate: '2015-09-03' }))?.group,
      'Groep 5',
    );
    assert.throws(
      () => createDirectories([school], '.'),
      (error: unknown) =>
        error instanceof HwcError && error.code === 'config.invalid' && /GRAPH_CLIENT_ID/.test(error.message),
    );
  });
});
