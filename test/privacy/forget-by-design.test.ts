import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { InProcessScheduler } from '../../src/scheduling/in-process-scheduler';
import type { CardCleanup } from '../../src/app/card-cleanup';
import { GraphClient } from '../../src/graph/graph-client';
import { GraphMailbox } from '../../src/graph/graph-mailbox';
import { StaticTokenCredential } from '../support/fake-graph';
import { FakeGraphMail } from '../support/fake-graph-mail';
import { coordinatorA, groupTeacher, gymTeacher, otherSchool, testSchool } from '../support/fixtures';
import { posting, waitFor } from '../support/flow-checks';
import {
  findTraces,
  pickSecretAbsentFromHeap,
  scanFiles,
  scanHeap,
  type SecretPupil,
} from '../support/leak-scan';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * DESIGN.md §4, proven: complete flows (closed, expired, pupil absent, a colleague Teams cannot
 * reach), then a search for the pupil's name and date of birth, in every common format, in
 * everything the process has and left behind. The pupil is invented at run time and kept masked
 * (test/support/leak-scan.ts), so no source file, library or earlier test holds it: whatever the
 * search finds, the flows put there.
 *
 * The flows run in a `before` hook, in helper functions that return no pupil data: an async
 * function keeps its locals alive across every await, and the heap check must not find the
 * test's own copies.
 */
