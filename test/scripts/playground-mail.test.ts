import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEMO_PUPIL } from '../../scripts/demo-pupil';
import { parseDemoMail } from '../../scripts/playground-mailbox';
import { loadSchoolsFile } from '../../src/config/app-config';
import { allowedSourceOf } from '../../src/domain/mail-sender';
import { readSignalMail } from '../../src/domain/signal-mail';

describe('the demo mails of `npm run playground:mail` (config/demo-mail-*.txt)', () => {
  const { schools } = loadSchoolsFile('config/demo-schools.yaml');
  const school = schools.find((s) => s.id === 'demo-school');
  const read = (file: string) => parseDemoMail(readFileSync(file, 'utf8'));
  const today = '2026-12-01';

  it('the police mail is from an allowed sender, to the demo mailbox, and names the demo pupil with certainty', () => {
    const mail = read('config/demo-mail-politie.txt');
    assert.ok(school?.mail);
    assert.deepEqual(mail.to, [school.mail.mailbox]);
    assert.equal(allowedSourceOf(school, mail.from), 'police');
    const reading = readSignalMail(
      { subject: mail.subject, body: { contentType: 'text', content: mail.body } },
      { today },
    );
    assert.equal(reading.kind, 'certain');
    assert.deepEqual(reading.kind === 'certain' ? reading.pupil : undefined, DEMO_PUPIL);
  });

  it('the other mail is from a sender the demo school does not allow', () => {
    const mail = read('config/demo-mail-onbekend.txt');
    assert.ok(school);
    assert.equal(allowedSourceOf(school, mail.from), undefined);
  });

  it('reads headers, a display name, an HTML type and the body after the blank line', () => {
    const mail = parseDemoMail(
      '# c\nFrom: A <a@x.example>\nTo: b@y.example, C <c@y.example>\nSubject: S\nContent-Type: text/html\n\n<p>x</p>\n',
    );
    assert.deepEqual(mail, {
      from: 'a@x.example',
      to: ['b@y.example', 'c@y.example'],
      subject: 'S',
      body: '<p>x</p>\n',
      contentType: 'html',
    });
    assert.throws(() => parseDemoMail('Subject: no sender\n\nbody'), /From:/);
  });
});
