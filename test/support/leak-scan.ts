/**
 * Leak detection for the privacy tests: an invented pupil that no file and no library holds, every
 * format in which that pupil's name and date of birth could show up, and scanners for text, files
 * and the V8 heap of this very process.
 *
 * Reports name a trace by its label ('surname', 'birth date dd-mm-yyyy'), never by its text, so
 * that a failing test does not print the pupil's data.
 *
 * What was measured on Node 20 (V8 11.3), and shapes this module:
 * - Buffer and Uint8Array contents are not written into a heap snapshot (neither off-heap backing
 *   stores nor small on-heap typed arrays). The secret is kept XOR-masked all the same, with mask
 *   bytes that are never 0, so the stored bytes never equal the plain text.
 * - A heap snapshot holds at most the first 1024 characters of each string. A name past character
 *   1024 of a retained long string (a kept request body, a log buffer, a serialized store) is
 *   invisible to {@link scanHeap}; so is a sliced string taken from past that point. Concatenated
 *   (cons) strings appear as their pieces, so the revealed name string itself shows up.
 * - Bytes in Buffers are not in the snapshot at all: a name lingering in a socket buffer or in
 *   Buffer's shared 8 KB pool is not found. Nor are numbers (a Date object holding the birth date).
 * - V8 keeps the subject of the last successful RegExp match (RegExp.input) until the next
 *   successful match: {@link scanHeap} runs a match of its own before collecting garbage.
 * - An async function keeps its locals, block-scoped ones out of scope included, in its suspended
 *   frame across every await: a test that holds `reveal()`'s result in a local while it awaits
 *   {@link scanHeap} finds its own copy. Reveal in a helper function that has returned before.
 * - `v8.writeHeapSnapshot` collects garbage itself before it walks the heap (a scan without the
 *   explicit `gc()` calls also passes the self-tests); {@link scanHeap} still calls `gc()` twice, and
 *   demands `--expose-gc`, so that a check never depends on that detail.
 * - A snapshot takes about 0.3 s in a small process, but about 5 s with this repo's whole mocha
 *   suite loaded (a 90 MB heap, a 68 MB snapshot); searching it costs about 0.7 s for one pupil.
 *   Share snapshots: pass a provider that returns the traces of several pupils, each label prefixed.
 * - Whatever legitimately held the name (the fake connector's activities, captured log lines, card
 *   views read by the test) is in the heap too: drop it before {@link scanHeap}, or it is reported.
 * - File modification times come from a coarse kernel clock: a file written right after
 *   `Date.now()` may carry an mtime a few milliseconds earlier (up to 5 ms seen here), and some file
 *   systems keep 1–2 s. {@link scanFiles} therefore allows a slack before `since`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';

/** The pupil's data in plain text: hold it only as long as needed (see {@link SecretPupil}). */
export interface RevealedPupil {
  /** Given name and surname, ASCII, e.g. 'Fenna Vrexholt'. */
  name: string;
  /** YYYY-MM-DD. */
  birthDate: string;
}

/**
 * An invented pupil, kept masked: while nothing has called {@link SecretPupil.reveal}, the
 * pupil's name and date of birth exist in this process only as XOR-masked bytes, so a heap
 * snapshot does not contain them, and no file on disk does either (they are built at run time).
 */
export interface SecretPupil {
  /**
   * Fresh strings of the name and date of birth, e.g. to POST the signal. Drop them as soon as
   * possible: call `reveal()` inside a helper function that has returned before {@link scanHeap}
   * runs, and never keep the result in a variable (or closure) of the test function itself: an
   * async test keeps its locals alive across every await, also once they are out of scope.
   */
  reveal(): RevealedPupil;
}

/** One way the pupil's data could show up. Report the label; never print the text. */
export interface Trace {
  /** What the trace is, without the data: 'name', 'surname', 'birth date dd-mm-yyyy'. */
  label: string;
  text: string;
}

/** Where traces come from: a secret pupil (revealed only when needed), a list, or a provider. */
export type TraceSource = SecretPupil | readonly Trace[] | (() => readonly Trace[]);