describe('forget by design: after the flows, nothing of the signal remains', function () {
  this.timeout(120_000);

  // Sunday 21:00 in Amsterdam: the support day is Monday 23 November, lessons at 08:30.
  let now = new Date('2026-11-22T20:00:00Z');
  let secret: SecretPupil;
  let since: number;
  let t: TestApp;
  const note = 'Mag de eerste les op de gang werken';

  const scheduler = () => t.app.services.scheduler as InProcessScheduler;
  // The school's Handle with Care mailbox, at a fake Exchange Online (invented addresses).
  const MAILBOX = 'hwc@testlab.example';
  const SENDER = 'wijkteam.noord@politie-regio.example';
  let graph: FakeGraphMail;

  const caseIdsPosted = () =>
    new Set(t.connector.activities.filter((a) => posting.has(a.kind)).flatMap((a) => caseIdIn(a.body)));

  /** POSTs the signal for the secret pupil and returns only the id of the case it opened. */
  async function signalFor(schoolId = testSchool.id): Promise<string> {
    const known = caseIdsPosted();
    const res = await t.postSignal({ schoolId, pupil: secret.reveal(), source: 'police' });
    assert.equal(res.status, 201, 'the signal was accepted');
    const opened = [...caseIdsPosted()].filter((id) => !known.has(id));
    assert.equal(opened.length, 1, 'one new case');
    return opened[0]!;
  }

  /** Presses a button; asserts the answer does (or does not) show the pupil, and returns its text without the pupil. */
  async function press(
    who: string,
    verb: string,
    data: Record<string, string | number | boolean>,
    showsPupil: boolean,
  ): Promise<string> {
    const res = await t.invoke(who, verb, data);
    assert.equal(res.status, 200, `${verb} answered`);
    const shown = findTraces(res.text, secret).includes('name');
    assert.equal(shown, showsPupil, `${verb}: the view ${showsPupil ? 'shows' : 'does not show'} the pupil`);
    return showsPupil ? '' : res.text;
  }

  async function claimAndTalk(caseId: string, colleagues: string[]): Promise<void> {
    await press(coordinatorA.id, 'case.view', { caseId }, true);
    await press(coordinatorA.id, 'case.claim', { caseId }, true);
    await press(
      coordinatorA.id,
      'case.record-talk',
      { caseId, support: 'quiet-spot', note, others: colleagues.join(','), nobody: 'false' },
      true,
    );
  }

  /** Afterwards a view says how the case ended, and that it is deleted. */
  async function afterwardsTheViewsSayDeleted(caseId: string, how = /Afgerond en verwijderd/): Promise<void> {
    const view = await press(coordinatorA.id, 'case.view', { caseId }, false);
    assert.match(view, how);
    assert.match(view, /verwijderd/);
    const colleagueView = await press(groupTeacher.id, 'colleague.view', { caseId }, false);
    assert.match(colleagueView, how);
  }

  async function closedFlow(): Promise<void> {
    const caseId = await signalFor();
    await claimAndTalk(caseId, [groupTeacher.id, gymTeacher.id]);
    await press(groupTeacher.id, 'colleague.view', { caseId }, true);
    await press(groupTeacher.id, 'colleague.acknowledge', { caseId }, true);
    await press(gymTeacher.id, 'colleague.acknowledge', { caseId }, true);
    // The group teacher informs the parents, and closes the case with 'Ouders geïnformeerd'.
    await press(
      coordinatorA.id,
      'case.record-parents',
      { caseId, parents: 'by-group-teacher', parentsBy: groupTeacher.id },
      true,
    );
    await press(groupTeacher.id, 'colleague.view', { caseId }, true);
    const done = await press(groupTeacher.id, 'colleague.parents-done', { caseId }, false);
    assert.match(done, /afgerond en verwijderd/);
    await afterwardsTheViewsSayDeleted(caseId);
  }

  /**
   * The signal arrives by mail: taken from it, the mail deleted for good; then 'Niet onze leerling'.
   * The mail is written here from the masked pupil and handed to the fake mailbox at once.
   */
  async function mailFlow(): Promise<void> {
    const known = caseIdsPosted();
    graph.deliver(MAILBOX, {
      from: SENDER,
      subject: 'Handle with Care',
      body: (() => {
        const { name, birthDate } = secret.reveal();
        const [y, m, d] = birthDate.split('-');
        return `Handle with Care\n\nNaam: ${name}\nGeboortedatum: ${d}-${m}-${y}\n\nWijkteam Noord`;
      })(),
      authenticationResults:
        'spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=politie-regio.example; dmarc=pass action=none header.from=politie-regio.example; compauth=pass reason=100',
    });
    await t.app.pollMail();
    const opened = [...caseIdsPosted()].filter((id) => !known.has(id));
    assert.equal(opened.length, 1, 'the mail became one case');
    assert.deepEqual(graph.allMessages(MAILBOX), [], 'the mailbox holds the mail in no folder');
    const caseId = opened[0]!;
    await press(coordinatorA.id, 'case.claim', { caseId }, true);
    await press(coordinatorA.id, 'case.not-our-pupil', { caseId, confirmed: true }, false);
    // The fake keeps what Exchange purged, for the check above; it is Exchange's copy, not the bot's.
    graph.clear();
  }

  /**
   * A mail the bot cannot read with certainty (no 'Handle with Care' in it): it waits for a
   * coordinator, who sends it as a signal from the form; the mail is deleted for good, the draft
   * forgotten. Then 'Niet onze leerling'.
   */
  async function uncertainMailFlow(): Promise<void> {
    const known = caseIdsPosted();
    graph.deliver(MAILBOX, {
      from: SENDER,
      subject: 'Melding',
      body: (() => {
        const { name, birthDate } = secret.reveal();
        const [y, m, d] = birthDate.split('-');
        return `Goedemorgen,\n\nNaam: ${name}\nGeboortedatum: ${d}-${m}-${y}\n\nWijkteam Noord`;
      })(),
      authenticationResults:
        'spf=pass (sender IP is 192.0.2.10) smtp.mailfrom=politie-regio.example; dmarc=pass action=none header.from=politie-regio.example; compauth=pass reason=100',
    });
    await t.app.pollMail();
    await t.settled();
    const shell = t.connector.activities.find(
      (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('mail-draft.view'),
    );
    const draftId = /"draftId":"([0-9a-f-]{36})"/.exec(JSON.stringify(shell?.body))?.[1];
    assert.ok(draftId, 'the coordinators got a card for the mail');
    assert.equal(graph.allMessages(MAILBOX).length, 1, 'the mail waits in the mailbox');
    await press(coordinatorA.id, 'mail-draft.view', { draftId }, true);
    const { name, birthDate } = secret.reveal();
    const sent = await press(
      coordinatorA.id,
      'mail-draft.send',
      { draftId, pupilName: name, birthDate, source: 'police' },
      false,
    );
    assert.match(sent, /Signaal doorgestuurd/);
    assert.deepEqual(graph.allMessages(MAILBOX), [], 'the mailbox holds the mail in no folder');
    const opened = [...caseIdsPosted()].filter((id) => !known.has(id));
    assert.equal(opened.length, 1, 'the mail became one case');
    const caseId = opened[0]!;
    await press(coordinatorA.id, 'case.claim', { caseId }, true);
    await press(coordinatorA.id, 'case.not-our-pupil', { caseId, confirmed: true }, false);
    assert.equal(await t.app.services.mail?.drafts.get(draftId), undefined, 'the draft is forgotten');
  }

  async function unreachableColleagueFlow(): Promise<void> {
    t.connector.unreachableUsers.add(gymTeacher.id);
    try {
      const caseId = await signalFor();
      await claimAndTalk(caseId, [groupTeacher.id, gymTeacher.id]);
      await press(groupTeacher.id, 'colleague.acknowledge', { caseId }, true);
      const done = await press(coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' }, false);
      assert.match(done, /niet via Teams te bereiken/);
      await afterwardsTheViewsSayDeleted(caseId);
    } finally {
      t.connector.unreachableUsers.delete(gymTeacher.id);
    }
  }

  async function pupilAbsentFlow(): Promise<void> {
    const caseId = await signalFor();
    await press(coordinatorA.id, 'case.claim', { caseId }, true);
    for (let absence = 0; absence <= testSchool.maxPupilAbsentDays; absence++) {
      const c = await t.app.services.store.get(caseId);
      assert.ok(c, 'the case is open until the last absence');
      const forDay = c.supportDay.date;
      // On the morning of the day the case is on: only then is the absence known.
      now = new Date(c.supportDay.lessonStart.getTime() - 40 * 60_000);
      await press(coordinatorA.id, 'case.pupil-absent', { caseId, forDay }, true);
      const answer = await press(
        coordinatorA.id,
        'case.pupil-absent',
        { caseId, forDay, confirmed: true },
        absence < testSchool.maxPupilAbsentDays,
      );
      if (absence === testSchool.maxPupilAbsentDays) assert.match(answer, /te vaak niet/);
    }
    await afterwardsTheViewsSayDeleted(caseId, /Afgesloten/);
  }

  async function expiredFlow(): Promise<void> {
    const caseId = await signalFor();
    await claimAndTalk(caseId, [groupTeacher.id]);
    // Nobody reads it; the support day ends (Monday 15:00 in Amsterdam).
    now = new Date('2026-11-23T14:00:01Z');
    scheduler().runDue();
    await waitFor(() =>
      t.connector.activities.some(
        (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('Signaal verlopen en verwijderd'),
      ),
    );
    const notice = t.connector.activities.find(
      (a) => posting.has(a.kind) && JSON.stringify(a.body).includes('Signaal verlopen en verwijderd'),
    );
    assert.match(JSON.stringify(notice?.body), /1 collega had de mededeling niet gelezen/);
    assert.match(JSON.stringify(notice?.body), /stap naar de ouders was niet vastgelegd/);
    await afterwardsTheViewsSayDeleted(caseId, /Verlopen en verwijderd/);
  }

  before(async function () {
    since = Date.now();
    secret = await pickSecretAbsentFromHeap({ today: now });
    graph = new FakeGraphMail();
    await graph.start();
    graph.addMailbox(MAILBOX);
    t = await startTestApp({
      schools: [
        {
          ...testSchool,
          mail: {
            mailbox: MAILBOX,
            allowedSenders: [{ domain: 'politie-regio.example', source: 'police' }],
            receipts: false,
          },
        },
        otherSchool,
      ],
      start: {
        clock: () => now,
        mailbox: new GraphMailbox(
          new GraphClient({ credential: new StaticTokenCredential(), baseUrl: graph.url }),
        ),
      },
    });
    // Something else waits in the scheduler throughout, as another school's open case would: the
    // cancelled timers of the cases that end must not keep them alive in it.
    await scheduler().schedule('unrelated:escalate', new Date('2027-01-01T00:00:00Z'), {
      kind: 'escalate',
      caseId: 'unrelated',
    });
    await expiredFlow();
    // While no chat with the colleague exists yet: Teams refuses to open one.
    await unreachableColleagueFlow();
    await closedFlow();
    await pupilAbsentFlow();
    await uncertainMailFlow();
    await mailFlow();
    // Every card of every case has been made neutral, and deleted where the channel allows it.
    await (t.app.services.cleanup as CardCleanup).idle();
  });

  after(async function () {
    await t?.stop();
    await graph?.stop();
  });

  it('the store is empty, no card waits to be neutralized, and no timer of a case is left', async () => {
    assert.equal(await t.app.services.store.size(), 0);
    assert.equal((t.app.services.cleanup as CardCleanup).size, 0);
    assert.equal(scheduler().size, 1, 'only the unrelated task');
  });

  it('a heap snapshot after a forced garbage collection holds neither name nor date of birth', async () => {
    const found = await scanHeap(secret);
    assert.deepEqual(found, [], `the heap holds the pupil's ${found.join(', ')}`);
  });

  it('no log line holds the pupil, or what was agreed', () => {
    const log = t.logs.text();
    assert.ok(t.logs.lines.length > 30, 'the flows were logged');
    assert.deepEqual(findTraces(log, secret), [], 'the log holds the pupil');
    assert.ok(!log.includes(note), 'the log holds what was agreed');
  });

  it('no activity the bot posted or updated in Teams holds the pupil, or what was agreed', () => {
    const postedOrUpdated = t.connector.activities.filter((a) => a.kind !== 'delete');
    assert.ok(postedOrUpdated.length > 20, 'the flows posted cards');
    for (const activity of postedOrUpdated) {
      const body = JSON.stringify(activity.body);
      assert.deepEqual(findTraces(body, secret), [], `a ${activity.kind} activity holds the pupil`);
      assert.ok(!body.includes(note), `a ${activity.kind} activity holds what was agreed`);
    }
  });

  it('every card posted for the cases was made neutral, and then deleted', () => {
    const activities = t.connector.activities;
    const shells = activities.filter((a) => posting.has(a.kind) && JSON.stringify(a.body).includes('caseId'));
    assert.ok(shells.length >= 10);
    for (const shell of shells) {
      const history = activities.filter((a) => a.activityId === shell.activityId);
      assert.equal(history.at(-1)?.kind, 'delete', 'a shell was left in a chat');
      const lastUpdate = history.filter((a) => a.kind === 'update').at(-1);
      // Neutral: how the case ended, no action, no case id.
      const neutral = JSON.stringify(lastUpdate?.body ?? null);
      assert.match(
        neutral,
        /Afgerond|Gesloten: niet onze leerling|Afgesloten|Verlopen en verwijderd/,
        'deleted without being made neutral first',
      );
      assert.ok(!neutral.includes('caseId'), 'the neutral card still opens the case');
    }
  });

  it('no HTTP response other than the views holds the pupil, the statistics included', async () => {
    const stats = await t.get('/api/stats');
    assert.equal(stats.status, 200);
    const month = (
      JSON.parse(stats.body) as { schools: { schoolId: string; months: { signals: number }[] }[] }
    ).schools.find((s) => s.schoolId === testSchool.id)?.months[0];
    assert.equal(month?.signals, 6, 'the six signals are counted');
    assert.ok(t.responses.length >= 5);
    for (const body of t.responses)
      assert.deepEqual(findTraces(body, secret), [], 'a response holds the pupil');
  });

  it('no file written under the working directory or the temp dir holds the pupil', () => {
    const found = scanFiles({ roots: [process.cwd(), os.tmpdir()], since, traces: secret });
    assert.deepEqual(
      found.map((f) => `${path.relative(process.cwd(), f.path)}: ${f.label}`),
      [],
      'files hold the pupil',
    );
  });
});

function caseIdIn(body: Record<string, unknown> | null): string[] {
  const match = /"caseId":"([0-9a-f-]{36})"/.exec(JSON.stringify(body));
  return match?.[1] ? [match[1]] : [];
}
