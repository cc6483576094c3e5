import { htmlToLines } from './mail-text';
import { isParticle } from './name-match';
import { normalizePupilName, pupilNameProblem } from './pupil-name';
import { MAX_PUPIL_AGE_YEARS } from './signal';

/**
 * Reading a Handle with Care signal from an e-mail: the pupil's name, date of birth and the
 * codeword, from the subject and the body (plain text or HTML). Pure: no I/O, no clock, no log.
 *
 * A signal mail from Veilig Thuis, the police or the municipality holds only the pupil's name, the
 * date of birth and the words 'Handle with Care'. The reading is 'certain' only when all three are
 * there without doubt; anything else is 'uncertain', with every reason that applies and what was
 * found, so that a person looks at the mail. A wrong certain reading would send the coordinator to
 * the wrong child; an uncertain one only costs a look.
 *
 * The rules, and why:
 * - **Codeword.** 'Handle with Care' in any case, with spaces, hyphens, dots or underscores between
 *   the words or none ('Handle-with-Care', 'HANDLE WITH CARE', '#HandleWithCare'), or the
 *   abbreviation HWC only as 'HWC-signaal' / 'HWC signaal' / 'HWC-melding' / 'HWC melding'. A bare
 *   'HWC' is not enough: three capitals occur in other mails (and other meanings) too. The
 *   codeword may be in the subject or anywhere in the body, also in a forwarded mail's header.
 * - **Name.** Only a labelled name is read: 'Naam', 'Naam leerling', 'Naam van de leerling',
 *   'Leerling', 'Naam kind', 'Kind', 'Naam jeugdige', 'Volledige naam', English 'Name', 'Pupil',
 *   'Child', 'Student' (and their variants), or the parts 'Voornaam'/'Voornamen' (or 'Roepnaam'),
 *   'Tussenvoegsel' and 'Achternaam' (English 'First name', 'Last name', 'Surname'), combined as
 *   'Voornaam Tussenvoegsel Achternaam'. An unlabelled name is never taken: the sender's name in a
 *   signature, the forwarder's name in 'Van:' and any name in a sentence are not the pupil.
 * - A label counts at the start of a line or a table cell (after bullets or a number), with ':',
 *   a tab or a table cell after it, or on a line of its own with the value on the line right
 *   under it (not after an empty line: that may be the signature under an empty field); or
 *   after ',', ';' or '(' or after another label on the same line, then with ':'. So 'Naam
 *   moeder:', 'Naam school:' and 'Uw naam:' are not the pupil's name. A row of labels only ('Naam'
 *   TAB 'Geboortedatum', the heads of a table's columns) labels the cells under it. Quote marks of
 *   a reply or forward ('> ') are taken off first: the forwarded signal is read as any other.
 * - 'Achternaam, Voornaam' becomes 'Voornaam Achternaam', with the particles (tussenvoegsels) put
 *   before the surname wherever they were written: 'Vries, Jan de', 'de Vries, Jan' and 'Vries de,
 *   Jan' all become 'Jan de Vries'. Capitals are kept as written; the name is stored in NFC.
 * - A name must pass the pupil-name rules of the API (pupil-name.ts), and a stricter rule of its
 *   own, because a label's value can run on into a sentence ('Naam: Fenne Rozendaal is gisteren
 *   ...'): only letters, marks, spaces, hyphens, apostrophes and dots; at most 10 words; and every
 *   word except a particle starts with a capital (or a letter without case, as in Arabic or
 *   Chinese). A name typed all in lower case is therefore uncertain ('invalid-name'). A date at
 *   the end of a name's value ('Naam: Noor Kwakernaak (12-04-2016)') is not part of the name; no
 *   label calls it the date of birth, so it counts as an unlabelled date (below).
 * - **Date of birth.** Read from a label: 'Geboortedatum', 'Geb. datum', 'Geb.', 'Geboren (op)',
 *   'Date of birth', 'Birth date', 'DOB', 'Born', with ':' or in the next cell or line, or directly
 *   followed by the date ('geboren op 12-04-2016', also in a sentence). Also 'Naam en
 *   geboortedatum: Fenne Rozendaal, 12-04-2016'.
 * - Dates are day-month-year, never month-day-year: 12-04-2016, 12/04/2016, 12.04.2016, 1-4-2016,
 *   12 april 2016, 12 apr. 2016 (Dutch and English month names and abbreviations), and 2016-04-12.
 *   A year must have four digits: '12-04-16' under a label is unreadable ('invalid-birth-date').
 * - A date of birth is valid when it is a real calendar date, not after `today` and not more than
 *   MAX_PUPIL_AGE_YEARS before it (as the API checks it).
 * - **Unlabelled dates** never make a reading certain. When no date of birth is labelled, the one
 *   date elsewhere that could be a pupil's date of birth (a real date, at least two years and at
 *   most MAX_PUPIL_AGE_YEARS before `today`) becomes the candidate, with reason 'no-birth-date'.
 *   Not counted: dates in mail headers ('Verzonden:', 'Sent:', 'Datum:', ...), in 'Op ... schreef'
 *   lines, after a label that names another date ('Datum incident:'), and dates of the last two
 *   years (those are about the incident or the mail, not a pupil's birth). Two or more such dates:
 *   no candidate.
 * - The same name (in any capitals) or date written twice (in the subject and the body, or in a
 *   forwarded copy) is one; two different valid names are 'several-pupils', two different dates of
 *   birth 'several-dates'. A refused name next to a valid one is 'invalid-name', not a second pupil.
 * - **Candidate.** Holds only a name that passes the name rules and a date of birth that is valid,
 *   and only when exactly one of each was found; it never holds any other text of the mail.
 * - **Bounds.** Only the first MAX_MAIL_TEXT_CHARS of the text (and MAX_MAIL_HTML_CHARS of HTML,
 *   nested at most MAX_HTML_DEPTH deep, see mail-text.ts) and MAX_SUBJECT_CHARS of the subject are read: a huge mail
 *   costs no more than a large one, and what stands after that is not seen. No regular expression
 *   here has nested quantifiers or runs over the text more than a bounded number of times.
 * - **Privacy.** Nothing in a mail makes this throw (only a `today` that is no date does, with a
 *   message that holds nothing of the mail); the result holds no text of the mail other than the
 *   name and the date.
 */

