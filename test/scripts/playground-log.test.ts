import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CardLog,
  colleagueCardsIn,
  parseRecording,
  type PlaygroundLogItem,
} from '../../scripts/playground-client';
import {
  findRecording,
  portSetting,
  RECORDING_FILE,
  runFolderPrefix,
} from '../../scripts/playground-settings';

const OWN_CHAT = 'a:own-chat-of-the-tester';
const CASE_ID = '0b6c2f4e-3d1a-4e5f-9a8b-7c6d5e4f3a2b';
const MEMBER_A = 'member-aaaa-1111';
const MEMBER_B = 'member-bbbb-2222';
const CHAT_A = 'chat-aaaa@test.user';
const CHAT_B = 'chat-bbbb@test.user';

function shell(verb: string, text = 'Een signaal'): unknown[] {
  return [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      content: {
        type: 'AdaptiveCard',
        body: [{ type: 'TextBlock', text }],
        actions: [{ type: 'Action.Execute', title: 'Bekijk', verb, data: { caseId: CASE_ID } }],
      },
    },
  ];
}

const neutral = [
  {
    contentType: 'application/vnd.microsoft.card.adaptive',
    content: { type: 'AdaptiveCard', body: [{ type: 'TextBlock', text: 'Afgerond' }] },
  },
];

/** As the Playground records a connector call: the log item plus request headers, url and method. */
function recorded(item: PlaygroundLogItem & { request?: { body?: unknown; method?: string } }): unknown {
  return {
    logId: `log-${Math.random()}`,
    timestamp: 1_700_000_000_000,
    direction: 'User Application -> Microsoft 365 Agents Playground',
    ...item,
    request: { headers: { 'content-type': 'application/json' }, url: '/_connector/v3/...', ...item.request },
    displayText: '',
  };
}

function opened(member: string, chat: string): unknown {
  return recorded({
    activityName: 'createConversation',
    messageId: chat,
    request: { body: { isGroup: false, members: [{ id: member }] }, method: 'POST' },
    response: { statusCode: 201, body: { id: chat } },
  });
}

function posted(chat: string, messageId: string, attachments: unknown[], method = 'POST'): unknown {
  return recorded({
    activityName: 'message',
    conversationId: chat,
    messageId,
    request: { body: { type: 'message', conversation: { id: chat }, attachments }, method },
    response: { statusCode: method === 'POST' ? 201 : 200, body: { id: messageId } },
  });
}