// ---------------------------------------------------------------------------------------------
// The invented pupil
// ---------------------------------------------------------------------------------------------

// Given names are plausible, so they are in source code and libraries: never a trace on their own.
// prettier-ignore
const GIVEN_NAMES = [
  'Fenna', 'Sanne', 'Femke', 'Noor', 'Lotte', 'Tess', 'Isa', 'Maud', 'Roos', 'Jasmijn', 'Lieke',
  'Anouk', 'Evi', 'Nina', 'Floor', 'Bram', 'Daan', 'Sem', 'Luuk', 'Milan', 'Thijs', 'Jesse',
  'Gijs', 'Ruben', 'Stijn', 'Teun', 'Jorrit', 'Sietse', 'Wouter', 'Hidde', 'Tijn', 'Joep',
];
// A surname is two random syllables and a Dutch ending, e.g. 'Vrex' + 'bol' + 'kamp': about 30 bits.
// prettier-ignore
const ONSETS = [
  'b', 'br', 'd', 'dr', 'f', 'fr', 'g', 'gr', 'h', 'k', 'kl', 'kr', 'l', 'm', 'n',
  'p', 'pr', 'r', 's', 'sl', 'sn', 'sp', 'st', 't', 'tr', 'v', 'vr', 'w', 'z', 'zw',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'aa', 'ee', 'oo', 'ie', 'oe', 'ou', 'ui', 'ei', 'ij', 'eu'];
const CODAS = ['', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'x', 'ld', 'lt', 'nk', 'rk', 'rs', 'rt', 'st'];
// prettier-ignore
const ENDINGS = [
  'holt', 'kamp', 'veld', 'berg', 'dijk', 'huis', 'meer', 'horst', 'wijk',
  'stra', 'broek', 'hout', 'man', 'sma', 'inga', 'ema', 'ink', 'ing',
];

// prettier-ignore
const MONTHS_NL = [
  'januari', 'februari', 'maart', 'april', 'mei', 'juni',
  'juli', 'augustus', 'september', 'oktober', 'november', 'december',
];
const MONTHS_NL_SHORT = ['jan', 'feb', 'mrt', 'apr', 'mei', 'jun', 'jul', 'aug', 'sep', 'okt', 'nov', 'dec'];
// prettier-ignore
const MONTHS_EN = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

const DAY_MS = 86_400_000;

function secureRandom(): number {
  return randomInt(0, 2 ** 47) / 2 ** 47;
}