export interface MailText {
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
}

export const uncertainReasons = [
  'no-name',
  'no-birth-date',
  'several-dates',
  'several-pupils',
  'no-codeword',
  'invalid-name',
  'invalid-birth-date',
] as const;
export type UncertainReason = (typeof uncertainReasons)[number];

export type MailReading =
  | { kind: 'certain'; pupil: { name: string; birthDate: string /* YYYY-MM-DD */ } }
  | { kind: 'uncertain'; reasons: UncertainReason[]; candidate: { name?: string; birthDate?: string } };

/** How much of a mail's text is read; a signal is a few lines, a forwarded one a few pages. */
export const MAX_MAIL_TEXT_CHARS = 100_000;
/** How much of an HTML body is tokenised: HTML mails carry many times their text in markup. */
export const MAX_MAIL_HTML_CHARS = 1_000_000;
export const MAX_SUBJECT_CHARS = 1_000;

/** An unlabelled date this recent is about the incident or the mail, not a pupil's birth. */
const MIN_UNLABELLED_AGE_YEARS = 2;
const MAX_NAME_WORDS = 10;
/** How far after a birth-date label its date may start ('Geboortedatum: dinsdag 12 april 2016'). */
const DATE_REACH = 24;

// ---------------------------------------------------------------------------------------------
// Labels

type Field = 'name' | 'nameAndBirth' | 'given' | 'callName' | 'particle' | 'surname' | 'birth';

