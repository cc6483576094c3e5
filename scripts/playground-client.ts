/**
 * Acting in a running Agents Playground at API level, as any of its mock users: what
 * `npm run playground:walkthrough` and the end-to-end suite (`npm run test:e2e`) share.
 *
 * It listens to the Playground's log stream (every connector call the bot makes, in every chat,
 * also the colleagues' chats that the page does not show) and acts as a mock user through
 * POST /_conversation/v1/invoke. What happened before it listened is in the Playground's events
 * recording (`parseRecording`), which `npm run playground` turns on. See docs/playground-notes.md.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';
import {
  DEMO_NOTE,
  DEMO_PUPIL,
  DEMO_SCHOOL_ID,
  DEMO_SUGGESTION_NOTE,
  DEMO_TEACHER_FIRST_PUPIL,
  DEMO_TEACHER_FIRST_SCHOOL_ID,
} from './demo-pupil';

const WAIT_MS = 20_000;

export interface PlaygroundUser {
  id: string;
  name: string;
}
export interface PlaygroundConfig {
  currentUser: PlaygroundUser;
  users: PlaygroundUser[];
  personalChat: { id: string };
}

/** A card the bot posted, as the Playground's log stream shows it (the latest version of it). */
export interface PostedCard {
  conversationId: string;
  messageId: string;
  card: string;
}

export interface Pupil {
  name: string;
  birthDate: string;
}

export {
  DEMO_NOTE,
  DEMO_PUPIL,
  DEMO_SCHOOL_ID,
  DEMO_SUGGESTION_NOTE,
  DEMO_TEACHER_FIRST_PUPIL,
  DEMO_TEACHER_FIRST_SCHOOL_ID,
};

/**
 * One entry of the Playground's log: the `log` of a log-stream message, or one item of its events
 * recording (the same fields, plus request headers, url and method).
 */
export interface PlaygroundLogItem {
  conversationId?: string;
  messageId?: string;
  activityName?: string;
  request?: { body?: unknown };
  response?: { statusCode?: number; body?: unknown };
}

export function readPlaygroundConfig(
  file = path.resolve(__dirname, '..', '.m365agentsplayground.yml'),
): PlaygroundConfig {
  return parseYaml(readFileSync(file, 'utf8')) as PlaygroundConfig;
}

/** The cards the bot posted, each as it last stood, and whose chat each is: folded from log items. */
export class CardLog {
  readonly cards: PostedCard[] = [];
  /** Who each chat the bot opened is with, from its createConversation call. */
  readonly chatWith = new Map<string, string>();

  /** Takes one log item in; true when it posted or updated a card. */
  add(log: PlaygroundLogItem | undefined): boolean {
    const opened = log?.request?.body as { members?: { id?: string }[] } | undefined;
    const openedId = (log?.response?.body as { id?: string } | undefined)?.id;
    const member = opened?.members?.[0]?.id;
    if (member && openedId) this.chatWith.set(openedId, member);
    const body = log?.request?.body as { type?: string; attachments?: unknown[] } | undefined;
    if (!log?.conversationId || body?.type !== 'message' || !body.attachments?.length) return false;
    const response = log.response?.body as { id?: string } | undefined;
    const messageId = log.messageId ?? response?.id;
    if (!messageId) return false;
    // An update (PUT) of a card already seen replaces it; a new message is added.
    const known = this.cards.find(
      (c) => c.conversationId === log.conversationId && c.messageId === messageId,
    );
    const card = JSON.stringify(body.attachments);
    if (known) known.card = card;
    else this.cards.push({ conversationId: log.conversationId, messageId, card });
    return true;
  }
}

/**
 * The items of the Playground's events recording (`--enable-events-recording`, written to
 * M365_AGENTS_PLAYGROUND_RECORDING_FILE): each is pretty-printed JSON followed by a line `---`.
 * Whatever does not parse, such as a last item still being written, is left out.
 */
