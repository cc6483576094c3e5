import assert from 'node:assert/strict';
import { PUPIL, startIntake, validSignal, type Harness, type Reply } from './helpers';

// Invented names; invisible and direction characters are written as escapes.

function nameViolation(reply: Reply): string {
  assert.equal(reply.status, 422, reply.text);
  assert.match(String(reply.headers['content-type']), /^application\/problem\+json/, 'a problem document');
  assert.equal(reply.json.type, 'urn:hwc:problem:invalid-signal', 'the problem type');
  const errors = reply.json.errors as { field: string; message: string }[];
  assert.ok(Array.isArray(errors), 'a 422 lists its errors');
  assert.deepEqual(
    errors.map((e) => e.field),
    ['pupil.name'],
    'only the name is reported',
  );
  return errors[0]!.message;
}

/** Neither the name nor its hidden characters come back, raw or as JSON escapes. */
function assertNotEchoed(intake: Harness, reply: Reply, hidden: string): void {
  const seen = reply.text + intake.logLines.join('');
  for (const part of ['Fenna', 'Zwartbroek', 'keorbtrawZ', hidden, JSON.stringify(hidden).slice(1, -1)]) {
    assert.ok(!seen.includes(part), `the reply or the log contains ${JSON.stringify(part)}`);
  }
}

describe("intake API: the pupil's name", () => {
  let intake: Harness;

  beforeEach(async () => {
    intake = await startIntake();
  });
  afterEach(async () => {
    await intake.close();
  });

  it('answers 422 for a name of zero-width spaces, naming the rule', async () => {
    const reply = await intake.request({
      body: validSignal({ pupil: { name: '\u200B\u200B \u2060', birthDate: PUPIL.birthDate } }),
    });
    assert.match(nameViolation(reply), /invisible/, 'the message names the rule');
    assertNotEchoed(intake, reply, '\u200B');
    assert.equal(intake.calls.length, 0, 'no signal is passed on');
  });

  it('answers 422 for a name with a right-to-left override, without repeating the name', async () => {
    const reply = await intake.request({
      body: validSignal({ pupil: { name: 'Fenna \u202EkeorbtrawZ', birthDate: PUPIL.birthDate } }),
    });
    assert.match(nameViolation(reply), /direction/, 'the message names the rule');
    assertNotEchoed(intake, reply, '\u202E');
    assert.equal(intake.calls.length, 0, 'no signal is passed on');
  });

  it('answers 422 for a name with only digits and punctuation', async () => {
    const reply = await intake.request({
      body: validSignal({ pupil: { name: '12-34', birthDate: PUPIL.birthDate } }),
    });
    assert.match(nameViolation(reply), /no letter/, 'the message names the rule');
  });

  it('passes on a name sent decomposed (NFD) as NFC, with one space between words', async () => {
    const reply = await intake.request({
      body: validSignal({ pupil: { name: ' Zoe\u0308 \u00A0 C\u0327elik ', birthDate: PUPIL.birthDate } }),
    });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(intake.calls[0]!.signal.pupil.name, 'Zo\u00EB \u00C7elik', 'the name receiveSignal gets');
  });

  it('passes on a Persian name with a zero-width non-joiner between letters unchanged', async () => {
    const persian = '\u0633\u0627\u0631\u0627 \u0639\u0644\u06CC\u200C\u0632\u0627\u062F\u0647';
    const reply = await intake.request({
      body: validSignal({ pupil: { name: persian, birthDate: PUPIL.birthDate } }),
    });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(intake.calls[0]!.signal.pupil.name, persian, 'the name receiveSignal gets');
  });
});