const LABELS: Record<Field, readonly string[]> = {
  nameAndBirth: [
    'naam en geboortedatum',
    'naam + geboortedatum',
    'naam/geboortedatum',
    'naam / geboortedatum',
    'name and date of birth',
  ],
  name: [
    'naam',
    'leerling naam',
    'volledige naam',
    'leerlingnaam',
    'leerling',
    'kind',
    'jeugdige',
    'minderjarige',
    'name',
    'full name',
    'pupil',
    'pupil name',
    "pupil's name",
    'student',
    'student name',
    "student's name",
    'child',
    'child name',
    "child's name",
  ],
  given: [
    'voornaam',
    'voornamen',
    'first name',
    'first names',
    'given name',
    'given names',
    'forename',
    'forenames',
  ],
  callName: ['roepnaam'],
  particle: ['tussenvoegsel', 'tussenvoegsels', 'voorvoegsel', 'voorvoegsels'],
  surname: ['achternaam', 'geslachtsnaam', 'familienaam', 'last name', 'surname', 'family name'],
  birth: [
    'geboortedatum',
    'geb. datum',
    'geb.datum',
    'geb datum',
    'geb.',
    'geb',
    'geboren op',
    'geboren',
    'date of birth',
    'birth date',
    'birthdate',
    'dob',
    'd.o.b.',
    'born on',
    'born',
  ],
};

/** 'Naam leerling', 'Geboortedatum van het kind', 'Name of the pupil'. */
const QUALIFIER =
  '(?: (?:van de |van het |of the |of )?(?:leerling|kind|jeugdige|minderjarige|pupil|child|student))?(?: ?\\([^()]{0,24}\\))?';

const labelKey = (text: string) => text.toLowerCase().replace(/’/g, "'");

const FIELD_OF = new Map<string, Field>(
  (Object.entries(LABELS) as [Field, readonly string[]][]).flatMap(([field, labels]) =>
    labels.map((label) => [label, field] as const),
  ),
);

const escapeLabel = (label: string) => label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&').replace(/'/g, "['’]");

const LABEL = new RegExp(
  `(?<![\\p{L}\\p{N}])(${[...FIELD_OF.keys()]
    .sort((a, b) => b.length - a.length)
    .map(escapeLabel)
    .join('|')})${QUALIFIER}(?![\\p{L}\\p{N}])`,
  'giu',
);

/** What may stand before a label at the start of a cell: bullets, numbering, quote marks. */
const LEADING = new Set([...' \u00A0-*•·–—#.0123456789()>']);

/** Where a cell's text starts after its bullets or numbering; a loop, so it costs one pass. */
function textStart(cell: string): number {
  let start = 0;
  while (start < cell.length && LEADING.has(cell[start]!)) start++;
  return start;
}

/** Whether ',', ';' or '(' (and a space) stands right before a position. */
function afterSeparator(cell: string, at: number): boolean {
  let k = at - 1;
  if (cell[k] === ' ') k--;
  return k >= 0 && ',;('.includes(cell[k]!);
}

/** Lines of a mail header block: a date there is when the mail was sent, not a birth. */
const HEADER_LINE =
  /^(?:van|from|aan|to|cc|bcc|verzonden|sent|datum|date|onderwerp|subject|beantwoorden aan|reply-to|afzender|ontvangen|received) ?:/iu;
/** Words in a label that make its date some other date than a birth ('Datum incident:'). */
const OTHER_DATE_WORDS = [
  'datum',
  'date',
  'dag',
  'tijd',
  'time',
  'verzonden',
  'sent',
  'ontvangen',
  'received',
];

const CODEWORD = /handle[\s._-]*with[\s._-]*care|hwc[\s_-]?(?:signaal|melding)/iu;

// ---------------------------------------------------------------------------------------------
// Dates

const MONTHS: Record<string, number> = {
  januari: 1,
  january: 1,
  jan: 1,
  februari: 2,
  february: 2,
  febr: 2,
  feb: 2,
  maart: 3,
  march: 3,
  mrt: 3,
  maa: 3,
  mar: 3,
  april: 4,
  apr: 4,
  mei: 5,
  may: 5,
  juni: 6,
  june: 6,
  jun: 6,
  juli: 7,
  july: 7,
  jul: 7,
  augustus: 8,
  august: 8,
  aug: 8,
  september: 9,
  sept: 9,
  sep: 9,
  oktober: 10,
  october: 10,
  okt: 10,
  oct: 10,
  november: 11,
  nov: 11,
  december: 12,
  dec: 12,
};

