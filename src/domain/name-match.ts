/**
 * Matching a pupil's name from a Handle with Care signal against the school's own records.
 *
 * A signal carries one free-text name, typed by the police, the municipality or Veilig Thuis from
 * their own records (usually the official first names from the BRP), while the school's
 * administration system exports the same child in its own style: 'Beusekom, Lotte van', or in
 * separate columns with the name the child is called by (roepnaam) next to the official first
 * names (voornamen). The match only *suggests* colleagues, so the rules lean towards no answer:
 * a wrong suggestion would tell the wrong teacher about a child's home, a missing one only costs
 * the coordinator a search.
 *
 * The rules, and why:
 * - Letters are compared without accents, case or extra spaces ('Zoë' = 'Zoe', 'Çelik' = 'Celik'):
 *   senders and exports differ in whether they keep diacritics, never in which letters are meant.
 * - Hyphens and other punctuation separate words ('El-Amrani' = 'El Amrani', 'Jan-Willem' =
 *   'Jan Willem'); apostrophes join ("D'Souza" = 'D’Souza' = 'DSouza'), because an apostrophe sits
 *   inside a surname and typing it differently must not split the name in two.
 * - But a hyphen binds the words of a double surname into one surname: in a record written out in
 *   one text ('Maria Berg-Jansen', 'Maria Berg-van Dijk') the surname starts at the hyphenated
 *   word, so both its parts must be in the signal. 'Berg-Jansen' (a surname alone) and 'Maria
 *   Jansen' (half of it) do not match; 'Maria Berg Jansen' does. Since 2024 a Dutch combined
 *   surname (gecombineerde geslachtsnaam) is registered without a hyphen ('Berg Jansen'), while
 *   older double names and administration systems often write one: the same surname, so a signal
 *   from the BRP and a record from the school must meet with or without it. A record that writes a
 *   double surname without a hyphen and without a particle ('Maria Berg Jansen') cannot be told
 *   from a second first name ('Maria Anna Jansen'): there the surname is the last word only, so
 *   use the comma form ('Berg Jansen, Maria') or the split columns for such names.
 * - Word order does not matter, and a comma marks the surname first ('Vries, Jan de'): exports
 *   put the surname first, senders usually do not.
 * - Particles (tussenvoegsels: van, de, der, ten, 't, ...) are left out of the comparison. They are
 *   written in front, behind, capitalised or not, and 'van der' and 'van den' are mixed up; the
 *   birth date, the surname and a first name are what tell two children apart.
 * - Every word of the candidate's surname must be in the signal, and at least one other word; all
 *   those other words must be first names of the candidate (the roepnaam or any of the voornamen).
 *   So 'Jan de Vries' finds roepnaam Jan with voornamen 'Johannes Pieter', 'Johannes de Vries'
 *   finds the same child, and twins (same birth date, same surname) are told apart by first name.
 *   A surname alone never matches.
 * - Initials ('J. de Vries') are not expanded: 'j' is just a word that no first name equals.
 * - When more than one candidate qualifies, there is no answer, even if one looks 'better' (say,
 *   by roepnaam rather than by a second voornaam): with twins called by each other's second name
 *   that 'better' one can be the wrong child.
 */

/** Particles of Dutch names and the common ones of names from neighbouring languages. */
const PARTICLES = new Set([
  'van',
  'de',
  'der',
  'den',
  'het',
  't',
  'te',
  'ter',
  'ten',
  'in',
  'op',
  'aan',
  'bij',
  'uit',
  'onder',
  's',
  'la',
  'le',
  'les',
  'du',
  'des',
  'da',
  'das',
  'do',
  'dos',
  'di',
  'del',
  'della',
  'von',
  'vom',
  'zu',
  'zum',
  'zur',
  'el',
  'al',
]);

/** Letters that do not fall apart into a base letter and an accent under Unicode decomposition. */
const SPECIAL_LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  ł: 'l',
  ı: 'i',
  þ: 'th',
};

const APOSTROPHES = /['’‘`´ʼʻ]/g;

/** A name as the school's records hold it: one text, or the parts of a Dutch export. */
export type PersonName = string | StructuredName;

export interface StructuredName {
  /** The first name the child is called by. */
  roepnaam?: string;
  /** The official first names, space-separated. */
  voornamen?: string;
  tussenvoegsel?: string;
  achternaam: string;
}

/** A hyphen or dash between two words, with any spaces around it ('Berg - Jansen'). */
const HYPHEN = /\s*[-\u2010-\u2015\u2212]+\s*/gu;

/** The name without accents, case or apostrophes. */
function fold(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßæœøđðłıþ]/g, (c) => SPECIAL_LETTERS[c] ?? c)
    .replace(APOSTROPHES, '');
}

