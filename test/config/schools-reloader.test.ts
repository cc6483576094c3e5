import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import type { DeleteOutcome, Messenger, PostedMessage, Services } from '../../src/app/ports';
import { claim, closeCase, viewCase } from '../../src/app/coordinator-actions';
import { receiveSignal } from '../../src/app/receive-signal';
import type { AdaptiveCardJson } from '../../src/cards/card-data';
import { loadSchoolsFile } from '../../src/config/app-config';
import { SchoolsReloader } from '../../src/config/schools-reloader';
import { createDirectories } from '../../src/directory/create-directory';
import { rolesAt } from '../../src/domain/school';
import { createLogger } from '../../src/logging/logger';
import { testServices } from '../support/services';

// Every name here is invented.
const SCHOOL = 'de-wilgen';
const NEW_SCHOOL = 'het-kompas';
const COORDINATOR = { id: '0c3e5a71-2b4d-4e6f-8a1b-2c3d4e5f6a7b', name: 'Gonnie Tuinstra' };
const SECOND = { id: '1d4f6b82-3c5e-4f70-9b2c-3d4e5f6a7b8c', name: 'Jelmer Brouwer' };
const KOMPAS = { id: '2e507c93-4d6f-4081-8c3d-4e5f6a7b8c9d', name: 'Sientje Mulder' };
const TEACHER = { id: '3f618da4-5e70-4192-9d4e-5f6a7b8c9dae', name: 'Riemer Kooistra' };
const PUPIL = { name: 'Tjitske Hoekstra', birthDate: '2016-05-20' };
/** Values that must never be logged: each is what a setting wrongly holds. */
const BAD_LESSON_START = 'kwart-voor-negen';
const BAD_WEEKDAY = 'zondagmiddag';

class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  events(event: string): Record<string, unknown>[] {
    return this.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((entry) => entry.event === event);
  }
}

/** Polls until `predicate` holds; no assertion on how long that took. */
async function until(predicate: () => boolean, what: string, ms = 8_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function school(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: SCHOOL,
    name: 'Basisschool De Wilgen',
    lessonStart: '08:30',
    dayEnd: '15:00',
    coordinators: [COORDINATOR],
    ...overrides,
  };
}

const pupilsCsv = ['naam;geboortedatum;groep', `${PUPIL.name};20-05-2016;groep 4`].join('\n');
const staffCsv = (name: string) =>
  ['naam;entra_object_id;groepen;email', `${name};${TEACHER.id};groep 4;`].join('\n');

/** A messenger that takes every card. */
class AcceptingMessenger implements Messenger {
  readonly cards: { staffId: string; card: AdaptiveCardJson }[] = [];
  private n = 0;
  async sendCard(to: { staffId: string }, card: (r: object) => AdaptiveCardJson): Promise<PostedMessage> {
    this.cards.push({ staffId: to.staffId, card: card({}) });
    this.n += 1;
    return {
      conversationId: `conv-${to.staffId}`,
      activityId: `act-${this.n}`,
      serviceUrl: 'http://127.0.0.1:1/',
    };
  }
  async updateCard(): Promise<void> {}
  async deleteCard(): Promise<DeleteOutcome> {
    return 'deleted';
  }
}

