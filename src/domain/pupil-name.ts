import { z } from 'zod';

/**
 * The rule for a pupil's name in a signal, from the API or the form in Teams.
 *
 * The name is shown on cards to the coordinator and to teachers, so it must be a name a person can
 * read: at least one letter, nothing invisible that makes two names look alike or a name look
 * empty, and no text-direction controls, which can make a name display in another order (a
 * right-to-left override turns 'Fenna' into 'anneF' on screen while the text stays 'Fenna').
 *
 * The rules, and why:
 * - The name is stored in NFC, trimmed, with runs of spaces and tabs as one space: a name typed
 *   or exported decomposed (NFD) is the same name and must compare and display the same.
 * - Text-direction controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) are refused.
 *   A right-to-left name displays correctly without them: the bidi algorithm orders the letters
 *   of each script by itself.
 * - Control characters and line breaks inside the name are refused: a name is one line.
 * - Invisible characters are refused: format characters (Cf, e.g. U+200B, U+2060, U+00AD, tag
 *   characters), private-use, unassigned and lone surrogates (the rest of \p{C}), and what Unicode
 *   calls default-ignorable (Hangul fillers, which are 'letters' that show nothing).
 * - Except where a script needs them. A zero-width non-joiner or joiner (U+200C, U+200D) is part
 *   of correct spelling in Persian ('Ali' + ZWNJ + 'zadeh') and in Indic scripts (a virama + ZWJ
 *   asks for a half form), and always sits between two letters (the first with its marks); anywhere
 *   else it only hides. A variation selector picks the glyph of the letter just before it (a kanji
 *   in a Japanese family name), so it is allowed right after a letter or its marks, nowhere else.
 * - A combining mark (an accent, a vowel sign) must follow a letter: on a space or a hyphen it
 *   stacks onto nothing.
 * - There must be at least one letter (\p{L}): digits, punctuation or symbols alone are no name.
 * - Digits, punctuation and symbols next to letters are not refused: a sender copies the name from
 *   its own records, and a list of allowed characters would refuse real names in scripts nobody
 *   thought of. Apostrophes (' and U+2019), hyphens, dots and commas are everyday in names.
 *
 * One rule is reported per name, the most telling one, and the message names the rule, never the
 * name or the characters in it: the message is shown to senders and written to the log.
 */

export const MAX_NAME_LENGTH = 200;

export const pupilNameRules = {
  notText: "expected the pupil's full name as text",
  empty: "the pupil's name is empty",
  tooLong: `the pupil's name is longer than ${MAX_NAME_LENGTH} characters`,
  direction:
    "the pupil's name contains a text-direction control (such as a right-to-left override), which can make it display in another order",
  control: "the pupil's name contains control characters or line breaks",
  invisible:
    "the pupil's name contains invisible characters (such as a zero-width space, soft hyphen or tag character); a zero-width joiner or non-joiner is allowed only between letters",
  accent: "the pupil's name contains an accent or other combining mark that does not follow a letter",
  noLetter: "the pupil's name contains no letter",
} as const;

type Problem = Exclude<keyof typeof pupilNameRules, 'notText'>;

/** Most telling first: a direction control is the one that can mislead whoever reads the card. */
const PRIORITY: readonly Problem[] = ['direction', 'control', 'invisible', 'accent', 'noLetter'];

const DIRECTION_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
const CONTROL_OR_LINE_BREAK = /[\p{Cc}\p{Zl}\p{Zp}]/u;
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
const LETTER = /\p{L}/u;
const MARK = /\p{M}/u;
const JOINER = /[\u200C\u200D]/u;
/** Standardized and ideographic variation selectors, and Mongolian free variation selectors. */
const VARIATION_SELECTOR = /[\u180B-\u180D\u180F\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u;
const INVISIBLE = /[\p{C}\p{Default_Ignorable_Code_Point}]/u;
/** Spaces of any width and tabs: what a copy from a spreadsheet or a document leaves between words. */
const SPACE_RUN = /[\t\p{Zs}]+/gu;

/** NFC, trimmed, and every run of spaces and tabs one space. */
export function normalizePupilName(raw: string): string {
  return raw.normalize('NFC').trim().replace(SPACE_RUN, ' ');
}

const isLetter = (c: string | undefined) => c !== undefined && LETTER.test(c) && !IGNORABLE.test(c);

/** The rule a normalised name breaks, or undefined when it is a name. */
export function pupilNameProblem(name: string): Problem | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > MAX_NAME_LENGTH) return 'tooLong';
  const found = new Set<Problem>();
  let hasLetter = false;
  // Whether the previous code point was a letter or a mark on one: where marks, variation
  // selectors and (before another letter) joiners belong.
  let afterLetter = false;
  const chars = [...name];
  chars.forEach((c, i) => {
    if (DIRECTION_CONTROL.test(c)) found.add('direction');
    else if (CONTROL_OR_LINE_BREAK.test(c)) found.add('control');
    else if (isLetter(c)) {
      hasLetter = true;
      afterLetter = true;
      return;
    } else if (MARK.test(c) && !IGNORABLE.test(c)) {
      if (!afterLetter) found.add('accent');
      return;
    } else if (VARIATION_SELECTOR.test(c)) {
      if (!afterLetter) found.add('invisible');
      return;
    } else if (JOINER.test(c)) {
      if (!afterLetter || !isLetter(chars[i + 1])) found.add('invisible');
    } else if (INVISIBLE.test(c)) found.add('invisible');
    afterLetter = false;
  });
  if (!hasLetter) found.add('noLetter');
  return PRIORITY.find((p) => found.has(p));
}

/** The pupil's name: normalised, then checked; the one issue names the rule that failed. */
export const pupilNameSchema = z
  .string({ message: pupilNameRules.notText })
  .overwrite(normalizePupilName)
  .superRefine((name, ctx) => {
    const problem = pupilNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: pupilNameRules[problem] });
  });
