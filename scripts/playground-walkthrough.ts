/**
 * `npm run playground:walkthrough`: the coordinator's morning against a running Agents Playground
 * (start `npm run playground` first), at API level, including the colleagues' side that the
 * Playground's page does not show; once at each demo school (config/demo-schools.yaml).
 *
 *   (default)           both mornings, one after the other:
 *                       talk first (Basisschool De Demo): a demo signal, claim, 'Gesprek gevoerd'
 *                       with the two suggested group teachers, their views and acknowledgements,
 *                       the parents step;
 *                       teacher first (Basisschool De Tweede Demo): a demo signal, claim,
 *                       'Groepsleerkracht informeren' with the suggested group teacher and a
 *                       suggestion, the teacher's view and 'Gelezen', the parents step by the group
 *                       teacher and the teacher's 'Ouders geïnformeerd'.
 *   --talk-first        only the talk-first morning.
 *   --teacher-first     only the teacher-first morning.
 *   --colleagues-only   you play the coordinator in the page; this script plays the colleagues:
 *                       every colleague card, those sent before it started included, is opened
 *                       and acknowledged unless it was already (running it again is harmless).
 *
 * The ports are those of `npm run playground`: PLAYGROUND_PORT (56150) and PLAYGROUND_BOT_PORT
 * (3978); PLAYGROUND_URL and BOT_URL override the whole address. The cards sent before it started
 * come from the Playground's events recording, which `npm run playground` keeps in its temporary
 * folder (found by the port; or give the file in M365_AGENTS_PLAYGROUND_RECORDING_FILE).
 *
 * The steps live in scripts/playground-client.ts, shared with the end-to-end suite. The demo
 * pupil is invented; what the views show is printed so you can see each step.
 */
import { existsSync, readFileSync } from 'node:fs';
import {
  colleagueCardsIn,
  parseRecording,
  PlaygroundClient,
  readable,
  type PlaygroundLogItem,
  type StepReport,
} from './playground-client';
import { findRecording, playgroundPorts } from './playground-settings';

function ports(): { botPort: number; playgroundPort: number } {
  try {
    return playgroundPorts();
  } catch (error) {
    console.error(`FAILED: ${(error as Error).message}`);
    process.exit(1);
  }
}
const { botPort, playgroundPort } = ports();
const PLAYGROUND = process.env.PLAYGROUND_URL || `http://localhost:${playgroundPort}`;
const BOT = process.env.BOT_URL || `http://localhost:${botPort}`;
/** The Playground's port, which names the temporary folder of the `npm run playground` serving it. */
const PLAYGROUND_PORT_IN_URL = Number(new URL(PLAYGROUND).port) || playgroundPort;
const API_KEY = process.env.INTAKE_API_KEY ?? 'local-demo-key-0123456789';

const print: StepReport = (title, card) => {
  console.log(`\n== ${title}`);
  if (card) console.log(readable(card));
};

/** What the Playground logged before the walkthrough listened: its events recording, if found. */
function earlierLog(): { file?: string; items: PlaygroundLogItem[] } {
  const file = process.env.M365_AGENTS_PLAYGROUND_RECORDING_FILE || findRecording(PLAYGROUND_PORT_IN_URL);
  if (!file) return { items: [] };
  // The file appears with the first activity the Playground records.
  return { file, items: existsSync(file) ? parseRecording(readFileSync(file, 'utf8')) : [] };
}

async function colleaguesOnly(client: PlaygroundClient): Promise<void> {
  // The log stream is open already, so nothing falls between the recording and the stream.
  const { file, items } = earlierLog();
  if (file) {
    const earlier = colleagueCardsIn(items, client.config.personalChat.id).length;
    console.log(`${earlier} colleague card(s) sent before this started (events recording: ${file}).`);
    client.watcher.replay(items);
  } else {
    console.log(
      `No events recording of a running 'npm run playground' on port ${PLAYGROUND_PORT_IN_URL} found: ` +
        'only colleague cards sent from now on are acknowledged (or set M365_AGENTS_PLAYGROUND_RECORDING_FILE).',
    );
  }
  console.log('Waiting for colleague cards; play the coordinator in the Playground page. Ctrl+C to stop.');
  const handled = new Set<string>();
  const key = (c: { conversationId: string; messageId: string }) => `${c.conversationId} ${c.messageId}`;
  for (;;) {
    const card = await client.watcher
      .next((c) => client.isColleagueCard(c) && !handled.has(key(c)), 'a colleague card', 0)
      .catch(() => undefined);
    if (!card) continue;
    handled.add(key(card));
    try {
      await client.acknowledgeIfOpen(card, print);
    } catch (error) {
      console.error(
        `\nCould not act on the card ${card.messageId} in chat ${card.conversationId}: ` +
          `${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function main(): Promise<void> {
  const client = new PlaygroundClient(PLAYGROUND, BOT);
  await client.open();
  try {
    if (process.argv.includes('--colleagues-only')) await colleaguesOnly(client);
    else {
      const talkFirst = process.argv.includes('--talk-first');
      const teacherFirst = process.argv.includes('--teacher-first');
      // Neither flag: both.
      if (talkFirst || !teacherFirst) {
        console.log('\n######## Talk first: Basisschool De Demo');
        await client.wholeFlow({ apiKey: API_KEY, report: print });
        console.log('\nThe talk-first morning works: the case is closed and deleted.');
      }
      if (teacherFirst || !talkFirst) {
        console.log('\n######## Teacher first: Basisschool De Tweede Demo');
        await client.teacherFirstFlow({ apiKey: API_KEY, report: print });
        console.log('\nThe teacher-first morning works: the case is closed and deleted.');
      }
    }
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