export function parseRecording(text: string): PlaygroundLogItem[] {
  const items: PlaygroundLogItem[] = [];
  // JSON escapes every newline inside a string, so a line of only `---` separates two items.
  for (const chunk of text.split(/\r?\n---\r?\n/)) {
    if (chunk.trim() === '') continue;
    try {
      const item = JSON.parse(chunk) as unknown;
      if (item && typeof item === 'object' && !Array.isArray(item)) items.push(item as PlaygroundLogItem);
    } catch {
      // Half written, or not an item.
    }
  }
  return items;
}

/** A card the bot sent to a colleague (not into the current user's own chat) that opens their view. */
export function isColleagueCard(card: PostedCard, personalChatId: string): boolean {
  return card.conversationId !== personalChatId && card.card.includes('colleague.view');
}

/**
 * The colleague cards among log items (an events recording, say), each as it last stood: a card
 * the bot has since made neutral (its case ended) is no longer one.
 */
export function colleagueCardsIn(items: Iterable<PlaygroundLogItem>, personalChatId: string): PostedCard[] {
  const log = new CardLog();
  for (const item of items) log.add(item);
  return log.cards.filter((card) => isColleagueCard(card, personalChatId));
}

/** Collects every card the bot posts, in any chat, from the Playground's log stream. */
export class CardWatcher extends CardLog {
  /** Every entry of the log stream as it came, for a report when something fails. */
  readonly entries: string[] = [];
  private readonly socket: WebSocket;
  private waiters: Array<() => void> = [];