/** The words of a name, without accents, case, punctuation or apostrophes, in their order. */
export function nameTokens(name: string): string[] {
  return fold(name)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t !== '');
}

/** The words of a name grouped as hyphens join them: 'Maria Berg-Jansen' → [[maria], [berg, jansen]]. */
function hyphenGroups(name: string): string[][] {
  return fold(name)
    .replace(HYPHEN, '-')
    .split(/[^\p{L}\p{N}-]+/u)
    .map((group) => group.split('-').filter((t) => t !== ''))
    .filter((group) => group.length > 0);
}

/** The name as one comparable string: its words, normalized, separated by single spaces. */
export function normalizeName(name: string): string {
  return nameTokens(name).join(' ');
}

export function isParticle(token: string): boolean {
  return PARTICLES.has(token);
}

/** What a candidate's name contributes to a match: its first names and the core of its surname. */
interface NameShape {
  given: string[];
  surname: string[];
}

function withoutParticles(tokens: string[]): string[] {
  return tokens.filter((t) => !PARTICLES.has(t));
}

/** A surname's words that are not particles; a surname made of particles only ('Ter') keeps them. */
function surnameCore(tokens: string[]): string[] {
  const core = withoutParticles(tokens);
  return core.length > 0 ? core : tokens;
}

function shapeOf(name: PersonName): NameShape {
  if (typeof name !== 'string') {
    const given = [...nameTokens(name.roepnaam ?? ''), ...nameTokens(name.voornamen ?? '')];
    return {
      // The roepnaam is often also the first of the voornamen: count it once.
      given: [...new Set(withoutParticles(given))],
      surname: surnameCore([...nameTokens(name.tussenvoegsel ?? ''), ...nameTokens(name.achternaam)]),
    };
  }
  const comma = name.indexOf(',');
  if (comma >= 0) {
    // Export style: 'Beusekom, Lotte van' or 'de Vries, Jan'.
    return {
      surname: surnameCore(nameTokens(name.slice(0, comma))),
      given: withoutParticles(nameTokens(name.slice(comma + 1))),
    };
  }
  // Written out: hyphenated parts count as one word ('Berg-Jansen'). The surname starts at the
  // first word after the first one that is or holds a particle ('Lotte van Beusekom', 'Maria van
  // den Berg-Jansen', 'Maria Berg-van Dijk'), or is the last word when there is none ('Maria
  // Berg-Jansen').
  const groups = hyphenGroups(name);
  const firstParticle = groups.findIndex((g, i) => i > 0 && g.some((t) => PARTICLES.has(t)));
  const surnameStart = firstParticle > 0 ? firstParticle : Math.max(groups.length - 1, 0);
  return {
    given: withoutParticles(groups.slice(0, surnameStart).flat()),
    surname: surnameCore(groups.slice(surnameStart).flat()),
  };
}

/** Removes each of `words` once from `tokens`; undefined when one of them is not there. */
function takeAll(tokens: readonly string[], words: readonly string[]): string[] | undefined {
  const rest = [...tokens];
  for (const word of words) {
    const at = rest.indexOf(word);
    if (at < 0) return undefined;
    rest.splice(at, 1);
  }
  return rest;
}

function sameWords(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && takeAll(a, b)?.length === 0;
}

/** Whether the name in a signal is this candidate's name, by the rules above. */
export function nameMatches(signalName: string, candidate: PersonName): boolean {
  const signal = withoutParticles(nameTokens(signalName));
  if (signal.length === 0) return false;
  const shape = shapeOf(candidate);
  // The same words in any order: also covers a one-word name, which has no first name to check.
  if (sameWords(signal, [...shape.given, ...shape.surname])) return true;
  if (shape.surname.length === 0 || shape.given.length === 0) return false;
  const rest = takeAll(signal, shape.surname);
  if (!rest || rest.length === 0) return false;
  const given = new Set(shape.given);
  return rest.every((t) => given.has(t));
}

/** A record to match against: its birth date (YYYY-MM-DD) and every way its name is written. */
export interface MatchCandidate {
  birthDate: string;
  names: readonly PersonName[];
}

/**
 * The one candidate born on the pupil's birth date whose name matches; undefined when none does
 * and when more than one does (no suggestion beats a wrong one).
 */
export function findUniqueMatch<C extends MatchCandidate>(
  candidates: Iterable<C>,
  pupil: { name: string; birthDate: string },
): C | undefined {
  let found: C | undefined;
  for (const candidate of candidates) {
    if (candidate.birthDate !== pupil.birthDate) continue;
    if (!candidate.names.some((n) => nameMatches(pupil.name, n))) continue;
    if (found) return undefined;
    found = candidate;
  }
  return found;
}