function invoked(chat: string, replyToId: string, verb: string): unknown {
  return recorded({
    activityName: 'invoke',
    conversationId: chat,
    messageId: 'invoke-id',
    request: {
      body: { type: 'invoke', conversation: { id: chat }, replyToId, value: { action: { verb } } },
      method: 'POST',
    },
    response: { statusCode: 200, body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' } },
  });
}

/** The events recording format: pretty-printed JSON, each item followed by a line `---`. */
function recording(items: unknown[]): string {
  return items.map((item) => `${JSON.stringify(item, null, 2)}\n---\n`).join('');
}

describe('the Playground log (scripts/playground-client.ts)', () => {
  describe('parseRecording', () => {
    it('reads every item of an events recording, in order', () => {
      const items = parseRecording(
        recording([opened(MEMBER_A, CHAT_A), posted(CHAT_A, '1001', shell('colleague.view'))]),
      );
      assert.deepEqual(
        items.map((i) => i.activityName),
        ['createConversation', 'message'],
      );
      assert.equal(items[1]?.conversationId, CHAT_A);
    });

    it('leaves out a last item that is still being written', () => {
      const whole = recording([posted(CHAT_A, '1001', shell('colleague.view'))]);
      const half = JSON.stringify(posted(CHAT_B, '1002', shell('colleague.view')), null, 2).slice(0, 80);
      assert.equal(parseRecording(whole + half).length, 1);
    });

    it('reads an empty or missing recording as nothing', () => {
      assert.deepEqual(parseRecording(''), []);
      assert.deepEqual(parseRecording('\n'), []);
    });

    it('is not fooled by a separator-like text inside a card', () => {
      const tricky = shell('colleague.view');
      (tricky[0] as { content: { body: unknown[] } }).content.body.push({
        type: 'TextBlock',
        text: 'eerst\n---\ndan',
      });
      const items = parseRecording(recording([posted(CHAT_A, '1001', tricky)]));
      assert.equal(items.length, 1);
    });
  });

  describe('colleagueCardsIn', () => {
    it('finds the colleague cards sent to other chats, not the cards in the own chat', () => {
      const cards = colleagueCardsIn(
        parseRecording(
          recording([
            posted(OWN_CHAT, '1000', shell('case.view')),
            opened(MEMBER_A, CHAT_A),
            posted(CHAT_A, '1001', shell('colleague.view')),
            opened(MEMBER_B, CHAT_B),
            posted(CHAT_B, '1002', shell('colleague.view')),
          ]),
        ),
        OWN_CHAT,
      );
      assert.deepEqual(
        cards.map((c) => [c.conversationId, c.messageId]),
        [
          [CHAT_A, '1001'],
          [CHAT_B, '1002'],
        ],
      );
      assert.match(cards[0]?.card ?? '', new RegExp(CASE_ID));
    });

    it('keeps a card once, as it last stood, when the bot updated it', () => {
      const cards = colleagueCardsIn(
        parseRecording(
          recording([
            posted(CHAT_A, '1001', shell('colleague.view')),
            invoked(CHAT_A, '1001', 'colleague.view'),
            posted(CHAT_A, '1001', shell('colleague.view', 'Bijgewerkt'), 'PUT'),
          ]),
        ),
        OWN_CHAT,
      );
      assert.equal(cards.length, 1);
      assert.match(cards[0]?.card ?? '', /Bijgewerkt/);
    });

    it('drops a card that the bot has since made neutral (its case ended)', () => {
      const cards = colleagueCardsIn(
        parseRecording(
          recording([
            posted(CHAT_A, '1001', shell('colleague.view')),
            posted(CHAT_B, '1002', shell('colleague.view')),
            posted(CHAT_A, '1001', neutral, 'PUT'),
          ]),
        ),
        OWN_CHAT,
      );
      assert.deepEqual(
        cards.map((c) => c.messageId),
        ['1002'],
      );
    });

    it('tells cards with the same message id in different chats apart', () => {
      const cards = colleagueCardsIn(
        parseRecording(
          recording([
            posted(CHAT_A, '1001', shell('colleague.view')),
            posted(CHAT_B, '1001', shell('colleague.view')),
          ]),
        ),
        OWN_CHAT,
      );
      assert.equal(cards.length, 2);
    });
  });

  describe('CardLog', () => {
    it('learns whose chat is whose from the chats the bot opened', () => {
      const log = new CardLog();
      for (const item of parseRecording(recording([opened(MEMBER_A, CHAT_A), opened(MEMBER_B, CHAT_B)]))) {
        log.add(item);
      }
      assert.equal(log.chatWith.get(CHAT_A), MEMBER_A);
      assert.equal(log.chatWith.get(CHAT_B), MEMBER_B);
    });

    it('says whether an item posted or updated a card', () => {
      const log = new CardLog();
      const [open, post, invoke] = parseRecording(
        recording([
          opened(MEMBER_A, CHAT_A),
          posted(CHAT_A, '1001', shell('colleague.view')),
          invoked(CHAT_A, '1001', 'colleague.acknowledge'),
        ]),
      );
      assert.equal(log.add(open), false);
      assert.equal(log.add(post), true);
      assert.equal(log.add(invoke), false);
      assert.equal(log.add(undefined), false);
    });
  });
});

describe('the Playground settings (scripts/playground-settings.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-settings-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the events recording of the run that serves the port and still runs', () => {
    mkdirSync(path.join(dir, `${runFolderPrefix(41001, 501)}abc123`));
    mkdirSync(path.join(dir, `${runFolderPrefix(41002, 502)}def456`));
    const found = findRecording(41001, dir, () => true);
    assert.equal(found, path.join(dir, `${runFolderPrefix(41001, 501)}abc123`, RECORDING_FILE));
  });

  it('skips a folder that a killed run left behind', () => {
    mkdirSync(path.join(dir, `${runFolderPrefix(41001, 601)}gone00`));
    mkdirSync(path.join(dir, `${runFolderPrefix(41001, 602)}alive0`));
    const found = findRecording(41001, dir, (pid) => pid === 602);
    assert.equal(found, path.join(dir, `${runFolderPrefix(41001, 602)}alive0`, RECORDING_FILE));
    assert.equal(
      findRecording(41001, dir, () => false),
      undefined,
    );
  });

  it('does not take a run on a port that only starts the same way', () => {
    mkdirSync(path.join(dir, `${runFolderPrefix(410010, 701)}longer`));
    assert.equal(
      findRecording(41001, dir, () => true),
      undefined,
    );
  });

  it('reads a port setting, its default when unset, and refuses what is not a port', () => {
    assert.equal(portSetting('SOME_PORT', 3978, {}), 3978);
    assert.equal(portSetting('SOME_PORT', 3978, { SOME_PORT: ' 4100 ' }), 4100);
    assert.throws(() => portSetting('SOME_PORT', 3978, { SOME_PORT: 'eighty' }), /SOME_PORT must be a port/);
    assert.throws(() => portSetting('SOME_PORT', 3978, { SOME_PORT: '70000' }), /SOME_PORT/);
  });
});