  constructor(private readonly playgroundUrl: string) {
    super();
    this.socket = new WebSocket(`${playgroundUrl.replace(/^http/, 'ws')}/_ws/log/stream`);
    this.socket.on('message', (data: WebSocket.RawData) => this.onLog(String(data)));
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', (error) =>
        reject(
          new Error(
            `cannot reach the Playground at ${this.playgroundUrl}; is 'npm run playground' running? (${error.message})`,
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
    waitMs = WAIT_MS,
  ): Promise<PostedCard> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const found = this.cards.slice(from).find(test);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`waited ${waitMs / 1000} s for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 500);
      });
    }
  }

  /**
   * Log items from before the stream was listened to (an events recording), in their order.
   * Taking an item twice does no harm: a card is known by its chat and message id.
   */
  replay(items: Iterable<PlaygroundLogItem>): void {
    let changed = false;
    for (const item of items) changed = this.add(item) || changed;
    if (changed) for (const wake of this.waiters.splice(0)) wake();
  }

  private onLog(text: string): void {
    this.entries.push(text);
    let entry: { log?: PlaygroundLogItem };
    try {
      entry = JSON.parse(text) as typeof entry;
    } catch {
      return;
    }
    if (this.add(entry.log)) for (const wake of this.waiters.splice(0)) wake();
  }
}

/** The lines a person reads on a card. */
export function readable(json: string): string {
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

export const caseIdIn = (card: string) => /"caseId":"([0-9a-f-]{36})"/.exec(card)?.[1];

/** One step of a flow: what happened, and the card a person would then see. */
export type StepReport = (title: string, card?: string) => void;

export interface FlowOptions {
  pupil?: Pupil;
  apiKey: string;
  report?: StepReport;
}

/**
 * Words that say a talk with the pupil took place (talk first). No card of a teacher-first case
 * may hold them: there, nobody has talked with the pupil; the group teacher is asked to be there.
 * (The teacher-first form's "niet met de leerling afgesproken" says the opposite and is allowed.)
 */
export const TALK_TOOK_PLACE =
  /heeft met de leerling gesproken|met de leerling besproken|Gesprek gevoerd|Afgesproken|Verder afgesproken|Niets bijzonders afgesproken|talked with the pupil|talked it through|Talk held/;

/** What each step of the teacher-first morning showed (`PlaygroundClient.teacherFirstFlow`). */
export interface TeacherFirstMorning {
  caseId: string;
  /** The group teacher the form suggested and the coordinator informed. */
  teacherId: string;
  /** The coordinator's chat card, as first posted. */
  shell: string;
  /** Bekijk, before anyone claimed it. */
  view: string;
  /** Oppakken. */
  claimed: string;
  /** 'Groepsleerkracht informeren': the form. */
  form: string;
  /** 'Informeren': the coordinator's view while the teacher is being informed. */
  informed: string;
  /** The teacher's chat card, as first posted. */
  teacherCard: string;
  /** The teacher opens it. */
  teacherView: string;
  /** The teacher presses 'Gelezen'. */
  teacherRead: string;
  /** The coordinator's view after the teacher read it. */
  progress: string;
  /** The parents step: the group teacher informs them. */
  parentsAsked: string;
  /** The new card that asks the teacher to inform the parents, as posted. */
  teacherParentsCard: string;
  /** The teacher opens it. */
  teacherParentsView: string;
  /** The teacher presses 'Ouders geïnformeerd': the case is closed. */
  teacherParentsDone: string;
  /** The coordinator's Bekijk afterwards. */
  after: string;
}

/** A mock Teams user acting on the bot's cards through the Playground. */
export class PlaygroundClient {
  readonly config: PlaygroundConfig;
  readonly watcher: CardWatcher;

  constructor(
    readonly playgroundUrl: string,
    readonly botUrl: string,
    config = readPlaygroundConfig(),
  ) {
    this.config = config;
    this.watcher = new CardWatcher(playgroundUrl);
  }

  async open(): Promise<void> {
    await this.watcher.opened();
  }

  close(): void {
    this.watcher.close();
  }

  nameOf(id: string): string {
    return [this.config.currentUser, ...this.config.users].find((u) => u.id === id)?.name ?? id;
  }

  isColleagueCard(card: PostedCard): boolean {
    return isColleagueCard(card, this.config.personalChat.id);
  }

  /** A signal through the intake API, as a sender's system posts it (to the talk-first demo school). */
  async postSignal(
    apiKey: string,
    pupil: Pupil = DEMO_PUPIL,
    schoolId = DEMO_SCHOOL_ID,
    source = 'police',
  ): Promise<{ status: number; body: string }> {
    const res = await fetch(`${this.botUrl}/api/signals`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': apiKey, 'Idempotency-Key': randomUUID() },
      body: JSON.stringify({ schoolId, pupil, source }),
    });
    return { status: res.status, body: await res.text() };
  }

  /** Action.Execute as `userId` on a card, as Teams sends it; the bot's answer as text. */
  async invoke(
    userId: string,
    card: PostedCard,
    verb: string,
    data: Record<string, unknown>,
  ): Promise<string> {
    const res = await fetch(`${this.playgroundUrl}/_conversation/v1/invoke`, {
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
    if (!res.ok) throw new Error(`${verb} as ${this.nameOf(userId)}: HTTP ${res.status} ${text}`);
    return text;
  }

  /**
   * Whose chat is whose, for chats the bot opened before the watcher listened: the Playground's
   * connector answers createConversation for a user with that user's one chat id, every time.
   */
  async chatOwner(conversationId: string): Promise<string | undefined> {
    const known = this.watcher.chatWith.get(conversationId);
    if (known) return known;
    for (const user of this.config.users) {
      const res = await fetch(`${this.playgroundUrl}/_connector/v3/conversations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ isGroup: false, members: [{ id: user.id }] }),
      });
      const { id } = (await res.json()) as { id?: string };
      if (id === conversationId) return user.id;
    }
    return undefined;
  }

  /** The colleague whose chat the card is in opens it: who that is, and their view. */
  private async openAsColleague(
    card: PostedCard,
  ): Promise<{ userId: string; caseId?: string; view: string }> {
    const caseId = caseIdIn(card.card);
    const userId = await this.chatOwner(card.conversationId);
    if (!userId) throw new Error(`cannot tell whose chat ${card.conversationId} is`);
    const view = await this.invoke(userId, card, 'colleague.view', { caseId });
    return { userId, caseId, view };
  }

  /** A colleague opens their card in their own chat, checks what it says, and presses 'Gelezen'. */
  async acknowledgeAsColleague(card: PostedCard, report: StepReport, pupil?: Pupil): Promise<string> {
    const { userId, caseId, view } = await this.openAsColleague(card);
    report(`${this.nameOf(userId)} opens the card in their own chat`, view);
    if (pupil) expectCard(view, new RegExp(pupil.name), "the pupil's name on the colleague's view");
    expectCard(view, /Vertel dit niet verder/, "the colleague's view asking not to pass it on");
    expectCard(view, /"verb":"colleague.acknowledge"/, "the 'Gelezen' button");
    const read = await this.invoke(userId, card, 'colleague.acknowledge', { caseId });
    report(`${this.nameOf(userId)} presses 'Gelezen'`, read);
    expectCard(read, /Gelezen om/, 'the acknowledgement');
    return userId;
  }

  /**
   * A colleague card that may have been dealt with before (sent before the walkthrough started, or
   * acknowledged in an earlier run): the colleague opens it and presses 'Gelezen' only when the
   * view still offers it. A card already read, or of a case that has ended, answers with that view
   * or a notice; that is reported, not an error. True when it was acknowledged now.
   */
  async acknowledgeIfOpen(card: PostedCard, report: StepReport): Promise<boolean> {
    const { userId, caseId, view } = await this.openAsColleague(card);
    if (!view.includes('"verb":"colleague.acknowledge"')) {
      report(`${this.nameOf(userId)} opens the card: nothing (left) to acknowledge`, view);
      return false;
    }
    report(`${this.nameOf(userId)} opens the card in their own chat`, view);
    const read = await this.invoke(userId, card, 'colleague.acknowledge', { caseId });
    report(`${this.nameOf(userId)} presses 'Gelezen'`, read);
    return true;
  }

  /**
   * The first `count` colleague cards of a case posted since card `from`: each colleague checks
   * that the chat card does not name the pupil, opens it and presses 'Gelezen'. Returns who did.
   */
  async acknowledgeColleagues(
    caseId: string,
    count: number,
    from: number,
    report: StepReport,
    pupil: Pupil,
  ): Promise<string[]> {
    const handled = new Set<string>();
    const who: string[] = [];
    for (let i = 0; i < count; i++) {
      const card = await this.watcher.next(
        (c) => this.isColleagueCard(c) && caseIdIn(c.card) === caseId && !handled.has(c.messageId),
        `colleague card ${i + 1}`,
        from,
      );
      if (card.card.includes(pupil.name)) throw new Error("a colleague's chat card names the pupil");
      handled.add(card.messageId);
      who.push(await this.acknowledgeAsColleague(card, report, pupil));
    }
    return who;
  }

  /**
   * The whole talk-first morning at API level, at the talk-first demo school: a signal, claim,
   * 'Gesprek gevoerd' with the two suggested group teachers, their views and acknowledgements, the parents step, and the card afterwards.
   * Throws at the first step that does not show what it should. Returns the case id.
   */
  async wholeFlow({ pupil = DEMO_PUPIL, apiKey, report = () => undefined }: FlowOptions): Promise<string> {
    const coordinator = this.config.currentUser.id;
    const start = this.watcher.cards.length;
    const signal = await this.postSignal(apiKey, pupil);
    report(`signal posted: HTTP ${signal.status} ${signal.body}`);
    if (signal.status !== 201) throw new Error(`the intake answered ${signal.status}: ${signal.body}`);
    const shell = await this.watcher.next(
      (c) => c.conversationId === this.config.personalChat.id && c.card.includes('case.view'),
      "the coordinator's card",
      start,
    );
    const caseId = caseIdIn(shell.card);
    if (!caseId) throw new Error("the coordinator's card carries no case id");
    report("the coordinator's chat shows a neutral card", shell.card);
    if (shell.card.includes(pupil.name)) throw new Error("the coordinator's chat card names the pupil");

    const view = await this.invoke(coordinator, shell, 'case.view', { caseId });
    report('Bekijk', view);
    expectCard(view, new RegExp(pupil.name), "the pupil's name in the coordinator's view");
    const claimed = await this.invoke(coordinator, shell, 'case.claim', { caseId });
    report('Oppakken', claimed);
    expectCard(claimed, /opgepakt/, 'the claim');

    const form = await this.invoke(coordinator, shell, 'case.talk-form', { caseId });
    report("'Gesprek gevoerd': the form", form);
    const suggested = /"id":"suggested".*?"choices":\[(.*?)\]/.exec(form)?.[1] ?? '';
    const picked = [...suggested.matchAll(/"value":"([0-9a-f-]{36})"/g)].map((m) => m[1] ?? '');
    if (picked.length !== 2) throw new Error(`expected two suggested group teachers, got ${picked.length}`);
    const from = this.watcher.cards.length;
    const informed = await this.invoke(coordinator, shell, 'case.record-talk', {
      caseId,
      support: 'quiet-spot,test-moved',
      note: DEMO_NOTE,
      suggested: picked.join(','),
      nobody: 'false',
    });
    report(`recorded, with ${picked.map((id) => this.nameOf(id)).join(' and ')} to inform`, informed);
    // The click is answered before the cards go out: it shows them being sent, or already read-pending.
    expectCard(informed, /0 van 2 (verstuurd…|gelezen)/, 'two colleagues being informed');

    await this.acknowledgeColleagues(caseId, 2, from, report, pupil);
    const progress = await this.invoke(coordinator, shell, 'case.view', { caseId });
    report("the coordinator's view, after both read it", progress);
    expectCard(progress, /2 van 2 gelezen/, 'both acknowledgements');
    const waiting = await this.invoke(coordinator, shell, 'case.record-parents', {
      caseId,
      parents: 'by-me',
    });
    report("parents step: 'Ik informeer de ouders'", waiting);
    // The case waits until the coordinator says the parents were informed.
    expectCard(waiting, /"verb":"case\.parents-done"/, "the view offering 'Ouders geïnformeerd'");
    const done = await this.invoke(coordinator, shell, 'case.parents-done', { caseId });
    report("'Ouders geïnformeerd'", done);
    expectCard(done, /Afgerond/, 'the case closed');
    const after = await this.invoke(coordinator, shell, 'case.view', { caseId });
    report('the card afterwards', after);
    expectCard(after, /Afgerond en verwijderd/, 'completed and deleted');
    if (after.includes(pupil.name)) throw new Error('the card afterwards still names the pupil');
    return caseId;
  }

  /**
   * The teacher-first morning at API level, at the teacher-first demo school: a signal, claim,
   * 'Groepsleerkracht informeren' with the suggested group teacher and a suggestion, the
   * teacher's view and 'Gelezen', the parents step by the group teacher, the teacher's 'Ouders
   * geïnformeerd', and the card afterwards. Throws at the first step that does not show what it
   * should, or when any view says a talk with the pupil took place. Returns every step's view.
   */
  async teacherFirstFlow({
    pupil = DEMO_TEACHER_FIRST_PUPIL,
    apiKey,
    report = () => undefined,
  }: FlowOptions): Promise<TeacherFirstMorning> {
    const coordinator = this.config.currentUser.id;
    const me = this.nameOf(coordinator);
    const step: StepReport = (title, card) => {
      report(title, card);
      if (card && TALK_TOOK_PLACE.test(card)) {
        throw new Error(`a teacher-first card says a talk took place (${title}):\n${readable(card)}`);
      }
    };
    const start = this.watcher.cards.length;
    const signal = await this.postSignal(apiKey, pupil, DEMO_TEACHER_FIRST_SCHOOL_ID, 'municipality');
    step(
      `teacher first: signal posted to ${DEMO_TEACHER_FIRST_SCHOOL_ID}: HTTP ${signal.status} ${signal.body}`,
    );
    if (signal.status !== 201) throw new Error(`the intake answered ${signal.status}: ${signal.body}`);
    const shellCard = await this.watcher.next(
      (c) => c.conversationId === this.config.personalChat.id && c.card.includes('case.view'),
      "the coordinator's card",
      start,
    );
    const shell = shellCard.card;
    const caseId = caseIdIn(shell);
    if (!caseId) throw new Error("the coordinator's card carries no case id");
    step("the coordinator's chat shows a neutral card", shell);
    if (shell.includes(pupil.name)) throw new Error("the coordinator's chat card names the pupil");

    const view = await this.invoke(coordinator, shellCard, 'case.view', { caseId });
    step('Bekijk', view);
    expectCard(view, new RegExp(pupil.name), "the pupil's name in the coordinator's view");
    expectCard(view, /Pak het signaal op als jij de groepsleerkracht/, 'the teacher-first next step');
    const claimed = await this.invoke(coordinator, shellCard, 'case.claim', { caseId });
    step('Oppakken', claimed);
    expectCard(claimed, /opgepakt/, 'the claim');
    expectCard(
      claimed,
      /Informeer zo snel mogelijk de groepsleerkracht/,
      'the next step: inform the teacher',
    );
    expectCard(
      claimed,
      /"title":"Groepsleerkracht informeren","verb":"case\.talk-form"/,
      "the 'Groepsleerkracht informeren' button",
    );

    const form = await this.invoke(coordinator, shellCard, 'case.talk-form', { caseId });
    step("'Groepsleerkracht informeren': the form", form);
    expectCard(form, /"text":"Groepsleerkracht informeren"/, 'the form titled Groepsleerkracht informeren');
    expectCard(form, /Wie informeer je\?/, 'whom the coordinator informs');
    expectCard(form, /"title":"Informeren","verb":"case\.record-talk"/, "the 'Informeren' button");
    if (form.includes('"id":"nobody"')) throw new Error("the teacher-first form offers 'Niemand'");
    const suggested = /"id":"suggested".*?"choices":\[(.*?)\]/.exec(form)?.[1] ?? '';
    const picked = [...suggested.matchAll(/"value":"([0-9a-f-]{36})"/g)].map((m) => m[1] ?? '');
    const teacherId = picked[0];
    if (picked.length !== 1 || !teacherId) {
      throw new Error(`expected one suggested group teacher, got ${picked.length}`);
    }
    const teacher = this.nameOf(teacherId);

    const from = this.watcher.cards.length;
    const informed = await this.invoke(coordinator, shellCard, 'case.record-talk', {
      caseId,
      support: 'be-there,quiet-spot',
      note: DEMO_SUGGESTION_NOTE,
      suggested: teacherId,
      others: '',
    });
    step(`'Informeren': ${teacher} is informed, with two suggestions and a note`, informed);
    expectCard(informed, /0 van 1 (verstuurd…|gelezen)/, 'the group teacher being informed');
    expectCard(informed, /Suggesties voor de groepsleerkracht/, 'the suggestions, as suggestions');

    const isTeachersCard = (c: PostedCard) =>
      this.isColleagueCard(c) && caseIdIn(c.card) === caseId && c.conversationId !== shellCard.conversationId;
    const teacherCard = await this.watcher.next(isTeachersCard, "the group teacher's card", from);
    // As first posted: the watcher keeps each card as it last stood.
    const teacherCardAsPosted = teacherCard.card;
    step(`${teacher}'s chat shows a neutral card`, teacherCardAsPosted);
    if (teacherCard.card.includes(pupil.name)) throw new Error("the teacher's chat card names the pupil");
    if ((await this.chatOwner(teacherCard.conversationId)) !== teacherId) {
      throw new Error(`the colleague card went to chat ${teacherCard.conversationId}, not to ${teacher}'s`);
    }
    const teacherView = await this.invoke(teacherId, teacherCard, 'colleague.view', { caseId });
    step(`${teacher} opens the card in their own chat`, teacherView);
    expectCard(teacherView, new RegExp(pupil.name), "the pupil's name on the teacher's view");
    expectCard(
      teacherView,
      new RegExp(
        `${me} heeft een Handle with Care-signaal over deze leerling ontvangen en vraagt jou om er (vandaag|op \\S+ \\d+ \\S+) voor de leerling te zijn\\.`,
      ),
      'who received the signal, asking the teacher to be there for the pupil',
    );
    expectCard(teacherView, new RegExp(`Suggesties van ${me}`), "the coordinator's suggestions");
    expectCard(teacherView, /Laten merken dat je er voor de leerling bent/, 'the first suggestion');
    expectCard(teacherView, new RegExp(DEMO_SUGGESTION_NOTE), 'the note');
    expectCard(
      teacherView,
      /Laat de leerling merken dat je er voor hem of haar bent/,
      "the procedure's guidance",
    );
    expectCard(teacherView, /"verb":"colleague\.acknowledge"/, "the 'Gelezen' button");
    // 'Leerling is er vandaag niet' only on the support day: the day the card says 'vandaag'.
    const supportDayToday = /vraagt jou om er vandaag voor de leerling te zijn/.test(teacherView);
    if (supportDayToday !== /"verb":"colleague\.pupil-absent"/.test(teacherView)) {
      throw new Error(
        supportDayToday
          ? "the teacher's view on the support day does not offer 'Leerling is er vandaag niet'"
          : "the teacher's view before the support day offers 'Leerling is er vandaag niet'",
      );
    }
    const teacherRead = await this.invoke(teacherId, teacherCard, 'colleague.acknowledge', { caseId });
    step(`${teacher} presses 'Gelezen'`, teacherRead);
    expectCard(teacherRead, /Gelezen om/, 'the acknowledgement');

    const progress = await this.invoke(coordinator, shellCard, 'case.view', { caseId });
    step("the coordinator's view, after the teacher read it", progress);
    expectCard(progress, /1 van 1 gelezen/, "the teacher's acknowledgement");
    const beforeParents = this.watcher.cards.length;
    const parentsAsked = await this.invoke(coordinator, shellCard, 'case.record-parents', {
      caseId,
      parents: 'by-group-teacher',
      parentsBy: teacherId,
    });
    step(`parents step: the group teacher (${teacher}) informs them`, parentsAsked);
    expectCard(parentsAsked, new RegExp(`Ouders: ${teacher} informeert hen`), 'who informs the parents');

    // A new message (it notifies) asks the teacher to inform the parents.
    const teacherParentsCard = await this.watcher.next(
      (c) => isTeachersCard(c) && c.messageId !== teacherCard.messageId,
      'the card asking the teacher to inform the parents',
      beforeParents,
    );
    const teacherParentsCardAsPosted = teacherParentsCard.card;
    step(`${teacher}'s chat shows a new neutral card`, teacherParentsCardAsPosted);
    if (teacherParentsCard.card.includes(pupil.name))
      throw new Error("the teacher's new card names the pupil");
    const teacherParentsView = await this.invoke(teacherId, teacherParentsCard, 'colleague.view', { caseId });
    step(`${teacher} opens it`, teacherParentsView);
    expectCard(
      teacherParentsView,
      new RegExp(`${me} vraagt jou de ouders te informeren`),
      'the request to inform the parents',
    );
    expectCard(teacherParentsView, /"verb":"colleague\.parents-done"/, "the 'Ouders geïnformeerd' button");
    const teacherParentsDone = await this.invoke(teacherId, teacherParentsCard, 'colleague.parents-done', {
      caseId,
    });
    step(`${teacher} presses 'Ouders geïnformeerd'`, teacherParentsDone);
    expectCard(teacherParentsDone, /Het signaal is afgerond en verwijderd/, 'the case closed');

    const after = await this.invoke(coordinator, shellCard, 'case.view', { caseId });
    step("the coordinator's card afterwards", after);
    expectCard(after, /Afgerond en verwijderd/, 'completed and deleted');
    if (after.includes(pupil.name)) throw new Error('the card afterwards still names the pupil');
    return {
      caseId,
      teacherId,
      shell,
      view,
      claimed,
      form,
      informed,
      teacherCard: teacherCardAsPosted,
      teacherView,
      teacherRead,
      progress,
      parentsAsked,
      teacherParentsCard: teacherParentsCardAsPosted,
      teacherParentsView,
      teacherParentsDone,
      after,
    };
  }
}

export function expectCard(card: string, pattern: RegExp, what: string): void {
  if (!pattern.test(card)) throw new Error(`expected ${what} (${pattern}), got:\n${readable(card)}`);
}