describe('reloading the schools file', () => {
  let dir: string;
  let file: string;
  let logs: LogLines;
  let reloader: SchoolsReloader | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-reload-'));
    file = path.join(dir, 'schools.yaml');
    logs = new LogLines();
  });
  afterEach(() => {
    reloader?.close();
    reloader = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the file as an editor does: a new file renamed over the old one. */
  function writeSchools(schools: unknown[], raw?: string): string {
    const text = raw ?? stringify({ schools });
    const next = path.join(dir, `.schools.yaml.${Math.random().toString(36).slice(2)}`);
    writeFileSync(next, text);
    renameSync(next, file);
    return text;
  }

  function start(schools: unknown[]): SchoolsReloader {
    writeSchools(schools);
    const log = createLogger({ destination: logs, level: 'debug' });
    reloader = new SchoolsReloader({
      file,
      // As at start-up, through the real loader; the reloader uses it too.
      schools: loadSchoolsFile(file).schools,
      createDirectory: (s) => createDirectories(s, dir, undefined, { log }),
      log,
      debounceMs: 20,
      pollMs: 0,
    });
    return reloader;
  }

  it('picks up a changed file without a restart: a new lesson start and a new school', async () => {
    const r = start([school()]);
    await r.start();
    assert.equal(r.registry.get(SCHOOL)?.lessonStart, '08:30', 'the file as started');
    assert.equal(r.registry.get(NEW_SCHOOL), undefined, 'no second school yet');

    writeSchools([
      school({ lessonStart: '08:45' }),
      {
        id: NEW_SCHOOL,
        name: 'Basisschool Het Kompas',
        lessonStart: '08:15',
        dayEnd: '14:30',
        coordinators: [KOMPAS],
      },
    ]);
    await until(() => r.registry.get(NEW_SCHOOL) !== undefined, 'the new school is known');
    assert.equal(r.registry.get(SCHOOL)?.lessonStart, '08:45', 'the new lesson start applies');
    assert.deepEqual(
      r.registry.all().map((s) => s.id),
      [SCHOOL, NEW_SCHOOL],
      'the registry lists both schools',
    );
    assert.deepEqual(
      rolesAt(r.registry.get(NEW_SCHOOL)!, KOMPAS.id),
      ['coordinator'],
      'its coordinator counts',
    );
    const reloaded = logs.events('schools.reloaded');
    assert.ok(reloaded.length >= 1, 'the reload is logged');
    assert.deepEqual(reloaded.at(-1)?.added, [NEW_SCHOOL], 'the log names the added school');
  });

  it('reloads on demand and says so', async () => {
    const r = start([school()]);
    writeSchools([school({ dayEnd: '16:00' })]);
    const result = await r.reloadSchools();
    assert.deepEqual(result, { ok: true, schools: 1 }, 'the reload succeeded');
    assert.equal(r.registry.get(SCHOOL)?.dayEnd, '16:00', 'the new day end applies');
  });

  it('keeps the running configuration when the new file is not valid, and logs file, line and setting, never the value', async () => {
    const r = start([school()]);
    await r.start();
    const text = writeSchools([school({ lessonStart: BAD_LESSON_START, schoolDays: ['mon', BAD_WEEKDAY] })]);
    await until(() => logs.events('schools.reload-failed').length > 0, 'the failure is logged');
    assert.equal(r.registry.get(SCHOOL)?.lessonStart, '08:30', 'the old lesson start stays');
    assert.deepEqual(
      r.registry.get(SCHOOL)?.schoolDays,
      ['mon', 'tue', 'wed', 'thu', 'fri'],
      'the old days stay',
    );

    const [failure] = logs.events('schools.reload-failed');
    assert.equal(failure?.file, file, 'the log names the file');
    const problems = failure?.problems as { setting?: string; line?: number; problem: string }[];
    const lessonStart = problems.find((p) => p.setting === 'schools[0].lessonStart');
    assert.ok(lessonStart, `the setting is named: ${JSON.stringify(problems)}`);
    const expectedLine = text.split('\n').findIndex((l) => l.includes('lessonStart')) + 1;
    assert.equal(lessonStart.line, expectedLine, 'the line of the setting in the file');
    assert.ok(
      problems.some((p) => p.setting === 'schools[0].schoolDays[1]'),
      `the wrong day is named by its place: ${JSON.stringify(problems)}`,
    );
    for (const line of logs.lines) {
      assert.ok(!line.includes(BAD_LESSON_START), `no log line holds the wrong lesson start: ${line}`);
      assert.ok(!line.includes(BAD_WEEKDAY), `no log line holds the wrong day: ${line}`);
    }

    const result = await r.reloadSchools();
    assert.equal(result.ok, false, 'reloading the same file fails the same way');
    assert.equal(!result.ok && result.error.code, 'config.invalid', 'with the configuration error code');
  });

  it('names the line of a YAML syntax error and keeps the running configuration', async () => {
    const r = start([school()]);
    writeSchools([], `schools:\n  - id: ${SCHOOL}\n    name: [unclosed\n`);
    const result = await r.reloadSchools();
    assert.equal(result.ok, false, 'the reload fails');
    assert.ok(
      !result.ok && result.problems.some((p) => typeof p.line === 'number' && p.line > 0),
      `a line is given: ${JSON.stringify(!result.ok && result.problems)}`,
    );
    assert.equal(r.registry.get(SCHOOL)?.name, 'Basisschool De Wilgen', 'the school stays as it was');
  });

  it('re-reads the roster files with the schools file, and keeps everything when a roster is bad', async () => {
    writeFileSync(path.join(dir, 'pupils.csv'), pupilsCsv);
    writeFileSync(path.join(dir, 'staff.csv'), staffCsv(TEACHER.name));
    const directory = { type: 'roster-csv', pupils: 'pupils.csv', staff: 'staff.csv' };
    const r = start([school({ directory })]);
    assert.deepEqual(
      (await r.directory.findPupil(SCHOOL, PUPIL))?.teachers.map((t) => t.name),
      [TEACHER.name],
      'the roster as started',
    );

    // A new school with a roster file that is not valid: nothing of the new file applies.
    writeFileSync(
      path.join(dir, 'kompas-pupils.csv'),
      'naam;geboortedatum;groep\nIemand;geen-datum;groep 1\n',
    );
    writeFileSync(path.join(dir, 'kompas-staff.csv'), staffCsv('Hanneke Zijlstra'));
    const kompas = {
      id: NEW_SCHOOL,
      name: 'Basisschool Het Kompas',
      lessonStart: '08:15',
      dayEnd: '14:30',
      coordinators: [KOMPAS],
      directory: { type: 'roster-csv', pupils: 'kompas-pupils.csv', staff: 'kompas-staff.csv' },
    };
    writeSchools([school({ directory, lessonStart: '08:40' }), kompas]);
    const bad = await r.reloadSchools();
    assert.equal(bad.ok, false, 'a bad roster fails the reload');
    assert.ok(
      !bad.ok && bad.problems.some((p) => p.problem.includes('kompas-pupils.csv')),
      'the problem names the roster file',
    );
    assert.equal(r.registry.get(NEW_SCHOOL), undefined, 'the new school is not taken in');
    assert.equal(r.registry.get(SCHOOL)?.lessonStart, '08:30', 'the old lesson start stays');

    // Watching from now on. The roster fixed, and a colleague renamed in the other school's staff file.
    await r.start();
    writeFileSync(path.join(dir, 'kompas-pupils.csv'), pupilsCsv);
    writeFileSync(path.join(dir, 'staff.csv'), staffCsv('Riemer Kooistra-Bos'));
    // The watch notices the roster change in the folder, and the file that failed is tried again.
    await until(() => r.registry.get(NEW_SCHOOL) !== undefined, 'the new school is taken in');
    assert.equal(r.registry.get(SCHOOL)?.lessonStart, '08:40', 'the new lesson start applies');
    assert.deepEqual(
      (await r.directory.findPupil(SCHOOL, PUPIL))?.teachers.map((t) => t.name),
      ['Riemer Kooistra-Bos'],
      'the changed staff file is read',
    );
    assert.deepEqual(
      (await r.directory.staff(NEW_SCHOOL)).map((s) => s.name),
      ['Hanneke Zijlstra'],
      'the new school has its directory',
    );
  });

  it('keeps an open case working across a reload: the case finds its school by id', async () => {
    const r = start([school()]);
    const messenger = new AcceptingMessenger();
    const services: Services = testServices([], {
      messenger,
      schools: r.registry,
      directory: r.directory,
      clock: () => new Date('2026-11-23T06:00:00Z'),
    });
    const ctx = { correlationId: 'test', log: createLogger({ level: 'silent' }) };
    const receipt = await receiveSignal(
      services,
      { schoolId: SCHOOL, pupil: PUPIL, source: 'police' },
      { kind: 'api-key', id: 'key#1' },
      ctx,
    );
    assert.equal(receipt.deliveredTo, 1, 'the one coordinator got the card');
    const caseId = /"caseId":"([^"]+)"/.exec(JSON.stringify(messenger.cards[0]?.card))?.[1] ?? '';
    assert.notEqual(caseId, '', 'the card carries the case id');
    await claim(services, caseId, { staffId: COORDINATOR.id, locale: 'nl-NL' }, ctx);

    writeSchools([school({ name: 'Kindcentrum De Wilgen', coordinators: [COORDINATOR, SECOND] })]);
    assert.equal((await r.reloadSchools()).ok, true, 'the new file is valid');

    const view = JSON.stringify(
      await viewCase(services, caseId, { staffId: COORDINATOR.id, locale: 'nl-NL' }),
    );
    assert.match(view, /Tjitske Hoekstra/, 'the owner still sees the case');
    await assert.rejects(
      viewCase(services, caseId, { staffId: '9a9a9a9a-9a9a-4a9a-8a9a-9a9a9a9a9a9a', locale: 'nl-NL' }),
      (error: unknown) => (error as { code?: string }).code === 'case.not-authorized',
      'someone who is no coordinator still may not',
    );
    assert.deepEqual(
      rolesAt(services.schools.get(SCHOOL)!, SECOND.id),
      ['coordinator'],
      'the coordinator the new file adds is one',
    );
    await closeCase(services, caseId, { staffId: COORDINATOR.id, locale: 'nl-NL' }, ctx);
    assert.equal(await services.store.get(caseId), undefined, 'the owner closed the case after the reload');
  });
});
