import assert from 'node:assert/strict';
import { schoolByIdOrBrin } from '../../src/domain/school';
import { otherSchool, signal, testSchool } from '../support/fixtures';
import { posting } from '../support/flow-checks';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/test-app';

const SCOPED_KEY = 'local-test-key-testlab-only-0123456';

describe('a school known by its BRIN code', () => {
  describe('finding the school', () => {
    const schools = [
      { ...testSchool, brin: '12AB', vestiging: '00' },
      { ...otherSchool, brin: '12AB', vestiging: '01' },
      { ...testSchool, id: 'third', brin: '34CD' },
    ];

    it('finds a school by its id, by BRIN and vestiging, and by a BRIN only it has', () => {
      assert.equal(schoolByIdOrBrin(schools, testSchool.id)?.id, testSchool.id);
      assert.equal(schoolByIdOrBrin(schools, '12AB01')?.id, otherSchool.id);
      assert.equal(schoolByIdOrBrin(schools, '12ab00')?.id, testSchool.id, 'in any case');
      assert.equal(schoolByIdOrBrin(schools, '34CD')?.id, 'third');
      assert.equal(
        schoolByIdOrBrin(schools, '34CD00')?.id,
        undefined,
        'a vestiging the school does not have',
      );
    });

    it('finds no school for a BRIN two vestigingen share, or for something that is no BRIN', () => {
      assert.equal(schoolByIdOrBrin(schools, '12AB'), undefined);
      assert.equal(schoolByIdOrBrin(schools, 'unknown-school'), undefined);
    });
  });

  describe('the intake API (over HTTP)', () => {
    let t: TestApp;
    beforeEach(async () => {
      t = await startTestApp({
        schools: [
          { ...testSchool, brin: '12AB' },
          { ...otherSchool, brin: '34CD' },
        ],
        env: { INTAKE_API_KEYS: `${TEST_API_KEY},${SCOPED_KEY}:${testSchool.id}` },
      });
    });
    afterEach(() => t.stop());

    it("takes the BRIN code as schoolId and delivers to that school's coordinators", async () => {
      const res = await t.postSignal({ ...signal, schoolId: '12ab' });
      assert.equal(res.status, 201, res.body);
      const cards = t.connector.activities.filter((a) => posting.has(a.kind));
      assert.equal(cards.length, testSchool.coordinators.length, 'one card per coordinator of the school');
    });

    it("lets a key scoped to a school use the school's BRIN, and not another school's", async () => {
      const own = await t.postSignal({ ...signal, schoolId: '12AB' }, { 'X-API-Key': SCOPED_KEY });
      assert.equal(own.status, 201, own.body);
      const other = await t.postSignal({ ...signal, schoolId: '34CD' }, { 'X-API-Key': SCOPED_KEY });
      assert.equal(other.status, 403, other.body);
    });

    it('answers 422 for a BRIN no school has, naming the field and not the value', async () => {
      const res = await t.postSignal({ ...signal, schoolId: '99ZZ' });
      assert.equal(res.status, 422, res.body);
      assert.match(res.body, /schoolId/);
      assert.doesNotMatch(res.body, /99ZZ/);
    });
  });
});
