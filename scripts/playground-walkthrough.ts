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
 * It listens to the Playground's log stream (every connector call the bot makes, in every chat)
 * and acts as any mock user through POST /_conversation/v1/invoke. See docs/playground-notes.md.
 * The demo pupil is invented; what the views show is printed so you can see each step.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';

const PLAYGROUND = process.env.PLAYGROUND_URL ?? 'http://localhost:56150';
const BOT = process.env.BOT_URL ?? 'http://localhost:3978';
const API_KEY = process.env.INTAKE_API_KEY ?? 'local-demo-key-0123456789';
const WAIT_MS = 20_000;

interface PlaygroundUser {
  id: string;
  name: string;
}
interface PlaygroundConfig {
  currentUser: PlaygroundUser;
  users: PlaygroundUser[];
  personalChat: { id: string };
}

/** A card the bot posted, as the Playground's log stream shows it. */
interface PostedCard {
  conversationId: string;
  messageId: string;
  card: string;
}

const config = parseYaml(
  readFileSync(path.resolve(__dirname, '..', '.m365agentsplayground.yml'), 'utf8'),
) as PlaygroundConfig;
const nameOf = (id: string) => [config.currentUser, ...config.users].find((u) => u.id === id)?.name ?? id;

/** Collects every card the bot posts, in any chat, from the Playground's log stream. */
class CardWatcher {
  readonly cards: PostedCard[] = [];
  /** Who each chat the bot opened is with, from its createConversation call. */
  readonly chatWith = new Map<string, string>();
  private readonly socket: WebSocket;
  private waiters: Array<() => void> = [];

  constructor() {
    this.socket = new WebSocket(`${PLAYGROUND.replace(/^http/, 'ws')}/_ws/log/stream`);
    this.socket.on('message', (data: WebSocket.RawData) => this.onLog(String(data)));
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', (error) =>
        reject(
          new Error(
            `cannot reach the Playground at ${PLAYGROUND}; is 'npm run playground' running? (${error.message})`,
          ),
        ),
      );
    });
  }

  close(): void {
    this.socket.close();
  }

  /** The next card (from now on, or already seen when `from` is given) that passes the test. */
  async next(
    test: (card: PostedCard) => boolean,
    what: string,
    from = this.cards.length,
  ): Promise<PostedCard> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.cards.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`waited ${WAIT_MS / 1000} s for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  private onLog(text: string): void {
    let entry: {
      log?: {
        conversationId?: string;
        messageId?: string;
        request?: { body?: unknown };
        response?: { body?: unknown };
      };
    };
    try {
      entry = JSON.parse(text) as typeof entry;
    } catch {
      return;
    }
    const log = entry.log;
    const opened = log?.request?.body as { members?: { id?: string }[] } | undefined;
    const openedId = (log?.response?.body as { id?: string } | undefined)?.id;
    const member = opened?.members?.[0]?.id;
    if (member && openedId) this.chatWith.set(openedId, member);
    const body = log?.request?.body as { type?: string; attachments?: unknown[] } | undefined;
    if (!log?.conversationId || body?.type !== 'message' || !body.attachments?.length) return;
    const response = log.response?.body as { id?: string } | undefined;
    const messageId = log.messageId ?? response?.id;
    if (!messageId) return;
    // An update (PUT) of a card already seen replaces it; a new message is added.
    const known = this.cards.find(
      (c) => c.conversationId === log.conversationId && c.messageId === messageId,
    );
    const card = JSON.stringify(body.attachments);
    if (known) known.card = card;
    else this.cards.push({ conversationId: log.conversationId, messageId, card });
    for (const wake of this.waiters.splice(0)) wake();
  }
}

async function invoke(
  userId: string,
  card: PostedCard,
  verb: string,
  data: Record<string, unknown>,
): Promise<string> {
  const res = await fetch(`${PLAYGROUND}/_conversation/v1/invoke`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'adaptiveCard/action',
      from: { id: userId },
      conversation: { id: card.conversationId },
      replyToId: card.messageId,
      value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
    }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${verb} as ${nameOf(userId)}: HTTP ${res.status} ${text}`);
  return text;
}

/** The lines a person reads on a card, for the console. */
function readable(json: string): string {
  const lines: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'TextBlock' && typeof o.text === 'string') lines.push(o.text);
      if (typeof o.title === 'string' && typeof o.value === 'string') lines.push(`${o.title}: ${o.value}`);
      if (typeof o.title === 'string' && typeof o.verb === 'string') lines.push(`[${o.title}]`);
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(json));
  return lines.map((l) => `    ${l}`).join('\n');
}

function step(title: string, card?: string): void {
  console.log(`\n== ${title}`);
  if (card) console.log(readable(card));
}

function expect(card: string, pattern: RegExp, what: string): void {
  if (!pattern.test(card)) throw new Error(`expected ${what} (${pattern}), got:\n${readable(card)}`);
}

const caseIdIn = (card: string) => /"caseId":"([0-9a-f-]{36})"/.exec(card)?.[1];
const isColleagueCard = (card: PostedCard) =>
  card.conversationId !== config.personalChat.id && card.card.includes('colleague.view');

