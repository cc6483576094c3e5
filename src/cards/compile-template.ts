import { isDeepStrictEqual } from 'node:util';

/**
 * Compiles an Adaptive Card template (the JSON the designers edit in cards/) once into a plain
 * function over the JSON tree, which expands it as adaptivecards-templating 2.3 does, for the part
 * of the templating language the cards use:
 *
 * - `${path}` and text with `${…}` in it. A path is `name.name…` (under `$data`, the current item),
 *   `$data…`, `$root…` or `$index`, optionally followed by `['key']`. A string that is one `${…}`
 *   alone gives the value with its type (a number, a list, an object); text gives a string.
 * - `"$data": "${list}"` repeats the object for each item (or binds it to one object), `"$when"`
 *   drops it unless the expression is `true`.
 * - Expressions: paths, 'text', numbers, true, false, null, `!x`, `count(x)`, and the comparisons
 *   `==`, `!=`, `<`, `<=`, `>`, `>=`, with parentheses.
 *
 * Anything else fails when the template is compiled, at start-up, with the template and the text
 * that could not be compiled: extend this file (and its test against the library) before using it.
 *
 * Matching the library, down to its quirks: a name is looked up case-insensitively (the exact name
 * first, which only differs from the library for data with two names equal but for case); a path
 * that finds nothing reads as the text `${path}` (except in `$when` and inside `!`, `count` in a
 * comparison, and the comparisons); `!x` is true for false, null and nothing, false for anything
 * else (0 and '' too); a list item that expands to null is dropped, and a repeated object's items
 * are spliced into the surrounding list.
 *
 * Nothing of a render outlives it: the compiled functions hold the template's constants only, and
 * the data reaches them as arguments.
 */

/** The expanded value of one template node; `root`/`data`/`index` are `$root`, `$data`, `$index`. */
type Expand = (root: unknown, data: unknown, index: number | undefined) => unknown;

/** Evaluates an expression; `substitute` replaces a path that finds nothing by its `${path}` text. */
type Evaluate = (root: unknown, data: unknown, index: number | undefined, substitute: boolean) => Result;

/** An evaluation error is a value, as in adaptive-expressions: `$when` and `!` turn it into false/true. */
type Result = { ok: true; value: unknown } | { ok: false };

const RESERVED = new Set(['$data', '$when', '$root', '$index', '$host', '$_acTemplateVersion']);
const FAILED: Result = { ok: false };
const ok = (value: unknown): Result => ({ ok: true, value });

export class TemplateCompileError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'TemplateCompileError';
  }
}

/** Compiles a parsed template (the JSON of a cards/*.json file); `name` is for error messages. */
export function compileTemplate(template: unknown, name: string): (data: unknown) => unknown {
  const expand = compileNode(template, name);
  return (data) => expand(data, data, undefined);
}

function compileNode(node: unknown, where: string): Expand {
  if (typeof node === 'string') return compileString(node, where);
  if (Array.isArray(node)) return compileArray(node, where);
  if (typeof node === 'object' && node !== null) return compileObject(node as Record<string, unknown>, where);
  return () => node;
}

function compileArray(items: readonly unknown[], where: string): Expand {
  const parts = items.map((item, i) => compileNode(item, `${where}[${i}]`));
  return (root, data, index) => {
    const result: unknown[] = [];
    for (const part of parts) {
      const value = part(root, data, index);
      if (value === null) continue;
      if (Array.isArray(value)) for (const v of value) result.push(v);
      else result.push(value);
    }
    return result;
  };
}

