import assert from 'node:assert/strict';
import { HwcError } from '../../src/domain/errors';
import {
  API_KEY_NOORD,
  PUPIL,
  PUPIL_DATE_DUTCH,
  signToken,
  startIntake,
  startJwks,
  UNLISTED_CLIENT,
  validSignal,
} from './helpers';

describe('intake API: privacy', () => {
  it("never puts the pupil's name or date of birth in a response body or a log line", async () => {
    const jwks = await startJwks();
    // The budget covers every request of the battery below from the default key, then runs out.
    const intake = await startIntake({ jwks, limits: { requestsPerMinute: 15 } });
    try {
      const pupilText = `${PUPIL.name} ${PUPIL.birthDate} ${PUPIL_DATE_DUTCH}`;
      const requests = [
        () => intake.request(),
        async () => intake.request({ auth: { bearer: await signToken(jwks) } }),
        () => intake.request({ headers: { 'Idempotency-Key': 'p-1' } }),
        () => intake.request({ headers: { 'Idempotency-Key': 'p-1' } }),
        () =>
          intake.request({ headers: { 'Idempotency-Key': 'p-1' }, body: validSignal({ source: 'police' }) }),
        () => intake.request({ body: `{"pupil":{"name":"${PUPIL.name}","birthDate":"${PUPIL_DATE_DUTCH}"` }),
        () => intake.request({ body: { ...validSignal(), note: pupilText } }),
        () => intake.request({ body: { ...validSignal(), [PUPIL.name]: PUPIL_DATE_DUTCH } }),
        () =>
          intake.request({ body: validSignal({ pupil: { name: PUPIL.name, birthDate: PUPIL_DATE_DUTCH } }) }),
        () => intake.request({ body: validSignal({ schoolId: PUPIL.name }) }),
        () => intake.request({ body: { ...validSignal(), padding: pupilText.repeat(200) } }),
        () => intake.request({ chunks: Array(60).fill(pupilText) }),
        () => intake.request({ headers: { 'Content-Type': 'text/plain' } }),
        () => intake.request({ auth: 'none' }),
        () => intake.request({ auth: { apiKey: `${PUPIL.name} ${PUPIL.birthDate}` } }),
        () => intake.request({ auth: { apiKey: API_KEY_NOORD } }),
        async () =>
          intake.request({ auth: { bearer: await signToken(jwks, { claims: { azp: UNLISTED_CLIENT } }) } }),
        () => intake.request({ headers: { 'Idempotency-Key': PUPIL.name.repeat(20) } }),
        async () => {
          intake.receive = async () => {
            throw new HwcError('delivery.no-coordinator-reachable', 'no coordinator reachable');
          };
          return intake.request();
        },
        async () => {
          intake.receive = async (signal) => {
            throw new Error(
              `cannot deliver ${signal.pupil.name} born ${signal.pupil.birthDate} (${PUPIL_DATE_DUTCH})`,
            );
          };
          return intake.request();
        },
        // By now the per-sender budget is spent: 429.
        () => intake.request(),
        () => intake.request(),
        () => intake.request(),
      ];
      const statuses: number[] = [];
      for (const send of requests) statuses.push((await send()).status);

      for (const expected of [201, 400, 401, 403, 413, 415, 422, 429, 500, 503])
        assert.ok(
          statuses.includes(expected),
          `the battery should include a ${expected}, got ${statuses.join(',')}`,
        );

      assert.equal(intake.bodies.length, requests.length);
      assert.ok(intake.logLines.length >= requests.length, 'every request is logged');
      for (const [label, texts] of [
        ['response body', intake.bodies],
        ['log line', intake.logLines],
      ] as const) {
        for (const text of texts) {
          for (const secret of [PUPIL.name, 'Fenna', 'Zwartbroek', PUPIL.birthDate, PUPIL_DATE_DUTCH]) {
            assert.ok(!text.includes(secret), `a ${label} contains '${secret}': ${text}`);
          }
        }
      }
    } finally {
      await intake.close();
      await jwks.close();
    }
  });
});
