import { Parser } from 'htmlparser2';

/**
 * The text a person sees in an HTML mail, as lines, for reading a Handle with Care signal from it.
 *
 * The HTML is only tokenised (htmlparser2, a streaming tokenizer without a DOM, scripts or network):
 * nothing in it is executed, fetched or rendered. What a reader of the mail does not see is left
 * out: scripts, styles, the head and title, comments (also Outlook's conditional comments),
 * templates, SVG, and elements hidden with the `hidden` attribute or an inline `display:none` or
 * `mso-hide:all` (the 'preheader' of a mail template). Character references (`&euml;`, `&#235;`)
 * are decoded by the tokenizer.
 *
 * Layout:
 * - Block elements (p, div, li, headings, blockquote, ...) and `<br>` end a line; runs of white
 *   space within a line become one space, except in `<pre>`. An element holding only '&nbsp;' is
 *   an empty line (as Outlook writes one), and so is the space before and after a table.
 * - A table row whose cells each hold one line becomes one line with the cells separated by a tab
 *   ('Naam' TAB 'Fenne Rozendaal'), so a label and its value in two cells stay together. A row
 *   with a cell of several lines (a layout table holding the whole mail) becomes the lines of its
 *   cells, one after the other.
 *
 * Bounded: at most `maxHtmlChars` of the HTML are tokenised, fed in chunks, and tokenising stops
 * once `maxTextChars` of text have been collected.
 */

/** Elements whose content is never shown as text of the mail. */
const SKIPPED = new Set(['script', 'style', 'head', 'title', 'template', 'svg', 'math', 'xml']);

/** Elements that start and end a line. */
const BLOCKS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'caption',
  'center',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'legend',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'tfoot',
  'thead',
  'ul',
]);

const CHUNK = 64 * 1024;

/** A place text goes to: the mail itself, or one table cell. */
class Lines {
  readonly lines: string[] = [];
  private current = '';
  private blankLine = false;

  add(text: string): void {
    if (text === '') return;
    if (text === ' ') {
      if (this.current !== '' && !this.current.endsWith(' ')) this.current += ' ';
      return;
    }
    this.current += text;
  }

  /** Marks the current line as a deliberate empty line (a paragraph holding only '&nbsp;'). */
  blank(): void {
    this.blankLine = true;
  }

  /** Ends the current line, if it has any text or is a deliberate empty line. */
  break(): void {
    const line = this.current.trim();
    this.current = '';
    if (line !== '') this.lines.push(line);
    else if (this.blankLine && this.lines.length > 0 && this.lines[this.lines.length - 1] !== '')
      this.lines.push('');
    this.blankLine = false;
  }

  /** Ends the current line and leaves one empty line: the end of a paragraph or a table. */
  gap(): void {
    this.break();
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.lines.push('');
  }

  /** The finished lines, without an empty one at the end. */
  done(): string[] {
    this.break();
    while (this.lines.length > 0 && this.lines[this.lines.length - 1] === '') this.lines.pop();
    return this.lines;
  }
}

interface Row {
  cells: string[][];
  /** How many text containers were open when the row started: its cells are one deeper. */
  depth: number;
}

type Opened = 'skip' | 'row' | 'cell' | 'pre' | 'block' | 'paragraph' | 'inline';

/**
 * Blocks with an empty line before and after them. Not paragraphs: Outlook writes every line as a
 * paragraph (without a margin) and an empty line as a paragraph holding '&nbsp;'.
 */
const PARAGRAPHS = new Set(['table', 'pre']);

/** Whether an element's own attributes hide it from a reader. */
function isHidden(attributes: Record<string, string>): boolean {
  if ('hidden' in attributes) return true;
  const style = (attributes.style ?? '').toLowerCase().replace(/\s/g, '');
  return style.includes('display:none') || style.includes('mso-hide:all');
}

/** White space of HTML (any run of it) as one space. */
function collapse(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/**
 * How deep elements may nest. Real mails nest a few dozen deep; the tokenizer's bookkeeping grows
 * with the square of the depth, so a mail nested deeper is read only up to there.
 */
export const MAX_HTML_DEPTH = 500;

/** The text of an HTML mail as lines, table cells of a row separated by a tab. */
export function htmlToLines(html: string, maxHtmlChars: number, maxTextChars: number): string[] {
  const containers: Lines[] = [new Lines()];
  const rows: Row[] = [];
  const opened: Opened[] = [];
  let skipping = 0;
  let preformatted = 0;
  let collected = 0;
  let stopped = false;

  const container = () => containers[containers.length - 1]!;

  function open(name: string, attributes: Record<string, string>): void {
    if (skipping > 0 || SKIPPED.has(name) || isHidden(attributes)) {
      skipping++;
      opened.push('skip');
      return;
    }
    const row = rows[rows.length - 1];
    if (name === 'tr') {
      container().break();
      rows.push({ cells: [], depth: containers.length });
      opened.push('row');
    } else if ((name === 'td' || name === 'th') && row && row.depth === containers.length) {
      containers.push(new Lines());
      opened.push('cell');
    } else if (name === 'br') {
      container().break();
      opened.push('inline');
    } else if (BLOCKS.has(name) || name === 'td' || name === 'th') {
      if (PARAGRAPHS.has(name)) container().gap();
      else container().break();
      if (name === 'pre') preformatted++;
      opened.push(name === 'pre' ? 'pre' : PARAGRAPHS.has(name) ? 'paragraph' : 'block');
    } else {
      opened.push('inline');
    }
  }

  function close(): void {
    const kind = opened.pop();
    if (kind === 'skip') {
      skipping--;
    } else if (kind === 'cell') {
      const cell = containers.pop()!;
      rows[rows.length - 1]?.cells.push(cell.done());
    } else if (kind === 'row') {
      const row = rows.pop()!;
      const target = container();
      target.break();
      if (row.cells.every((cell) => cell.length <= 1)) {
        target.add(row.cells.map((cell) => cell[0] ?? '').join('\t'));
        target.break();
      } else {
        for (const line of row.cells.flat()) {
          target.add(line);
          target.break();
        }
      }
    } else if (kind === 'pre' || kind === 'paragraph') {
      if (kind === 'pre') preformatted--;
      container().gap();
    } else if (kind === 'block') {
      container().break();
    }
  }

  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (stopped) return;
        open(name, attributes);
        if (opened.length > MAX_HTML_DEPTH) {
          stopped = true;
          parser.pause();
        }
      },
      onclosetag() {
        if (!stopped) close();
      },
      ontext(text) {
        if (stopped || skipping > 0 || collected >= maxTextChars) return;
        collected += text.length;
        if (preformatted > 0) {
          const parts = text.split(/\r\n|\r|\n/);
          parts.forEach((part, i) => {
            if (i > 0) container().break();
            container().add(collapse(part));
          });
        } else if (text.includes('\u00A0') && text.trim() === '') {
          container().blank();
          container().add(' ');
        } else {
          container().add(collapse(text));
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );

  const end = Math.min(html.length, maxHtmlChars);
  for (let at = 0; at < end && collected < maxTextChars && !stopped; at += CHUNK) {
    parser.write(html.slice(at, Math.min(at + CHUNK, end)));
  }
  // The tokenizer closes what is open at its end; when it was stopped, the elements are closed here.
  if (!stopped) parser.end();
  while (opened.length > 0) close();
  return containers[0]!.done();
}
