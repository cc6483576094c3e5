import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { coordinatorA, coordinatorB, otherSchool, signal, testSchool } from '../support/fixtures';
import { cardText, posting, stopAfterPrivacyCheck, waitFor } from '../support/flow-checks';
import { caseIdOf, startTestApp, type TestApp } from '../support/test-app';

// Every name here is invented.
const NEW_SCHOOL = 'het-baken';
const NEW_COORDINATOR = { id: '6a7b8c9d-0e1f-4203-9a4b-5c6d7e8f9a0b', name: 'Douwe Terpstra' };

describe('the running app takes in a changed schools file (over HTTP)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ members: [NEW_COORDINATOR] });
  });
  afterEach(async () => stopAfterPrivacyCheck(t));

  /** Writes the schools file as an editor does: a new file renamed over the old one. */
  function writeSchools(schools: unknown[]): void {
    const file = t.app.config.schoolsFile;
    const next = path.join(path.dirname(file), '.schools.json.new');
    writeFileSync(next, JSON.stringify({ schools }));
    renameSync(next, file);
  }

  it('an open case keeps working, and a school added to the file takes signals, without a restart', async () => {
    const res = await t.postSignal(signal);
    assert.equal(res.status, 201, res.body);
    const created = t.connector.activities.find(
      (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('caseId'),
    );
    assert.ok(created, 'a card was posted');
    const caseId = caseIdOf(created.body);
    const claimed = await t.invoke(coordinatorA.id, 'case.claim', { caseId });
    assert.match(
      cardText(claimed.card),
      /Jij hebt dit signaal opgepakt/,
      'the claim worked before the reload',
    );

    const added = {
      ...otherSchool,
      id: NEW_SCHOOL,
      name: 'Basisschool Het Baken',
      coordinators: [NEW_COORDINATOR],
    };
    writeSchools([{ ...testSchool, name: 'Kindcentrum Het Testlab' }, otherSchool, added]);
    await waitFor(() => t.app.services.schools.get(NEW_SCHOOL) !== undefined);

    const view = await t.invoke(coordinatorA.id, 'case.view', { caseId });
    assert.equal(view.status, 200, 'the owner still opens the case');
    assert.match(cardText(view.card), /Jij hebt dit signaal opgepakt/, 'and still owns it');
    const other = await t.invoke(coordinatorB.id, 'case.view', { caseId });
    assert.equal(other.status, 200, 'the other coordinator still sees it');

    const toNew = await t.postSignal(
      { ...signal, schoolId: NEW_SCHOOL },
      { 'Idempotency-Key': 'new-school-1' },
    );
    assert.equal(toNew.status, 201, `the new school takes signals: ${toNew.body}`);
    const stats = await t.get('/api/stats');
    assert.match(stats.body, new RegExp(NEW_SCHOOL), 'the statistics know the new school');
  });

  it('a file that is not valid changes nothing, and reloadSchools says why', async () => {
    writeSchools([{ ...testSchool, lessonStart: 'halfnegen' }]);
    const result = await t.app.reloadSchools();
    assert.equal(result.ok, false, 'the reload is refused');
    assert.equal(t.app.services.schools.get(otherSchool.id)?.id, otherSchool.id, 'the other school stays');
    assert.ok(!t.logs.text().includes('halfnegen'), 'the wrong value is not logged');
    assert.match(t.logs.text(), /schools\[0\]\.lessonStart/, 'the setting is');
  });
});