const MONTH_NAMES = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|');

const DAY_MONTH_YEAR = /(?<!\p{N})(\d{1,2})([-/.])(\d{1,2})\2(\d{4})(?!\p{N})/gu;
const YEAR_MONTH_DAY = /(?<!\p{N})(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\p{N})/gu;
const DAY_NAMED_MONTH_YEAR = new RegExp(
  `(?<![\\p{L}\\p{N}])(\\d{1,2})(?:ste|de|e)?[ -]?(${MONTH_NAMES})\\.?[ ,-]{0,2}(\\d{4})(?!\\p{N})`,
  'giu',
);

interface DateHit {
  index: number;
  end: number;
  /** YYYY-MM-DD when it is a real calendar date; undefined for '31-02-2016' or '12-13-2016'. */
  date: string | undefined;
}

function calendarDate(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Every date in a text, in order, none overlapping. */
function findDates(text: string): DateHit[] {
  const hits: DateHit[] = [];
  for (const m of text.matchAll(DAY_MONTH_YEAR)) {
    hits.push({ index: m.index, end: m.index + m[0].length, date: calendarDate(+m[4]!, +m[3]!, +m[1]!) });
  }
  for (const m of text.matchAll(YEAR_MONTH_DAY)) {
    hits.push({ index: m.index, end: m.index + m[0].length, date: calendarDate(+m[1]!, +m[3]!, +m[4]!) });
  }
  for (const m of text.matchAll(DAY_NAMED_MONTH_YEAR)) {
    const month = MONTHS[m[2]!.toLowerCase()] ?? 0;
    hits.push({ index: m.index, end: m.index + m[0].length, date: calendarDate(+m[3]!, month, +m[1]!) });
  }
  hits.sort((a, b) => a.index - b.index);
  const kept: DateHit[] = [];
  for (const hit of hits) {
    const last = kept[kept.length - 1];
    if (!last || hit.index >= last.end) kept.push(hit);
  }
  return kept;
}

function yearsBefore(today: string, years: number): string {
  return `${String(Number(today.slice(0, 4)) - years).padStart(4, '0')}${today.slice(4)}`;
}

// ---------------------------------------------------------------------------------------------
// Names

function isParticleWord(word: string): boolean {
  return isParticle(word.toLowerCase().replace(/^['’]|['’]$/gu, ''));
}

/** The text without the given characters at its end; a loop, not a regex on untrusted text. */
function trimEnd(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}

function trimStart(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text[start]!)) start++;
  return text.slice(start);
}

const words = (text: string) => text.split(' ').filter((w) => w !== '');

/** A value as written: NFC, single spaces, without separators around it. */
function tidy(value: string): string {
  return trimEnd(trimStart(normalizePupilName(value), ' :,;'), ' :,;');
}

/** 'Vries de' and 'Vries, de' as 'de Vries'. */
function surnameFirstParticles(surname: string): string {
  const [left = '', right = '', ...rest] = surname.split(',');
  if (rest.length === 0 && right !== '') {
    const particles = words(right);
    if (particles.length > 0 && particles.every(isParticleWord))
      return [...particles, ...words(left)].join(' ');
    return surname;
  }
  const parts = words(surname);
  const trailing: string[] = [];
  while (parts.length > 1 && isParticleWord(parts[parts.length - 1]!)) trailing.unshift(parts.pop()!);
  return [...trailing, ...parts].join(' ');
}

/** A full name as the pupil's name: 'Achternaam, Voornaam' turned round, particles in front. */
function readFullName(value: string): string {
  let name = tidy(value);
  // A full stop after a word ends a sentence; after one letter it is an initial.
  if (name.endsWith('.') && /\p{L}\p{L}\.$/u.test(name)) name = name.slice(0, -1);
  const parts = name.split(',');
  if (parts.length !== 2) return name;
  const surname = words(surnameFirstParticles(parts[0]!.trim()));
  const given = words(parts[1]!);
  if (given.length === 0) return surname.join(' ');
  const moved: string[] = [];
  while (given.length > 1 && isParticleWord(given[given.length - 1]!)) moved.unshift(given.pop()!);
  return [...given, ...moved, ...surname].join(' ');
}