function compileObject(node: Record<string, unknown>, where: string): Expand {
  const fields: [string, Expand][] = [];
  for (const [key, value] of Object.entries(node)) {
    if (!RESERVED.has(key)) fields.push([key, compileNode(value, `${where}.${key}`)]);
  }
  const expandFields = (root: unknown, data: unknown, index: number | undefined) => {
    const result: Record<string, unknown> = {};
    for (const [key, expand] of fields) {
      const value = expand(root, data, index);
      if (value !== undefined) result[key] = value;
    }
    return result;
  };

  const when = whenOf(node.$when, `${where}.$when`);
  const dataOf = bindingOf(node.$data, `${where}.$data`);
  if (!dataOf) {
    if (!when) return expandFields;
    return (root, data, index) => (when(root, data, index) ? expandFields(root, data, index) : null);
  }
  return (root, data, index) => {
    const bound = dataOf(root, data, index);
    const list = Array.isArray(bound);
    const contexts: readonly unknown[] = list ? bound : [bound];
    const results: Record<string, unknown>[] = [];
    let current = data;
    let currentIndex = index;
    for (let i = 0; i < contexts.length; i++) {
      if (list) currentIndex = i;
      // As the library: an item that is undefined keeps the $data before it.
      if (contexts[i] !== undefined) current = contexts[i];
      if (when && !when(root, current, currentIndex)) continue;
      results.push(expandFields(root, current, currentIndex));
    }
    if (results.length === 0) return null;
    return results.length === 1 ? results[0] : results;
  };
}

/** `$when`: kept only when the expression is exactly `true`; a `$when` that is no expression drops it. */
function whenOf(
  when: unknown,
  where: string,
): ((root: unknown, data: unknown, index: number | undefined) => boolean) | undefined {
  if (when === undefined) return undefined;
  const expression = typeof when === 'string' ? wholeExpression(when, where) : undefined;
  if (!expression) return when ? () => false : undefined;
  return (root, data, index) => {
    const result = expression(root, data, index, false);
    return result.ok && result.value === true;
  };
}

function bindingOf(binding: unknown, where: string): Expand | undefined {
  if (binding === undefined) return undefined;
  const expression = typeof binding === 'string' ? wholeExpression(binding, where) : undefined;
  if (!expression) throw new TemplateCompileError(where, 'only a ${…} binding is supported for $data');
  return (root, data, index) => valueOrThrow(expression(root, data, index, true), where);
}

function valueOrThrow(result: Result, where: string): unknown {
  if (!result.ok) throw new Error(`the template expression at ${where} could not be evaluated`);
  return result.value;
}

/** A string that is a single `${…}` and nothing else, or undefined. */
function wholeExpression(text: string, where: string): Evaluate | undefined {
  const segments = splitInterpolated(text, where);
  if (!segments) return undefined;
  const expressions = segments.filter((s) => typeof s !== 'string');
  const textOnly = segments.every((s) => typeof s !== 'string' || s === '');
  return expressions.length === 1 && textOnly ? expressions[0]!.evaluate : undefined;
}

interface Compiled {
  evaluate: Evaluate;
  /** How the library writes the expression back when it fails inside text. */
  source: string;
}

function compileString(text: string, where: string): Expand {
  const segments = splitInterpolated(text, where);
  if (!segments) return () => text;
  const single = wholeExpression(text, where);
  if (single) return (root, data, index) => valueOrThrow(single(root, data, index, true), where);
  return (root, data, index) => {
    let result = '';
    for (const segment of segments) {
      if (typeof segment === 'string') {
        result += segment;
        continue;
      }
      const evaluated = segment.evaluate(root, data, index, true);
      if (!evaluated.ok) {
        result += '${' + segment.source + '}';
        continue;
      }
      // As the library: null throws here, as its value.toString() does.
      if (evaluated.value === null || evaluated.value === undefined) {
        throw new TypeError(`the template text at ${where} has a ${String(evaluated.value)} value in it`);
      }
      result += (evaluated.value as { toString(): string }).toString();
    }
    return result;
  };
}

/** Text and `${…}` expressions, or undefined for a string without `${`. */
function splitInterpolated(text: string, where: string): (string | Compiled)[] | undefined {
  if (!text.includes('${')) return undefined;
  if (text.includes('`') || text.includes('\\')) {
    throw new TemplateCompileError(where, 'a backtick or backslash in text with ${…} is not supported');
  }
  const segments: (string | Compiled)[] = [];
  let at = 0;
  while (at < text.length) {
    const start = text.indexOf('${', at);
    if (start < 0) {
      segments.push(text.slice(at));
      break;
    }
    segments.push(text.slice(at, start));
    const end = closingBrace(text, start + 2, where);
    const source = text.slice(start + 2, end);
    segments.push(compileExpression(source, where));
    at = end + 1;
  }
  return segments;
}

