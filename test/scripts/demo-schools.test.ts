import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEMO_SIGNALS } from '../../scripts/demo-pupil';
import { readPlaygroundConfig, TALK_TOOK_PLACE } from '../../scripts/playground-client';
import { loadSchoolsFile } from '../../src/config/app-config';
import { createDirectories } from '../../src/directory/create-directory';
import { stringsFor } from '../../src/i18n/strings';

const DEMO_SCHOOLS = 'config/demo-schools.yaml';

describe('the demo schools of the local run (config/demo-schools.yaml)', () => {
  const { path: file, schools } = loadSchoolsFile(DEMO_SCHOOLS);
  const playground = readPlaygroundConfig();
  const byProcedure = (procedure: string) => schools.filter((s) => s.procedure === procedure);

  it('has one school of each procedure, each the school of its demo signal', () => {
    assert.deepEqual(
      schools.map((s) => [s.id, s.procedure]),
      [
        [DEMO_SIGNALS['talk-first'].schoolId, 'talk-first'],
        [DEMO_SIGNALS['teacher-first'].schoolId, 'teacher-first'],
      ],
    );
    assert.equal(byProcedure('talk-first').length, 1);
    assert.equal(byProcedure('teacher-first').length, 1);
  });

  it('names the procedure of each school explicitly, the default included', () => {
    const raw = parseYaml(readFileSync(DEMO_SCHOOLS, 'utf8')) as { schools: Array<{ procedure?: string }> };
    assert.deepEqual(
      raw.schools.map((s) => s.procedure),
      ['talk-first', 'teacher-first'],
    );
  });

  it("makes the Playground's current user a coordinator of both, so the page can play either", () => {
    for (const school of schools) {
      assert.ok(
        school.coordinators.some((p) => p.id === playground.currentUser.id),
        `${playground.currentUser.name} coordinates ${school.id}`,
      );
    }
  });

  it('names only Playground users as coordinators and deputies, and has every one of them on its staff', async () => {
    const users = new Map([playground.currentUser, ...playground.users].map((u) => [u.id, u.name] as const));
    const directory = createDirectories(schools, path.dirname(file));
    for (const school of schools) {
      for (const p of [...school.coordinators, ...school.deputies]) {
        assert.equal(users.get(p.id), p.name, `${p.name} at ${school.id}`);
      }
      const staff = await directory.staff(school.id);
      assert.deepEqual(staff.map((p) => p.id).sort(), [...users.keys()].sort(), `the staff of ${school.id}`);
    }
  });

  it("suggests each demo pupil's group teachers from the school's own directory", async () => {
    const directory = createDirectories(schools, path.dirname(file));
    const talkFirst = DEMO_SIGNALS['talk-first'];
    const lotte = await directory.findPupil(talkFirst.schoolId, talkFirst.pupil);
    assert.equal(lotte?.group, 'groep 5');
    assert.deepEqual(lotte?.teachers.map((t) => t.name).sort(), ['Bram Kuijpers', 'Femke Oosterhuis']);
    const teacherFirst = DEMO_SIGNALS['teacher-first'];
    const jesse = await directory.findPupil(teacherFirst.schoolId, teacherFirst.pupil);
    assert.equal(jesse?.group, 'groep 4');
    assert.deepEqual(
      jesse?.teachers.map((t) => t.name),
      ['Sanne Brinkhorst'],
    );
    // Each pupil belongs to one demo school only.
    assert.equal(await directory.findPupil(teacherFirst.schoolId, talkFirst.pupil), undefined);
    assert.equal(await directory.findPupil(talkFirst.schoolId, teacherFirst.pupil), undefined);
  });
});

describe('TALK_TOOK_PLACE (scripts/playground-client.ts)', () => {
  const name = 'Ineke Dorrestijn';
  const days = [
    { today: true, day: 'dinsdag 1 december' },
    { today: false, day: 'woensdag 2 december' },
  ];
  /** Every text of a strings object: functions called with each kind of argument they take. */
  function texts(node: unknown): string[] {
    if (typeof node === 'string') return [node];
    if (typeof node === 'function') {
      const args = [name, ...days];
      return args
        .flatMap((a) => args.map((b) => (node as (x: unknown, y: unknown) => unknown)(a, b)))
        .flatMap(texts);
    }
    if (node && typeof node === 'object') return Object.values(node).flatMap(texts);
    return [];
  }

  for (const locale of ['nl', 'en']) {
    it(`finds a talk in the talk-first words (${locale})`, () => {
      const t = stringsFor(locale);
      for (const text of [
        t.colleague.intro(name),
        t.colleague.parentsOnlyIntro(name),
        t.view.talked,
        t.talk.title,
        ...(locale === 'nl' ? [t.view.agreed, t.talk.note, t.view.nothingAgreed] : []),
      ]) {
        assert.match(text, TALK_TOOK_PLACE);
      }
    });

    it(`finds none in the teacher-first words (${locale})`, () => {
      const all = texts(stringsFor(locale).teacherFirst);
      assert.ok(all.length > 20, `only ${all.length} texts`);
      for (const text of all) assert.doesNotMatch(text, TALK_TOOK_PLACE);
    });
  }
});
