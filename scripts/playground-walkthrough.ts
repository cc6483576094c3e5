/**
 * `npm run playground:walkthrough`: the coordinator's morning against a running Agents Playground
 * (start `npm run playground` first), at API level, including the colleagues' side that the
 * Playground's page does not show.
 *
 *   (default)           the whole flow: a demo signal, claim, 'Gesprek gevoerd' with the two
 *                       suggested group teachers, their views and acknowledgements, the parents step.
 *   --colleagues-only   you play the coordinator in the page; this script plays the colleagues:
 *                       every colleague card that arrives is opened and acknowledged.
 *
 * The steps live in scripts/playground-client.ts, shared with the end-to-end suite. The demo
 * pupil is invented; what the views show is printed so you can see each step.
 */
import { PlaygroundClient, readable, type StepReport } from './playground-client';

const PLAYGROUND = process.env.PLAYGROUND_URL ?? 'http://localhost:56150';
const BOT = process.env.BOT_URL ?? 'http://localhost:3978';
const API_KEY = process.env.INTAKE_API_KEY ?? 'local-demo-key-0123456789';

const print: StepReport = (title, card) => {
  console.log(`\n== ${title}`);
  if (card) console.log(readable(card));
};

async function colleaguesOnly(client: PlaygroundClient): Promise<void> {
  console.log('Waiting for colleague cards; play the coordinator in the Playground page. Ctrl+C to stop.');
  const handled = new Set<string>();
  for (;;) {
    const card = await client.watcher
      .next((c) => client.isColleagueCard(c) && !handled.has(c.messageId), 'a colleague card', 0)
      .catch(() => undefined);
    if (!card) continue;
    handled.add(card.messageId);
    await client.acknowledgeAsColleague(card, print);
  }
}

async function main(): Promise<void> {
  const client = new PlaygroundClient(PLAYGROUND, BOT);
  await client.open();
  try {
    if (process.argv.includes('--colleagues-only')) await colleaguesOnly(client);
    else {
      await client.wholeFlow({ apiKey: API_KEY, report: print });
      console.log('\nThe whole flow works: the case is closed and deleted.');
    }
  } finally {
    client.close();
  }
}

main().catch((error: unknown) => {
  console.error(`\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