function pick<T>(list: readonly T[], random: () => number): T {
  const item = list[Math.min(list.length - 1, Math.floor(random() * list.length))];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** Bytes that hold a secret XOR-masked with mask bytes that are never 0. */
class MaskedText {
  readonly #masked: Uint8Array;
  readonly #mask: Uint8Array;

  /** Takes over `plain` and wipes it. */
  constructor(plain: Uint8Array) {
    this.#mask = new Uint8Array(plain.length);
    this.#masked = new Uint8Array(plain.length);
    const random = randomBytes(plain.length);
    for (let i = 0; i < plain.length; i++) {
      const mask = (random[i] ?? 0) % 255 || 255; // 1..255: a masked byte never equals the plain one
      this.#mask[i] = mask;
      this.#masked[i] = (plain[i] ?? 0) ^ mask;
    }
    random.fill(0);
    plain.fill(0);
  }

  reveal(): string {
    const plain = Buffer.alloc(this.#masked.length); // not from the shared pool, and wiped below
    for (let i = 0; i < plain.length; i++) plain[i] = (this.#masked[i] ?? 0) ^ (this.#mask[i] ?? 0);
    const text = plain.toString('latin1');
    plain.fill(0);
    return text;
  }
}

/** Writes ASCII pieces into a byte array, never joining them into a JS string. */
class ByteWriter {
  readonly bytes = new Uint8Array(64);
  length = 0;

  text(piece: string): void {
    for (let i = 0; i < piece.length; i++) this.bytes[this.length++] = piece.charCodeAt(i);
  }

  digits(value: number, width: number): void {
    for (let i = width - 1; i >= 0; i--)
      this.bytes[this.length + i] = 48 + (Math.floor(value / 10 ** (width - 1 - i)) % 10);
    this.length += width;
  }

  capitalizeAt(index: number): void {
    const byte = this.bytes[index] ?? 0;
    if (byte >= 97 && byte <= 122) this.bytes[index] = byte - 32;
  }

  /** The bytes written; the writer is wiped. */
  take(): Uint8Array {
    const out = this.bytes.slice(0, this.length);
    this.bytes.fill(0);
    this.length = 0;
    return out;
  }
}

/**
 * Invents a pupil: a plausible Dutch given name, a random surname such as 'Vrexholt' (about 30
 * bits, made up at run time, so no file and no library text holds it), and a date of birth at
 * which the pupil is 4 to 12 years old on `today` (UTC calendar date). The result is kept masked:
 * see {@link SecretPupil}. `random` (default: crypto) picks the name and date; the mask is always
 * crypto-random.
 */
export function inventSecretPupil(
  random: () => number = secureRandom,
  today: Date = new Date(),
): SecretPupil {
  const name = new ByteWriter();
  name.text(pick(GIVEN_NAMES, random));
  name.text(' ');
  const surnameStart = name.length;
  for (let i = 0; i < 2; i++) {
    name.text(pick(ONSETS, random));
    name.text(pick(VOWELS, random));
    name.text(pick(CODAS, random));
  }
  name.text(pick(ENDINGS, random));
  name.capitalizeAt(surnameStart);
  const maskedName = new MaskedText(name.take());

  // Age 4 on `today` at the latest; at the earliest, 13 tomorrow.
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth();
  const d = today.getUTCDate();
  const latest = Date.UTC(y - 4, m, Math.min(d, daysInMonth(y - 4, m)));
  const earliest = Date.UTC(y - 13, m, Math.min(d, daysInMonth(y - 13, m))) + DAY_MS;
  const born = new Date(earliest + Math.floor(random() * ((latest - earliest) / DAY_MS + 1)) * DAY_MS);
  const date = new ByteWriter();
  date.digits(born.getUTCFullYear(), 4);
  date.text('-');
  date.digits(born.getUTCMonth() + 1, 2);
  date.text('-');
  date.digits(born.getUTCDate(), 2);
  born.setTime(0);
  const maskedDate = new MaskedText(date.take());

  return {
    reveal: () => ({ name: maskedName.reveal(), birthDate: maskedDate.reveal() }),
  };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

// ---------------------------------------------------------------------------------------------
// Trace formats
// ---------------------------------------------------------------------------------------------

/**
 * Every common format in which the pupil's name or date of birth could show up, at least 8
 * characters long, deduplicated case-insensitively (all matching is case-insensitive):
 * - 'name' ('Fenna Vrexholt'), 'name surname first' ('Vrexholt, Fenna'; with a lower-case
 *   tussenvoegsel also 'Beusekom, Lotte van'), 'surname' ('Vrexholt', 'van Beusekom'), and
 *   'surname part N' for each surname part longer than 3 characters. The given name on its own is
 *   no trace (unless `givenNameAlone`): plausible given names are in source code and libraries.
 * - 'birth date yyyy-mm-dd', 'dd-mm-yyyy', 'd-m-yyyy', 'dd/mm/yyyy', 'd/m/yyyy', 'm/d/yyyy (en-US)',
 *   'mm/dd/yyyy (en-US)', 'dd.mm.yyyy', 'd.m.yyyy', 'yyyymmdd', 'ddmmyyyy', 'd month yyyy (nl)'
 *   ('12 april 2016'), 'd mon yyyy (nl)' ('12 apr 2016'), 'month d, yyyy (en)' ('April 12, 2016'),
 *   'd month yyyy (en)', 'mon dd yyyy (Date.toString)', 'dd mon yyyy (Date.toUTCString)', and
 *   'iso timestamp' ('2016-04-12T'). Formats without the year are left out: too short, they turn up
 *   in random data.
 */
export function traceFormats(p: RevealedPupil, options: { givenNameAlone?: boolean } = {}): Trace[] {
  const traces: Trace[] = [];
  const seen = new Set<string>();
  const add = (label: string, text: string): void => {
    const key = text.toLowerCase();
    if (text.length === 0 || seen.has(key)) return;
    seen.add(key);
    traces.push({ label, text });
  };

  const parts = p.name.split(' ').filter((part) => part.length > 0);
  const given = parts[0] ?? '';
  const surnameParts = parts.slice(1);
  const surname = surnameParts.join(' ');
  add('name', parts.join(' '));
  if (surnameParts.length > 0) {
    add('name surname first', `${surname}, ${given}`);
    const prefix = surnameParts.filter((part) => part === part.toLowerCase() && part !== part.toUpperCase());
    if (prefix.length > 0 && prefix.length < surnameParts.length) {
      const rest = surnameParts.slice(prefix.length).join(' ');
      add('name surname first, tussenvoegsel last', `${rest}, ${given} ${prefix.join(' ')}`);
    }
    if (surname.length > 3) add('surname', surname);
    surnameParts.forEach((part, i) => {
      if (part.length > 3) add(`surname part ${i + 1}`, part);
    });
  }
  if (options.givenNameAlone && given.length > 3) add('given name', given);

  const [yText, mText, dText] = p.birthDate.split('-');
  const y = Number(yText);
  const m = Number(mText);
  const d = Number(dText);
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d) || m < 1 || m > 12) {
    throw new Error('traceFormats: the birth date is not YYYY-MM-DD');
  }
  const yyyy = String(y).padStart(4, '0');
  const mm = String(m).padStart(2, '0');
  const dd = String(d).padStart(2, '0');
  const monthNl = MONTHS_NL[m - 1] ?? '';
  const monthNlShort = MONTHS_NL_SHORT[m - 1] ?? '';
  const monthEn = MONTHS_EN[m - 1] ?? '';
  const monEn = monthEn.slice(0, 3);
  add('birth date yyyy-mm-dd', `${yyyy}-${mm}-${dd}`);
  add('birth date dd-mm-yyyy', `${dd}-${mm}-${yyyy}`);
  add('birth date d-m-yyyy', `${d}-${m}-${yyyy}`);
  add('birth date dd/mm/yyyy', `${dd}/${mm}/${yyyy}`);
  add('birth date d/m/yyyy', `${d}/${m}/${yyyy}`);
  add('birth date m/d/yyyy (en-US)', `${m}/${d}/${yyyy}`);
  add('birth date mm/dd/yyyy (en-US)', `${mm}/${dd}/${yyyy}`);
  add('birth date dd.mm.yyyy', `${dd}.${mm}.${yyyy}`);
  add('birth date d.m.yyyy', `${d}.${m}.${yyyy}`);
  add('birth date yyyymmdd', `${yyyy}${mm}${dd}`);
  add('birth date ddmmyyyy', `${dd}${mm}${yyyy}`);
  add('birth date d month yyyy (nl)', `${d} ${monthNl} ${yyyy}`);
  add('birth date d mon yyyy (nl)', `${d} ${monthNlShort} ${yyyy}`);
  add('birth date month d, yyyy (en)', `${monthEn} ${d}, ${yyyy}`);
  add('birth date d month yyyy (en)', `${d} ${monthEn} ${yyyy}`);
  add('birth date mon dd yyyy (Date.toString)', `${monEn} ${dd} ${yyyy}`);
  add('birth date dd mon yyyy (Date.toUTCString)', `${dd} ${monEn} ${yyyy}`);
  add('iso timestamp', `${yyyy}-${mm}-${dd}T`);
  return traces;
}

function resolveTraces(source: TraceSource): readonly Trace[] {
  if (typeof source === 'function') return source();
  if (isTraceList(source)) return source;
  return traceFormats(source.reveal());
}

function isTraceList(source: SecretPupil | readonly Trace[]): source is readonly Trace[] {
  return Array.isArray(source);
}

// ---------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------

/**
 * The labels of the traces that occur in `haystack`, case-insensitively, in the order of the
 * traces. Uses no regular expressions (V8 would keep the subject of the last match alive).
 */
export function findTraces(haystack: string, traces: TraceSource): string[] {
  const folded = haystack.toLowerCase();
  const found: string[] = [];
  for (const trace of resolveTraces(traces)) {
    if (folded.includes(trace.text.toLowerCase()) && !found.includes(trace.label)) found.push(trace.label);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Byte search (files and heap snapshots)
// ---------------------------------------------------------------------------------------------

interface Needle {
  /** Lower-case bytes. */
  bytes: Buffer;
  /** Index of the trace it stands for. */
  trace: number;
}

/** ASCII upper case to lower case, in place (folds both UTF-8 and UTF-16LE ASCII text). */
function foldAscii(bytes: Buffer, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const b = bytes[i] as number;
    if (b >= 65 && b <= 90) bytes[i] = b | 32;
  }
}

/**
 * Needles for traces: UTF-8, and with `utf16` also UTF-16LE; with `jsonEscaped` non-ASCII
 * characters as \uXXXX, the way V8 writes them into a heap snapshot.
 */
function needlesOf(traces: readonly Trace[], encodings: { utf16: boolean; jsonEscaped: boolean }): Needle[] {
  const needles: Needle[] = [];
  traces.forEach((trace, index) => {
    const text = trace.text.toLowerCase();
    const forms = new Set<string>([text]);
    if (encodings.jsonEscaped) {
      let escaped = '';
      for (const char of text) {
        const code = char.codePointAt(0) ?? 0;
        if (code < 0x80) escaped += char;
        else
          for (const unit of String.fromCodePoint(code).split('')) {
            escaped += `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
          }
      }
      forms.add(escaped);
    }
    for (const form of forms) {
      needles.push({ bytes: Buffer.from(form, 'utf8'), trace: index });
      if (encodings.utf16) needles.push({ bytes: Buffer.from(form, 'utf16le'), trace: index });
    }
  });
  return needles;
}

const CHUNK_BYTES = 16 * 1024 * 1024;

/** Indexes of the traces whose needles occur in the file, read in chunks and folded to lower case. */
function searchFile(file: string, needles: readonly Needle[]): Set<number> {
  const found = new Set<number>();
  if (needles.length === 0) return found;
  const wanted = new Set(needles.map((n) => n.trace)).size;
  const overlap = Math.max(...needles.map((n) => n.bytes.length)) - 1;
  const fd = fs.openSync(file, 'r');
  let buffer: Buffer | undefined;
  try {
    // Sized to the file: most files are small, and zeroing 16 MB for each would dominate the scan.
    const chunk = Math.min(CHUNK_BYTES, fs.fstatSync(fd).size + 1);
    buffer = Buffer.alloc(chunk + overlap);
    let kept = 0; // bytes carried over from the previous chunk, already folded
    for (;;) {
      const read = fs.readSync(fd, buffer, kept, chunk, null);
      if (read === 0) break;
      const end = kept + read;
      foldAscii(buffer, kept, end);
      const view = buffer.subarray(0, end);
      for (const needle of needles) {
        if (!found.has(needle.trace) && view.indexOf(needle.bytes) !== -1) found.add(needle.trace);
      }
      if (found.size === wanted) break;
      kept = Math.min(overlap, end);
      buffer.copy(buffer, 0, end - kept, end);
    }
  } finally {
    fs.closeSync(fd);
    buffer?.fill(0);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

export interface FileTrace {
  /** The file; '<a path that holds a trace>' instead when its own path holds a trace. */
  path: string;
  label: string;
}

export interface FileScanStats {
  directories: number;
  /** Regular files seen (every file is stat'ed for its mtime). */
  files: number;
  /** Files modified since `since`, whose content was searched. */
  searched: number;
  searchedBytes: number;
  /** Files modified since `since` but larger than `maxBytes`: not searched. */
  tooLarge: string[];
  /** Directories and files that could not be read (permissions, removed meanwhile). */
  unreadable: number;
  ms: number;
}

export interface FileScanOptions {
  /** Directories to walk, e.g. `process.cwd()` and `os.tmpdir()`; symlinked roots are resolved. */
  roots: readonly string[];
  /** Epoch ms: only files modified since then are searched (see `mtimeSlackMs`). */
  since: number;
  traces: TraceSource;
  /** Paths (files or directories) to leave out. */
  exclude?: (absolutePath: string) => boolean;
  /** Larger files are not searched but listed in the stats' `tooLarge` (default 50 MB). */
  maxBytes?: number;
  /**
   * Files with an mtime up to this much before `since` count as modified since (default 2000 ms):
   * mtimes come from a coarse kernel clock and some file systems keep whole seconds.
   */
  mtimeSlackMs?: number;
  onStats?: (stats: FileScanStats) => void;
}

const REDACTED_PATH = '<a path that holds a trace>';

/**
 * Files under `roots` modified since `since` that hold a trace, one row per file and label.
 * Walks every directory (directory mtimes say nothing about writes deeper down); does not follow
 * symlinks; skips sockets, FIFOs and devices, unreadable directories and files, and files larger
 * than `maxBytes`. Searches UTF-8 and UTF-16LE text, case-insensitively (ASCII), not compressed
 * files. The names of new files and directories are checked too: such a path is reported
 * redacted. `.git` is walked like any directory: git stores objects compressed, so text there
 * cannot be searched anyway, but a message or ref file could still hold a trace.
 */
export function scanFiles(options: FileScanOptions): FileTrace[] {
  const started = performance.now();
  const traces = resolveTraces(options.traces);
  const needles = needlesOf(traces, { utf16: true, jsonEscaped: false });
  const foldedTexts = traces.map((t) => t.text.toLowerCase());
  const since = options.since - (options.mtimeSlackMs ?? 2000);
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  const stats: FileScanStats = {
    directories: 0,
    files: 0,
    searched: 0,
    searchedBytes: 0,
    tooLarge: [],
    unreadable: 0,
    ms: 0,
  };
  const hits: FileTrace[] = [];
  const seenHits = new Set<string>();
  const report = (file: string, label: string): void => {
    const key = `${file}\0${label}`;
    if (seenHits.has(key)) return;
    seenHits.add(key);
    hits.push({ path: file, label });
  };
  const pathTraces = (p: string): number[] => {
    const folded = p.toLowerCase();
    return foldedTexts.flatMap((text, i) => (folded.includes(text) ? [i] : []));
  };

  const visited = new Set<string>();
  const stack: string[] = [];
  for (const root of options.roots) {
    try {
      stack.push(fs.realpathSync(root));
    } catch {
      stats.unreadable++;
    }
  }
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    if (visited.has(dir)) continue;
    visited.add(dir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      stats.unreadable++;
      continue;
    }
    stats.directories++;
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (options.exclude?.(full)) continue;
      if (entry.isDirectory()) {
        stack.push(full);
        // A directory made since then: its name could hold a trace.
        const made = statOrUndefined(full);
        if (made && made.mtimeMs >= since) {
          for (const i of pathTraces(entry.name)) report(REDACTED_PATH, labelOf(traces, i));
        }
        continue;
      }
      if (!entry.isFile()) continue; // symlinks, sockets, FIFOs, devices
      stats.files++;
      const stat = statOrUndefined(full);
      if (!stat) {
        stats.unreadable++;
        continue;
      }
      if (stat.mtimeMs < since) continue;
      const inPath = pathTraces(full);
      const shown = inPath.length > 0 ? REDACTED_PATH : full;
      for (const i of inPath) report(shown, labelOf(traces, i));
      if (stat.size > maxBytes) {
        stats.tooLarge.push(shown);
        continue;
      }
      try {
        for (const i of searchFile(full, needles)) report(shown, labelOf(traces, i));
        stats.searched++;
        stats.searchedBytes += stat.size;
      } catch {
        stats.unreadable++;
      }
    }
  }
  stats.ms = Math.round(performance.now() - started);
  options.onStats?.(stats);
  return hits;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function labelOf(traces: readonly Trace[], index: number): string {
  return traces[index]?.label ?? `trace ${index}`;
}

// ---------------------------------------------------------------------------------------------
// Heap
// ---------------------------------------------------------------------------------------------

export interface HeapScanStats {
  snapshotBytes: number;
  /** Garbage collection and writing the snapshot. */
  snapshotMs: number;
  searchMs: number;
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    throw new Error(
      'The heap check needs global.gc(): run mocha with --node-option expose-gc ' +
        '("node-option": ["expose-gc"] in .mocharc.json), or node with --expose-gc.',
    );
  }
  // V8 keeps the subject of the last successful match (RegExp.input): let it be this empty string.
  /(?:)/.exec('');
  gc();
  gc();
}

/**
 * Writes a heap snapshot of this process into a fresh temp directory after forcing garbage
 * collection, calls `search` with the file, and removes the directory, also when `search` throws.
 */
async function withHeapSnapshot<T>(
  search: (file: string) => T,
  onStats?: (s: HeapScanStats) => void,
): Promise<T> {
  // A turn of the event loop first: lets closed sockets go, and ends V8's keep-alive of WeakRef targets.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const started = performance.now();
  collectGarbage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leak-scan-heap-'));
  try {
    const file = v8.writeHeapSnapshot(path.join(dir, 'process.heapsnapshot'));
    const written = performance.now();
    const snapshotBytes = fs.statSync(file).size;
    const result = search(file);
    onStats?.({
      snapshotBytes,
      snapshotMs: Math.round(written - started),
      searchMs: Math.round(performance.now() - written),
    });
    return result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The labels of the traces that a heap snapshot of this process holds, after forced garbage
 * collection. A {@link SecretPupil} is revealed (and a provider called) only after the snapshot is
 * written. Needs `--expose-gc`. Sees strings only, and only their first 1024 characters (see the
 * notes at the top of this module). Costs a snapshot: 0.3 s to 5 s, see the notes at the top.
 */
export async function scanHeap(traces: TraceSource, onStats?: (s: HeapScanStats) => void): Promise<string[]> {
  return withHeapSnapshot((file) => {
    const list = resolveTraces(traces);
    const found = searchFile(file, needlesOf(list, { utf16: false, jsonEscaped: true }));
    return list.flatMap((trace, i) => (found.has(i) ? [trace.label] : []));
  }, onStats);
}

/**
 * Invents `candidates` pupils (default 3) and returns the first whose traces are all absent from a
 * baseline heap snapshot (one snapshot for all; each candidate adds about 0.7 s of search with the
 * whole suite loaded): library sources live in the heap as strings and could hold '2016-04-12'.
 * Call it before the flows; any trace found later was put there by the flows.
 */
export async function pickSecretAbsentFromHeap(
  options: {
    random?: () => number;
    today?: Date;
    candidates?: number;
    onStats?: (s: HeapScanStats) => void;
  } = {},
): Promise<SecretPupil> {
  const candidates = Array.from({ length: options.candidates ?? 3 }, () =>
    inventSecretPupil(options.random, options.today),
  );
  const index = await withHeapSnapshot((file) => {
    const traces = candidates.map((c) => traceFormats(c.reveal()));
    const owners = traces.flatMap((list, c) => list.map(() => c));
    const needles = needlesOf(traces.flat(), { utf16: false, jsonEscaped: true });
    const found = searchFile(file, needles);
    return candidates.findIndex((_, c) => ![...found].some((t) => owners[t] === c));
  }, options.onStats);
  const chosen = candidates[index];
  if (!chosen) throw new Error('pickSecretAbsentFromHeap: every invented pupil is in the heap already');
  return chosen;
}
