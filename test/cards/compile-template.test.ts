import assert from 'node:assert/strict';
import { Template } from 'adaptivecards-templating';
import { compileTemplate, TemplateCompileError } from '../../src/cards/compile-template';

/** What adaptivecards-templating makes of a template and data: the reference. */
function library(template: unknown, data: unknown): unknown {
  return new Template(template).expand({ $root: data });
}

const data = {
  s: 'str',
  t: { fields: { 'p.n': 'PN' } },
  nul: null,
  obj: { q: 1 },
  num: 3,
  fl: 1.5,
  bool: true,
  no: false,
  arr: ['x', 'y'],
  one: [{ title: 'only' }],
  items: [
    { title: 'a', value: '1' },
    { title: 'b', value: '2' },
  ],
  zero: 0,
  emptyStr: '',
  empty: [],
  Upper: 'found by case',
  nested: {
    list: [
      { name: 'n1', inner: { v: 'i1' } },
      { name: 'n2', inner: { v: 'i2' } },
    ],
  },
};

describe('compileTemplate: the same expansion as adaptivecards-templating', () => {
  const cases: Record<string, unknown> = {
    'a path that finds nothing reads as its own text': { a: '${missing.field}', b: 'x ${missing} y' },
    'a whole ${…} keeps its type': {
      n: '${num}',
      f: '${fl}',
      b: '${bool}',
      o: '${obj}',
      a: '${arr}',
      z: '${nul}',
    },
    'text turns values into text': { g: 'n=${num} b=${bool} o=${obj} arr=${arr} f=${fl}' },
    'a quoted key, found or not': { c: "${t.fields['p.n']}", l: "${t.fields['missing']}" },
    'names are matched case-insensitively': { u: '${upper}', v: '${UPPER}' },
    '$root, $data and $index': {
      r: '${$root.s}',
      k: { $data: '${arr}', x: '${$data}-${$index}-${$root.num}' },
    },
    'count and comparisons': {
      n: '${count(arr)}',
      o: '${num > 1}',
      p: "${s == 'str'}",
      q: "${missing != ''}",
      r: '${count(missing)}',
      t: '${fl <= 1.5}',
    },
    '$when keeps an object only for true': {
      h: [
        { $when: '${!s}', v: 1 },
        { $when: '${!missing}', v: 2 },
        { $when: "${missing != ''}", v: 3 },
        { $when: '${count(missing) > 0}', v: 4 },
        { $when: '${!zero}', v: 5 },
        { $when: '${!emptyStr}', v: 6 },
        { $when: '${num}', v: 7 },
        { $when: '${s}', v: 8 },
        { $when: '${!no}', v: 9 },
        { $when: '${(count(arr) > 1)}', v: 10 },
        { $when: 'true', v: 11 },
        { $when: '${bool}', v: 12 },
        { $when: "${emptyStr == ''}", v: 13 },
        { $when: '${nul == null}', v: 14 },
      ],
    },
    'lists: null items dropped, repeated objects spliced in, values of a list spread': {
      i: ['${arr}', '${nul}', '${missing}', null, 'plain', 1, { $data: '${items}', t: '${title}' }],
      j: { $data: '${empty}', x: 1 },
      one: { $data: '${one}', t: '${title}' },
      many: { $data: '${items}', t: '${title}' },
      w: [{ $data: '${items}', $when: "${value != '1'}", t: '${title}:${$index}' }],
    },
    'nested $data': {
      list: [
        {
          $data: '${nested.list}',
          name: '${name}',
          inner: { $data: '${inner}', v: '${v}', up: '${$root.s}', i: '${$index}' },
          sub: [{ $data: '${$root.arr}', x: '${$data}', i: '${$index}' }],
        },
      ],
    },
    'constants and reserved names': {
      $schema: 'x',
      $host: 'dropped',
      a: 1,
      b: true,
      c: null,
      d: 'no binding',
    },
  };

  for (const [name, template] of Object.entries(cases)) {
    it(name, () => {
      assert.deepEqual(
        compileTemplate(template, name)(data),
        library(template, data),
        `the compiled '${name}' differs from the library`,
      );
    });
  }

  it('returns the data objects that a whole ${…} names, as the library does', () => {
    const out = compileTemplate({ o: '${obj}' }, 'ref')(data) as { o: unknown };
    assert.equal(out.o, data.obj, 'the same object');
  });

  it('throws where the library throws: a null value inside text', () => {
    assert.throws(() => library({ e: 'x${nul}' }, data), 'the library throws');
    assert.throws(() => compileTemplate({ e: 'x${nul}' }, 'null')(data), /null/, 'so does the compiled one');
  });

  it('refuses at compile time what it does not support, naming the template and the place', () => {
    for (const text of ['${a && b}', '${if(a, b, c)}', '${a + 1}', '${arr[0]}', '${$host}', '${a']) {
      assert.throws(
        () => compileTemplate({ body: [{ text }] }, 'cards/x.json'),
        (error: unknown) =>
          error instanceof TemplateCompileError && error.message.startsWith('cards/x.json.body[0].text'),
        `'${text}' was accepted`,
      );
    }
    assert.throws(
      () => compileTemplate({ $data: ['a'] }, 'cards/x.json'),
      TemplateCompileError,
      'a literal $data was accepted',
    );
  });
});