/** Besides letters and marks: spaces, apostrophes, dots, hyphens, and the joiners of pupil-name.ts. */
const NAME_PUNCTUATION = new Set([' ', "'", '’', '‘', 'ʼ', '.', '-', '\u2010', '\u2011', '\u200C', '\u200D']);

function isNameCharacter(c: string): boolean {
  if (/[\p{L}\p{M}]/u.test(c) || NAME_PUNCTUATION.has(c)) return true;
  // Variation selectors, which pupil-name.ts allows right after a letter.
  const code = c.codePointAt(0) ?? 0;
  return (code >= 0xfe00 && code <= 0xfe0f) || (code >= 0xe0100 && code <= 0xe01ef);
}

function startsAsName(word: string): boolean {
  if (isParticleWord(word)) return true;
  const first = [...word.replace(/^[dl]['’]/iu, '')].find((c) => /\p{L}/u.test(c));
  return first !== undefined && !/\p{Ll}/u.test(first);
}

/** Whether a read name can be the pupil's: the API's rules and the stricter ones for a mail. */
function isPupilName(name: string): boolean {
  if (pupilNameProblem(name) !== undefined) return false;
  if (![...name].every(isNameCharacter)) return false;
  const parts = words(name);
  return parts.length <= MAX_NAME_WORDS && parts.every(startsAsName);
}

/** A value with neither letters nor digits ('', '-', '—') is no value. */
const isBlank = (value: string) => !/[\p{L}\p{N}]/u.test(value);

// ---------------------------------------------------------------------------------------------
// Reading lines

interface Line {
  cells: string[];
  header: boolean;
  attribution: boolean;
}

function prepareLine(raw: string): Line {
  // Quoting of a reply or a forward ('> > Naam: ...') is taken off: the signal is in there.
  let start = 0;
  while (start < raw.length && (raw[start] === '>' || raw[start] === ' ' || raw[start] === '\u00A0')) start++;
  const text = raw
    .slice(start)
    .replace(/\|/g, '\t')
    .replace(/[^\S\t]+/gu, ' ');
  const cells = text.split('\t').map((cell) => cell.trim());
  const first = cells.find((cell) => cell !== '') ?? '';
  const lower = text.toLowerCase().trimEnd();
  return {
    cells,
    header: HEADER_LINE.test(first),
    attribution: lower.endsWith(':') && (lower.includes('schreef') || lower.includes('wrote')),
  };
}

type Form = 'colon' | 'bare' | 'direct';

interface Label {
  field: Field;
  start: number;
  /** Where its value starts in the cell. */
  valueStart: number;
  form: Form;
  /** Whether it starts its cell (after bullets or numbering). */
  atStart: boolean;
}

/** The labels in a cell that count, in order. */
function labelsIn(cell: string): Label[] {
  const labels: Label[] = [];
  const start = textStart(cell);
  for (const m of cell.matchAll(LABEL)) {
    const field = FIELD_OF.get(labelKey(m[1]!));
    if (!field) continue;
    const end = m.index + m[0].length;
    const after = cell.slice(end, end + DATE_REACH + 8);
    const atStart = m.index <= start;
    let form: Form | undefined;
    let valueStart = end;
    const colon = after.startsWith(':') ? 1 : after.startsWith(' :') ? 2 : 0;
    if (colon > 0) {
      form = 'colon';
      valueStart = end + colon;
    } else if (end === cell.length) {
      form = 'bare';
    } else if (field === 'birth') {
      let skip = after.startsWith(' ') ? 1 : 0;
      const next = after.slice(skip, skip + 3).toLowerCase();
      if (next === 'op ' || next === 'on ') skip += 3;
      if (findDates(after.slice(skip))[0]?.index === 0) {
        form = 'direct';
        valueStart = end + skip;
      }
    }
    if (!form) continue;
    const counts =
      form === 'direct' ||
      atStart ||
      (form === 'colon' && (afterSeparator(cell, m.index) || labels.length > 0));
    if (counts) labels.push({ field, start: m.index, valueStart, form, atStart });
  }
  return labels;
}

/** A cell holding a label only ('Naam', 'Geboortedatum:'): the head of a column or a row. */
function isBareLabel(cell: string): Field | undefined {
  const labels = labelsIn(cell);
  const only = labels[0];
  if (labels.length !== 1 || !only?.atStart) return undefined;
  return only.form !== 'direct' && isBlank(cell.slice(only.valueStart)) ? only.field : undefined;
}

function startsWithLabel(cell: string): boolean {
  return labelsIn(cell)[0]?.atStart === true;
}

interface Findings {
  names: string[];
  given: string[];
  callNames: string[];
  particles: string[];
  surnames: string[];
  /** The text after each birth-date label, from where its date should start. */
  birthValues: string[];
  /** Dates outside any label that could be a birth date. */
  unlabelled: DateHit[];
  codeword: boolean;
}

function record(found: Findings, field: Field, value: string): void {
  if (isBlank(value)) return;
  switch (field) {
    case 'name': {
      // 'Naam: Noor Kwakernaak (12-04-2016)': the name, and a date that no label calls a birth date.
      const date = findDates(value)[0];
      if (date && isBlank(value.slice(date.end))) {
        const name = trimEnd(value.slice(0, date.index), ' ,;(-–');
        if (!isBlank(name)) found.names.push(name);
        found.unlabelled.push(date);
      } else {
        found.names.push(value);
      }
      break;
    }
    case 'given':
      found.given.push(value);
      break;
    case 'callName':
      found.callNames.push(value);
      break;
    case 'particle':
      found.particles.push(value);
      break;
    case 'surname':
      found.surnames.push(value);
      break;
    case 'birth':
      found.birthValues.push(value);
      break;
    case 'nameAndBirth': {
      const date = findDates(value)[0];
      if (!date) {
        found.names.push(value);
        break;
      }
      let name = trimEnd(value.slice(0, date.index), ' ,;(');
      for (const label of ['geboren op', 'geboren', 'geb.']) {
        if (name.toLowerCase().endsWith(` ${label}`)) name = trimEnd(name.slice(0, -label.length), ' ,;(');
      }
      if (!isBlank(name)) found.names.push(name);
      found.birthValues.push(value.slice(date.index));
      break;
    }
  }
}

/**
 * The value of a label that has none in its own cell: the next cell, or the line right under it.
 * Not a line further down: under an empty label ('Naam:', a blank line, 'Sanne Dijkhuizen') that
 * would be the sender's name in the signature.
 */
function valueElsewhere(lines: Line[], i: number, c: number, alone: boolean): string | undefined {
  const line = lines[i]!;
  for (let k = c + 1; k < line.cells.length; k++) {
    const cell = line.cells[k]!;
    if (cell === '') continue;
    return startsWithLabel(cell) ? undefined : cell;
  }
  const next = lines[i + 1];
  if (!alone || !next || next.header || next.attribution) return undefined;
  const cell = next.cells.find((x) => x !== '');
  return cell === undefined || startsWithLabel(cell) ? undefined : cell;
}

/** Rows under a row of column heads ('Naam' TAB 'Geboortedatum'); returns the next line to read. */
function readColumns(lines: Line[], i: number, heads: (Field | undefined)[], found: Findings): number {
  let j = i + 1;
  for (; j < lines.length; j++) {
    const row = lines[j]!;
    if (row.cells.length !== heads.length || row.cells.every((cell) => cell === '')) break;
    if (row.cells.every((cell) => cell === '' || isBareLabel(cell))) break;
    row.cells.forEach((cell, k) => {
      const field = heads[k];
      if (field && cell !== '') record(found, field, cell);
    });
  }
  return j;
}

function collectUnlabelled(cell: string, found: Findings): void {
  // The last ':' before each date, found in one pass over the cell.
  let colon = -1;
  let scanned = 0;
  for (const hit of findDates(cell)) {
    for (; scanned < hit.index; scanned++) if (cell[scanned] === ':') colon = scanned;
    if (!hit.date) continue;
    if (colon >= 0) {
      const label = cell.slice(Math.max(0, colon - 30), colon).toLowerCase();
      if (OTHER_DATE_WORDS.some((word) => label.includes(word))) continue;
    }
    found.unlabelled.push(hit);
  }
}

function readLines(rawLines: string[], found: Findings): void {
  const lines = rawLines.map(prepareLine);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const filled = line.cells.filter((cell) => cell !== '');
    if (filled.length === 0) continue;
    if (!found.codeword && CODEWORD.test(line.cells.join(' '))) found.codeword = true;

    const heads = line.cells.map((cell) => (cell === '' ? undefined : isBareLabel(cell)));
    if (filled.length >= 2 && heads.filter((h) => h !== undefined).length === filled.length) {
      i = readColumns(lines, i, heads, found) - 1;
      continue;
    }

    line.cells.forEach((cell, c) => {
      if (cell === '') return;
      const labels = labelsIn(cell);
      labels.forEach((label, n) => {
        const end = labels[n + 1]?.start ?? cell.length;
        let value = cell.slice(label.valueStart, end);
        if (label.form === 'direct') {
          record(found, label.field, value);
          return;
        }
        if (isBlank(value) && end === cell.length) {
          const alone = filled.length === 1 && labels.length === 1;
          value = valueElsewhere(lines, i, c, alone) ?? '';
        }
        record(found, label.field, value);
      });
      if (labels.length === 0 && !line.header && !line.attribution) collectUnlabelled(cell, found);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Weighing what was found

type DateValue = { kind: 'date'; date: string } | { kind: 'unreadable' } | { kind: 'none' };

function readBirthValue(value: string): DateValue {
  const first = findDates(value.slice(0, DATE_REACH + 40))[0];
  if (first && first.index <= DATE_REACH && !/\p{N}/u.test(value.slice(0, first.index))) {
    return first.date ? { kind: 'date', date: first.date } : { kind: 'unreadable' };
  }
  return /\p{N}/u.test(value.slice(0, DATE_REACH)) ? { kind: 'unreadable' } : { kind: 'none' };
}

/** Distinct values, the first spelling of each (compared without case). */
function distinct(values: string[]): string[] {
  const seen = new Map<string, string>();
  for (const value of values) {
    const key = value.toLowerCase();
    if (!seen.has(key)) seen.set(key, value);
  }
  return [...seen.values()];
}

interface NameOutcome {
  valid: string[];
  invalid: number;
  several: boolean;
}

function weighNames(found: Findings): NameOutcome {
  const full = distinct(found.names.map(readFullName));
  const given = distinct(found.given.map(tidy));
  const callNames = distinct(found.callNames.map(tidy));
  const particles = distinct(
    found.particles
      .map(tidy)
      .filter((p) => !['n.v.t.', 'n.v.t', 'nvt', 'geen', 'none'].includes(p.toLowerCase())),
  );
  const surnames = distinct(found.surnames.map((s) => surnameFirstParticles(tidy(s))));
  let several = given.length > 1 || surnames.length > 1 || particles.length > 1;
  if (given.length === 0 && callNames.length > 1) several = true;
  const first = given[0] ?? callNames[0];
  const surname = surnames[0];
  if (!several && first !== undefined && surname !== undefined) {
    const particle = particles[0];
    const withParticle =
      particle === undefined || surname.toLowerCase().startsWith(`${particle.toLowerCase()} `)
        ? surname
        : `${particle} ${surname}`;
    full.push(normalizePupilName(`${first} ${withParticle}`));
  }
  const names = distinct(full);
  const valid = names.filter(isPupilName);
  return { valid, invalid: names.length - valid.length, several: several || valid.length > 1 };
}

interface DateOutcome {
  /** Real dates of birth found under a label, valid or not. */
  real: string[];
  valid: string[];
  invalid: number;
}

function weighDates(found: Findings, today: string): DateOutcome {
  const oldest = yearsBefore(today, MAX_PUPIL_AGE_YEARS);
  const real = new Set<string>();
  let invalid = 0;
  for (const value of found.birthValues) {
    const read = readBirthValue(value);
    if (read.kind === 'unreadable') invalid++;
    if (read.kind === 'date') real.add(read.date);
  }
  const valid = [...real].filter((d) => d <= today && d >= oldest);
  return { real: [...real], valid, invalid: invalid + real.size - valid.length };
}

function unlabelledCandidate(found: Findings, today: string): string | undefined {
  const oldest = yearsBefore(today, MAX_PUPIL_AGE_YEARS);
  const youngest = yearsBefore(today, MIN_UNLABELLED_AGE_YEARS);
  const plausible = new Set(
    found.unlabelled.map((hit) => hit.date).filter((d): d is string => !!d && d >= oldest && d <= youngest),
  );
  return plausible.size === 1 ? [...plausible][0] : undefined;
}

const TODAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads the pupil's name and date of birth, and the codeword, from a mail. Certain only when the
 * mail holds the codeword, exactly one valid pupil's name and exactly one valid labelled date of
 * birth; otherwise uncertain, with every reason that applies.
 */
export function readSignalMail(mail: MailText, rules: { today: string }): MailReading {
  const today = rules.today;
  if (
    typeof today !== 'string' ||
    !TODAY.test(today) ||
    !calendarDate(+today.slice(0, 4), +today.slice(5, 7), +today.slice(8))
  ) {
    throw new Error('readSignalMail: rules.today must be a date as YYYY-MM-DD');
  }
  const subject = typeof mail?.subject === 'string' ? mail.subject.slice(0, MAX_SUBJECT_CHARS) : '';
  const content = typeof mail?.body?.content === 'string' ? mail.body.content : '';
  const bodyLines =
    mail?.body?.contentType === 'html'
      ? htmlToLines(content, MAX_MAIL_HTML_CHARS, MAX_MAIL_TEXT_CHARS)
      : content.slice(0, MAX_MAIL_TEXT_CHARS).split(/\r\n|\r|\n|\u2028|\u2029/u);

  const found: Findings = {
    names: [],
    given: [],
    callNames: [],
    particles: [],
    surnames: [],
    birthValues: [],
    unlabelled: [],
    codeword: false,
  };
  // The subject and the body are read apart: a label in one never takes its value from the other.
  readLines(subject.normalize('NFC').split(/\r\n|\r|\n/u), found);
  readLines(
    bodyLines.map((line) => line.normalize('NFC')),
    found,
  );

  const names = weighNames(found);
  const dates = weighDates(found, today);
  const reasons = new Set<UncertainReason>();
  const candidate: { name?: string; birthDate?: string } = {};

  if (names.valid.length === 0 && names.invalid === 0 && !names.several) reasons.add('no-name');
  if (names.several) reasons.add('several-pupils');
  if (names.invalid > 0) reasons.add('invalid-name');
  if (!names.several && names.valid.length === 1) candidate.name = names.valid[0]!;

  if (dates.real.length === 0 && dates.invalid === 0) {
    reasons.add('no-birth-date');
    const unlabelled = unlabelledCandidate(found, today);
    if (unlabelled) candidate.birthDate = unlabelled;
  }
  if (dates.real.length > 1) reasons.add('several-dates');
  if (dates.invalid > 0) reasons.add('invalid-birth-date');
  if (dates.real.length === 1 && dates.valid.length === 1) candidate.birthDate = dates.valid[0]!;

  if (!found.codeword) reasons.add('no-codeword');

  if (reasons.size === 0 && candidate.name !== undefined && candidate.birthDate !== undefined) {
    return { kind: 'certain', pupil: { name: candidate.name, birthDate: candidate.birthDate } };
  }
  return { kind: 'uncertain', reasons: uncertainReasons.filter((r) => reasons.has(r)), candidate };
}