function closingBrace(text: string, from: number, where: string): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '}') return i;
    else if (c === '{') break;
  }
  throw new TemplateCompileError(where, `unclosed or nested \${ in '${text}'`);
}

// ------------------------------------------------------------------------------------------------
// Expressions

type Token =
  | { kind: 'name'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'op'; text: string };

function tokenize(source: string, where: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:([A-Za-z_$][A-Za-z0-9_$]*)|'([^']*)'|"([^"]*)"|(\d+(?:\.\d+)?)|(==|!=|<=|>=|[<>!()[\].,]))/y;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    pattern.lastIndex = at;
    const m = pattern.exec(source);
    if (!m) throw new TemplateCompileError(where, `cannot read '${source}' at '${source.slice(at)}'`);
    at = pattern.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'name', text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'string', value: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'string', value: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: 'number', value: Number(m[4]) });
    else tokens.push({ kind: 'op', text: m[5]! });
  }
  return tokens;
}

function compileExpression(source: string, where: string): Compiled {
  const tokens = tokenize(source, where);
  let pos = 0;
  const unsupported = (what: string): never => {
    throw new TemplateCompileError(
      where,
      `${what} in '\${${source}}' is not supported by compile-template.ts`,
    );
  };
  const peekOp = (text: string) => {
    const t = tokens[pos];
    return t?.kind === 'op' && t.text === text;
  };
  const expectOp = (text: string) => {
    if (!peekOp(text)) unsupported(`expected '${text}'`);
    pos++;
  };

  const comparison = (): Compiled => {
    const left = unary();
    const t = tokens[pos];
    if (t?.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text)) {
      pos++;
      const right = unary();
      return compare(t.text, left, right);
    }
    return left;
  };

  const unary = (): Compiled => {
    if (peekOp('!')) {
      pos++;
      const operand = unary();
      return {
        source: `!${operand.source}`,
        evaluate: (root, data, index) => {
          const r = operand.evaluate(root, data, index, false);
          return ok(r.ok ? !isLogicTrue(r.value) : true);
        },
      };
    }
    return primary();
  };

  const primary = (): Compiled => {
    const t = tokens[pos++];
    if (!t) return unsupported('an incomplete expression');
    if (t.kind === 'string') return constant(t.value, `'${t.value}'`);
    if (t.kind === 'number') return constant(t.value, String(t.value));
    if (t.kind === 'op') {
      if (t.text !== '(') return unsupported(`'${t.text}'`);
      const inner = comparison();
      expectOp(')');
      return { source: `(${inner.source})`, evaluate: inner.evaluate };
    }
    if (t.text === 'true' || t.text === 'false') return constant(t.text === 'true', t.text);
    if (t.text === 'null') return constant(null, 'null');
    if (peekOp('(')) {
      pos++;
      if (t.text !== 'count') return unsupported(`the function ${t.text}()`);
      const argument = comparison();
      expectOp(')');
      return count(argument);
    }
    return path(t.text);
  };

  const path = (first: string): Compiled => {
    if (first.startsWith('$') && !['$data', '$root', '$index'].includes(first)) {
      unsupported(`the name ${first}`);
    }
    const names = [first];
    while (peekOp('.')) {
      pos++;
      const t = tokens[pos++];
      if (t?.kind !== 'name') return unsupported('a path that is not name.name');
      names.push(t.text);
    }
    const keys: string[] = [];
    while (peekOp('[')) {
      pos++;
      const t = tokens[pos++];
      if (t?.kind !== 'string') return unsupported('an index that is not a quoted key');
      expectOp(']');
      keys.push(t.value);
    }
    if (keys.length > 0 && peekOp('.')) unsupported("a path that goes on after ['key']");
    return lookup(names, keys);
  };

  const compiled = comparison();
  if (pos < tokens.length) unsupported(`'${source}'`);
  return compiled;
}

