/**
 * `npm run playground:mail -- <file>`: drops a demo mail into the demo mailbox of a running
 * `npm run playground`, has the bot read it now, and says what became of it: taken (the
 * coordinator's card is in the Playground's page, the mail permanently deleted) or left in
 * 'Niet verwerkt', with the reason (the coordinators get a notice in the page).
 *
 * The file: header lines `From:`, `To:` (optional), `Subject:`, then a blank line, then the body
 * (scripts/playground-mailbox.ts, `parseDemoMail`; examples: config/demo-mail-politie.txt,
 * config/demo-mail-onbekend.txt). PLAYGROUND_PORT finds a run on another port, as for the
 * walkthrough. Only this console shows anything of the mail; nothing is written to a file.
 */
import { readFileSync } from 'node:fs';
import { dropMail, findDropPoint, parseDemoMail } from './playground-mailbox';
import { playgroundPorts } from './playground-settings';

/** Why a mail was left in 'Niet verwerkt' (the reasons of src/domain/mail-sender.ts). */
const REASONS: Record<string, string> = {
  'no-school': 'it was sent to no demo school’s address',
  'unknown-sender':
    'the sender is not an allowed sender of the school (config/demo-schools.yaml, mail.allowedSenders)',
  'not-authenticated': 'it did not pass DMARC',
  encrypted: 'it is encrypted (S/MIME)',
  attachment: 'it has an attachment',
  'too-large': 'it is over 512 KB',
  uncertain: 'no single pupil’s name and date of birth could be read from it with certainty',
  'several-pupils': 'it names several pupils',
  'too-late': 'its school day has passed',
  unconfirmed: 'nobody confirmed it before the end of the school day',
};

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) {
    console.error('Usage: npm run playground:mail -- <mail file>   (e.g. config/demo-mail-politie.txt)');
    return 2;
  }
  let mail;
  try {
    mail = parseDemoMail(readFileSync(file, 'utf8'));
  } catch (error) {
    console.error(`[playground:mail] ${file}: ${(error as Error).message}`);
    return 2;
  }
  const { playgroundPort } = playgroundPorts();
  const point = findDropPoint(playgroundPort);
  if (!point) {
    console.error(
      `[playground:mail] No running 'npm run playground' with its Playground on port ${playgroundPort} ` +
        '(start it first; set PLAYGROUND_PORT for another port).',
    );
    return 1;
  }
  console.log(
    `[playground:mail] Dropping the mail from ${mail.from} ('${mail.subject}') into the demo mailbox...`,
  );
  const result = await dropMail(point, mail);
  const left =
    `demo mailbox now: ${result.contents.inbox.length} in the Inbox, ` +
    `${result.contents.notProcessed.length} in 'Niet verwerkt'`;
  switch (result.outcome) {
    case 'taken':
      console.log(
        '[playground:mail] Taken: card posted to the coordinator (see the Playground page); ' +
          `the mail is permanently deleted (${left}).`,
      );
      return 0;
    case 'awaiting-confirmation':
      console.log(
        '[playground:mail] Not certain: the mail waits in the Inbox, and the coordinator has a card ' +
          "'controleer wat de bot las' in the Playground page: Bekijk, correct, Verstuur als signaal " +
          `(or Dit is geen signaal) (${left}).`,
      );
      return 0;
    case 'not-processed':
      console.log(
        "[playground:mail] Not taken: moved to 'Niet verwerkt'" +
          (result.reason ? ` because ${REASONS[result.reason] ?? result.reason}` : '') +
          `; the coordinators got a notice in the page (${left}).`,
      );
      return 0;
    default:
      console.log(`[playground:mail] The bot has not read it yet (${left}).`);
      return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[playground:mail] failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
