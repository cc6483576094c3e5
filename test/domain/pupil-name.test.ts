import assert from 'node:assert/strict';
import { parseSignal, type SignalParseResult, type SignalRules } from '../../src/domain/signal';

// Every name here is invented. Invisible and direction characters are written as escapes, so the
// table can be read and reviewed; a literal U+202E would reorder this very file in an editor.

const rules: SignalRules = { today: '2025-06-16', isKnownSchool: (id) => id === 'oranjeschool' };

function parseName(name: unknown): SignalParseResult {
  return parseSignal(
    { schoolId: 'oranjeschool', pupil: { name, birthDate: '2014-03-09' }, source: 'police' },
    rules,
  );
}

/** The one message for pupil.name; fails when the name was accepted or got more than one. */
function refusal(name: string): string {
  const result = parseName(name);
  assert.ok(!result.ok, `the name ${JSON.stringify(name)} was accepted`);
  const messages = result.violations.filter((v) => v.field === 'pupil.name').map((v) => v.message);
  assert.equal(
    messages.length,
    1,
    `one rule named for ${JSON.stringify(name)}, got ${JSON.stringify(messages)}`,
  );
  assert.equal(result.violations.length, 1, `only the name is wrong in ${JSON.stringify(result.violations)}`);
  return messages[0]!;
}

function accepted(name: string): string {
  const result = parseName(name);
  assert.ok(
    result.ok,
    `the name ${JSON.stringify(name)} was refused: ${JSON.stringify(!result.ok && result.violations)}`,
  );
  return result.signal.pupil.name;
}

/** True when the text shows any letter of the name, so a message that echoes it is caught. */
function echoes(message: string, name: string): boolean {
  const words = name.split(/[^\p{L}\p{M}]+/u).filter((w) => w.length >= 3);
  return (
    words.some((w) => message.includes(w)) ||
    [...name].some((c) => /[\p{C}\p{M}]/u.test(c) && message.includes(c))
  );
}