function constant(value: unknown, source: string): Compiled {
  const result = ok(value);
  return { source, evaluate: () => result };
}

/** Reads a path the way the library's memory does, the names under $data unless it starts with $. */
function lookup(names: readonly string[], keys: readonly string[]): Compiled {
  const first = names[0]!;
  const rest = first.startsWith('$') ? names.slice(1) : names;
  const start: 'root' | 'data' | 'index' = first === '$root' ? 'root' : first === '$index' ? 'index' : 'data';
  const dotted = names.join('.');
  const source = dotted + keys.map((k) => `['${k}']`).join('');
  return {
    source,
    evaluate: (root, data, index, substitute) => {
      let value: unknown = start === 'root' ? root : start === 'index' ? index : data;
      for (const name of rest) value = property(value, name);
      if (value === undefined && substitute) value = '${' + dotted + '}';
      for (const key of keys) value = property(value, key);
      return ok(value);
    },
  };
}

/** adaptive-expressions' accessProperty: an own enumerable name, matched case-insensitively. */
function property(instance: unknown, name: string): unknown {
  if (!instance) return undefined;
  if (typeof instance === 'object' && !Array.isArray(instance) && !(instance instanceof Map)) {
    if (Object.prototype.hasOwnProperty.call(instance, name)) {
      return (instance as Record<string, unknown>)[name];
    }
  }
  const lower = name.toLowerCase();
  if (instance instanceof Map) {
    const value: unknown = instance.get(name);
    if (value !== undefined) return value;
    const key = [...instance.keys()].find((k) => String(k).toLowerCase() === lower);
    return key === undefined ? undefined : instance.get(key);
  }
  const key = Object.keys(instance).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : (instance as Record<string, unknown>)[key];
}

function count(argument: Compiled): Compiled {
  return {
    source: `count(${argument.source})`,
    evaluate: (root, data, index, substitute) => {
      const r = argument.evaluate(root, data, index, substitute);
      if (!r.ok) return FAILED;
      const v = r.value;
      if (typeof v === 'string' || Array.isArray(v)) return ok(v.length);
      if (v instanceof Map) return ok(v.size);
      if (typeof v === 'object' && v !== null) return ok(Object.keys(v).length);
      return FAILED;
    },
  };
}

function compare(op: string, left: Compiled, right: Compiled): Compiled {
  const test = comparators[op]!;
  return {
    source: `${left.source} ${op} ${right.source}`,
    evaluate: (root, data, index) => {
      const a = left.evaluate(root, data, index, false);
      const b = a.ok ? right.evaluate(root, data, index, false) : FAILED;
      // As the library: a side that fails, or cannot be compared, makes the comparison false.
      if (!a.ok || !b.ok) return ok(false);
      return ok(test(a.value, b.value));
    },
  };
}

const comparators: Record<string, (a: unknown, b: unknown) => boolean> = {
  '==': (a, b) => commonEquals(a, b),
  '!=': (a, b) => !commonEquals(a, b),
  '<': (a, b) => comparable(a, b) && (a as number) < (b as number),
  '<=': (a, b) => comparable(a, b) && (a as number) <= (b as number),
  '>': (a, b) => comparable(a, b) && (a as number) > (b as number),
  '>=': (a, b) => comparable(a, b) && (a as number) >= (b as number),
};

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && !Number.isNaN(v);
}

function comparable(a: unknown, b: unknown): boolean {
  return (
    (isNumber(a) && isNumber(b)) ||
    (typeof a === 'string' && typeof b === 'string') ||
    (a instanceof Date && b instanceof Date)
  );
}

function commonEquals(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => commonEquals(x, b[i]));
  }
  if (isPlainish(a) && isPlainish(b)) return isDeepStrictEqual(a, b);
  if (isNumber(a) && isNumber(b) && Math.abs(a - b) < Number.EPSILON) return true;
  return a === b;
}

function isPlainish(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function isLogicTrue(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return v !== null && v !== undefined;
}