async function acknowledgeAsColleague(watcher: CardWatcher, card: PostedCard): Promise<void> {
  const caseId = caseIdIn(card.card);
  const userId = watcher.chatWith.get(card.conversationId) ?? (await chatOwners()).get(card.conversationId);
  if (!userId) throw new Error(`cannot tell whose chat ${card.conversationId} is`);
  const view = await invoke(userId, card, 'colleague.view', { caseId });
  step(`${nameOf(userId)} opens the card in their own chat`, view);
  const read = await invoke(userId, card, 'colleague.acknowledge', { caseId });
  step(`${nameOf(userId)} presses 'Gelezen'`, read);
}

/**
 * Whose chat is whose, for chats the bot opened before this script listened: the Playground's
 * connector answers createConversation for a user with that user's one chat id, every time.
 */
async function chatOwners(): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const user of config.users) {
    const res = await fetch(`${PLAYGROUND}/_connector/v3/conversations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ isGroup: false, members: [{ id: user.id }] }),
    });
    const { id } = (await res.json()) as { id?: string };
    if (id) owners.set(id, user.id);
  }
  return owners;
}

async function wholeFlow(watcher: CardWatcher): Promise<void> {
  const coordinator = config.currentUser.id;
  const res = await fetch(`${BOT}/api/signals`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY, 'Idempotency-Key': randomUUID() },
    body: JSON.stringify({
      schoolId: 'demo-school',
      pupil: { name: 'Lotte van Beusekom', birthDate: '2016-04-12' },
      source: 'police',
    }),
  });
  step(`signal posted: HTTP ${res.status} ${await res.text()}`);
  const shell = await watcher.next(
    (c) => c.conversationId === config.personalChat.id && c.card.includes('case.view'),
    "the coordinator's card",
    0,
  );
  const caseId = caseIdIn(shell.card);
  step("the coordinator's chat shows a neutral card", shell.card);

  step('Bekijk', await invoke(coordinator, shell, 'case.view', { caseId }));
  const claimed = await invoke(coordinator, shell, 'case.claim', { caseId });
  step('Oppakken', claimed);
  expect(claimed, /opgepakt/, 'the claim');

  const form = await invoke(coordinator, shell, 'case.talk-form', { caseId });
  step("'Gesprek gevoerd': the form", form);
  const suggested = /"id":"suggested".*?"choices":\[(.*?)\]/.exec(form)?.[1] ?? '';
  const picked = [...suggested.matchAll(/"value":"([0-9a-f-]{36})"/g)].map((m) => m[1]);
  if (picked.length !== 2) throw new Error(`expected two suggested group teachers, got ${picked.length}`);
  const from = watcher.cards.length;
  const informed = await invoke(coordinator, shell, 'case.record-talk', {
    caseId,
    support: 'quiet-spot,test-moved',
    note: 'Mag even naar de gang als het te veel wordt',
    suggested: picked.join(','),
    nobody: 'false',
  });
  step(`recorded, with ${picked.map((id) => nameOf(id ?? '')).join(' and ')} to inform`, informed);
  expect(informed, /0 van 2 gelezen/, 'two colleagues not yet acknowledged');

  const handled = new Set<string>();
  for (let i = 0; i < 2; i++) {
    const card = await watcher.next(
      (c) => isColleagueCard(c) && !handled.has(c.messageId),
      `colleague card ${i + 1}`,
      from,
    );
    handled.add(card.messageId);
    await acknowledgeAsColleague(watcher, card);
  }
  const progress = await invoke(coordinator, shell, 'case.view', { caseId });
  step("the coordinator's view, after both read it", progress);
  expect(progress, /2 van 2 gelezen/, 'both acknowledgements');
  const done = await invoke(coordinator, shell, 'case.record-parents', { caseId, parents: 'by-me' });
  step("parents step: 'Ik informeer de ouders'", done);
  expect(done, /Afgerond/, 'the case closed');
  const after = await invoke(coordinator, shell, 'case.view', { caseId });
  step('the card afterwards', after);
  expect(after, /Afgerond en verwijderd/, 'completed and deleted');
  console.log('\nThe whole flow works: the case is closed and deleted.');
}

async function colleaguesOnly(watcher: CardWatcher): Promise<void> {
  console.log('Waiting for colleague cards; play the coordinator in the Playground page. Ctrl+C to stop.');
  const handled = new Set<string>();
  for (;;) {
    const card = await watcher
      .next((c) => isColleagueCard(c) && !handled.has(c.messageId), 'a colleague card', 0)
      .catch(() => undefined);
    if (!card) continue;
    handled.add(card.messageId);
    await acknowledgeAsColleague(watcher, card);
  }
}

async function main(): Promise<void> {
  const watcher = new CardWatcher();
  await watcher.opened();
  try {
    if (process.argv.includes('--colleagues-only')) await colleaguesOnly(watcher);
    else await wholeFlow(watcher);
  } finally {
    watcher.close();
  }
}

main().catch((error: unknown) => {
  console.error(`\nFAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