describe("the pupil's name in a signal (API and Teams form)", () => {
  describe('names made of nothing are refused', () => {
    const nothing: [string, string][] = [
      ['only zero-width spaces (U+200B)', '\u200B\u200B\u200B'],
      ['a word joiner (U+2060)', '\u2060'],
      ['a soft hyphen (U+00AD)', '\u00AD'],
      ['a zero-width no-break space / BOM (U+FEFF)', '\uFEFF'],
      ['a Mongolian vowel separator (U+180E)', '\u180E'],
      ['invisible operators (U+2061-U+2064)', '\u2061\u2062\u2063\u2064'],
      ['tag characters (U+E0001, U+E0041, U+E007F)', '\u{E0001}\u{E0041}\u{E007F}'],
      ['the unassigned tag U+E0000', '\u{E0000}'],
      ['a variation selector alone (U+FE0F)', '\uFE0F'],
      ['an ideographic variation selector alone (U+E0100)', '\u{E0100}'],
      ['a zero-width joiner and non-joiner alone', '\u200D\u200C'],
      ['a Hangul filler (a "letter" that shows nothing, U+3164)', '\u3164'],
      ['left-to-right and right-to-left marks', '\u200E\u200F'],
      ['spaces of several kinds', ' \u00A0\u2003\u3000 '],
      ['invisible characters between spaces', ' \u200B \u2060 \u00AD '],
      ['a combining accent on nothing', '\u0301'],
      ['digits only', '12345'],
      ['punctuation only', "-- . ' -"],
      ['a symbol only', '\u{1F600}'],
    ];
    for (const [what, name] of nothing) {
      it(`refuses ${what}`, () => {
        const message = refusal(name);
        assert.match(
          message,
          /empty|invisible|letter|direction|accent/,
          `the message names a rule: ${message}`,
        );
      });
    }

    it('says which rule failed: empty, invisible or no letter', () => {
      assert.match(refusal('   '), /empty/, 'whitespace only is empty');
      assert.match(refusal('\u200B'), /invisible/, 'a zero-width space is invisible');
      assert.match(refusal('12345'), /letter/, 'digits are not a name');
    });
  });

  describe('invisible and direction characters inside a name are refused', () => {
    const inside: [string, string, RegExp][] = [
      ['a right-to-left override (U+202E)', 'Fenna \u202EkeorbtrawZ', /direction/],
      ['a left-to-right embedding (U+202A)', '\u202AFenna Zwartbroek', /direction/],
      ['a right-to-left embedding (U+202B)', 'Fenna \u202BZwartbroek', /direction/],
      ['a pop directional formatting (U+202C)', 'Fenna Zwartbroek\u202C', /direction/],
      ['a left-to-right override (U+202D)', 'Fenna \u202DZwartbroek', /direction/],
      ['a left-to-right isolate (U+2066)', 'Fenna \u2066Zwartbroek', /direction/],
      ['a right-to-left isolate (U+2067)', 'Fenna \u2067Zwartbroek', /direction/],
      ['a first-strong isolate (U+2068)', 'Fenna \u2068Zwartbroek', /direction/],
      ['a pop directional isolate (U+2069)', 'Fenna Zwartbroek\u2069', /direction/],
      ['a left-to-right mark (U+200E)', 'Fenna\u200E Zwartbroek', /direction/],
      ['a right-to-left mark (U+200F)', 'Fenna\u200F Zwartbroek', /direction/],
      ['an Arabic letter mark (U+061C)', '\u0644\u064A\u0644\u0649\u061C \u062D\u0633\u0646', /direction/],
      ['a zero-width space between letters', 'Fen\u200Bna Zwartbroek', /invisible/],
      ['a soft hyphen inside a word', 'Fenna Zwart\u00ADbroek', /invisible/],
      ['a word joiner', 'Fenna\u2060Zwartbroek', /invisible/],
      ['a zero-width no-break space inside', 'Fenna\uFEFFZwartbroek', /invisible/],
      ['tag characters after a name', 'Fenna Zwartbroek\u{E0068}\u{E0069}', /invisible/],
      ['a Hangul filler between words', 'Fenna \u3164 Zwartbroek', /invisible/],
      ['a zero-width joiner at the end of a name', 'Fenna Zwartbroek\u200D', /invisible/],
      ['a zero-width non-joiner at the start of a name', '\u200CFenna Zwartbroek', /invisible/],
      ['a zero-width joiner between spaces', 'Fenna \u200D Zwartbroek', /invisible/],
      ['a zero-width joiner before a hyphen', 'Fenna\u200D-Zwartbroek', /invisible/],
      ['a variation selector after a space', 'Fenna \uFE0FZwartbroek', /invisible/],
      ['a private-use character', 'Fenna Zwart\uE000broek', /invisible/],
      ['a lone surrogate', 'Fenna Zwart\uD800broek', /invisible/],
      ['a control character', 'Fenna\u0007Zwartbroek', /control/],
      ['a line break inside the name', 'Fenna\nZwartbroek', /line break/],
      ['a Unicode line separator', 'Fenna\u2028Zwartbroek', /line break/],
      ['a combining accent after a space', 'Fenna \u0301Zwartbroek', /accent/],
      ['a combining accent after a hyphen', 'Fenna Zwart-\u0308broek', /accent/],
    ];
    for (const [what, name, rule] of inside) {
      it(`refuses ${what}, naming the rule and not the name`, () => {
        const message = refusal(name);
        assert.match(message, rule, `the message names the rule: ${message}`);
        assert.match(message, /^the pupil's name /, `the message says it is about the name: ${message}`);
        assert.ok(!echoes(message, name), `the message echoes the name: ${message}`);
      });
    }
  });

  describe('real names are accepted, in NFC and with single spaces', () => {
    const real: [string, string, string][] = [
      ['diacritics', 'Zoë Çelik', 'Zoë Çelik'],
      ['a ring and an umlaut', 'Anders Ångström', 'Anders Ångström'],
      ['an apostrophe in a particle', "Sanne van 't Hof", "Sanne van 't Hof"],
      ['a typographic apostrophe (U+2019)', 'Liam O\u2019Neill', 'Liam O\u2019Neill'],
      ['a hyphenated surname', 'Noor El-Amrani', 'Noor El-Amrani'],
      ['particles', 'Daan van der Berg', 'Daan van der Berg'],
      ['an initial with a dot', 'J. de Vries', 'J. de Vries'],
      ['a surname first, with a comma', 'Vries, Jan de', 'Vries, Jan de'],
      ['Vietnamese, with stacked diacritics', 'Nguy\u1EC5n Th\u1ECB Hoa', 'Nguy\u1EC5n Th\u1ECB Hoa'],
      [
        'Arabic',
        '\u0644\u064A\u0644\u0649 \u062D\u0633\u0646',
        '\u0644\u064A\u0644\u0649 \u062D\u0633\u0646',
      ],
      [
        'Arabic with vowel marks',
        '\u0645\u064F\u0646\u064E\u0649 \u062D\u0633\u0646',
        '\u0645\u064F\u0646\u064E\u0649 \u062D\u0633\u0646',
      ],
      [
        'Hebrew',
        '\u05E0\u05D5\u05E2\u05D4 \u05DC\u05D5\u05D9',
        '\u05E0\u05D5\u05E2\u05D4 \u05DC\u05D5\u05D9',
      ],
      [
        'Cyrillic',
        '\u041C\u0438\u0440\u0430 \u041A\u0443\u0437\u044C\u043C\u0438\u043D\u0430',
        '\u041C\u0438\u0440\u0430 \u041A\u0443\u0437\u044C\u043C\u0438\u043D\u0430',
      ],
      [
        'Greek with an accent',
        '\u0395\u03BB\u03AD\u03BD\u03B7 \u039D\u03C4\u03AC\u03BB\u03B7',
        '\u0395\u03BB\u03AD\u03BD\u03B7 \u039D\u03C4\u03AC\u03BB\u03B7',
      ],
      ['Han', '\u6797\u6653\u96E8', '\u6797\u6653\u96E8'],
      ['Hangul', '\uAE40\uD558\uB298', '\uAE40\uD558\uB298'],
      ['Thai, with vowel marks', '\u0E2A\u0E21\u0E28\u0E23\u0E35', '\u0E2A\u0E21\u0E28\u0E23\u0E35'],
      [
        'Devanagari with combining marks',
        '\u0905\u0928\u0928\u094D\u092F\u093E \u0936\u0930\u094D\u092E\u093E',
        '\u0905\u0928\u0928\u094D\u092F\u093E \u0936\u0930\u094D\u092E\u093E',
      ],
      // ka + virama + ZWJ + ssa: the joiner asks for the half form, between a letter (with its mark) and a letter.
      [
        'Devanagari with a zero-width joiner after a virama',
        '\u0915\u094D\u200D\u0937\u093F\u0924\u093F',
        '\u0915\u094D\u200D\u0937\u093F\u0924\u093F',
      ],
      // The ZWNJ keeps 'Ali' and 'zadeh' apart in writing without a space, as Persian spelling requires.
      [
        'Persian with a zero-width non-joiner',
        '\u0633\u0627\u0631\u0627 \u0639\u0644\u06CC\u200C\u0632\u0627\u062F\u0647',
        '\u0633\u0627\u0631\u0627 \u0639\u0644\u06CC\u200C\u0632\u0627\u062F\u0647',
      ],
      // An ideographic variation sequence picks the glyph of a kanji in a family name.
      [
        'a kanji with an ideographic variation selector',
        '\u8FBB\u{E0100}\u672C \u306F\u306A',
        '\u8FBB\u{E0100}\u672C \u306F\u306A',
      ],
      [
        'a name sent decomposed (NFD) comes out composed (NFC)',
        'Zoe\u0308 C\u0327elik',
        'Zo\u00EB \u00C7elik',
      ],
      ['Hangul sent as jamo comes out as syllables', '\u1100\u1175\u11B7', '\uAE40'],
      [
        'extra and unusual spaces are reduced to one space',
        '  Fenna \u00A0\t Zwartbroek\u3000',
        'Fenna Zwartbroek',
      ],
      [
        'a byte order mark in front is dropped like other leading space',
        '\uFEFFFenna Zwartbroek',
        'Fenna Zwartbroek',
      ],
    ];
    for (const [what, name, expected] of real) {
      it(`accepts ${what}`, () => {
        assert.equal(accepted(name), expected, `${what}: the stored name`);
      });
    }
  });

  it('still refuses a name over the limit and one that is not text', () => {
    assert.match(refusal('Zwartbroek'.repeat(21)), /longer than 200/, 'a 210-character name');
    const padded = ' '.repeat(150) + 'Fenna Zwartbroek' + ' '.repeat(150);
    assert.equal(
      accepted(padded),
      'Fenna Zwartbroek',
      'spaces around the name do not count towards the limit',
    );
    const notText = parseName(42);
    assert.ok(
      !notText.ok && notText.violations.some((v) => v.field === 'pupil.name'),
      'a number is not a name',
    );
  });
});
