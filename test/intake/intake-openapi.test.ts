import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { MAX_NAME_LENGTH, signalSources } from '../../src/domain/signal';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../../src/intake/idempotency';
import { signalStates } from '../../src/intake/intake-routes';
import { problemKinds, problemType, type ProblemKind } from '../../src/intake/problem';

/** Walks a parsed YAML document; a missing key fails the test with the path it looked for. */
function at(value: unknown, ...keys: string[]): unknown {
  let node = value;
  for (const [i, key] of keys.entries()) {
    assert.ok(
      node !== null && typeof node === 'object' && key in node,
      `missing ${keys.slice(0, i + 1).join(' → ')}`,
    );
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function keysOf(value: unknown): string[] {
  assert.ok(value !== null && typeof value === 'object');
  return Object.keys(value);
}

describe('intake API: docs/openapi.yaml', () => {
  const doc: unknown = parse(readFileSync(path.join(__dirname, '../../docs/openapi.yaml'), 'utf8'));
  const post = at(doc, 'paths', '/api/signals', 'post');
  const schemas = at(doc, 'components', 'schemas');

  it('is OpenAPI 3.1 with both security schemes as alternatives', () => {
    assert.match(String(at(doc, 'openapi')), /^3\.1\./);
    assert.deepEqual(at(doc, 'security'), [{ entraBearer: [] }, { apiKey: [] }]);
    assert.equal(at(doc, 'components', 'securitySchemes', 'apiKey', 'name'), 'X-API-Key');
    assert.equal(at(doc, 'components', 'securitySchemes', 'entraBearer', 'scheme'), 'bearer');
  });

  it('describes the body exactly as the code parses it, with no additional properties', () => {
    assert.equal(at(schemas, 'Signal', 'additionalProperties'), false);
    assert.equal(at(schemas, 'Signal', 'properties', 'pupil', 'additionalProperties'), false);
    assert.deepEqual(at(schemas, 'Signal', 'properties', 'source', 'enum'), [...signalSources]);
    assert.equal(
      at(schemas, 'Signal', 'properties', 'pupil', 'properties', 'name', 'maxLength'),
      MAX_NAME_LENGTH,
    );
    assert.deepEqual(keysOf(at(post, 'requestBody', 'content')), ['application/json']);
  });

  it('lists every problem type the code can answer with', () => {
    const documented = at(schemas, 'Problem', 'properties', 'type', 'enum') as string[];
    const kinds = Object.keys(problemKinds) as ProblemKind[];
    assert.deepEqual([...documented].sort(), kinds.map(problemType).sort());
  });

  it('documents every status of POST, errors as problem+json, and Retry-After on 429 and 503', () => {
    const statuses = new Set(Object.values(problemKinds).map((k) => String(k.status)));
    for (const status of ['404', '405']) statuses.delete(status); // not answers to POST /api/signals
    for (const status of ['201', ...statuses]) at(post, 'responses', status);
    for (const status of keysOf(at(post, 'responses'))) {
      if (status === '201') continue;
      assert.deepEqual(
        keysOf(at(post, 'responses', status, 'content')),
        ['application/problem+json'],
        status,
      );
    }
    at(post, 'responses', '429', 'headers', 'Retry-After');
    at(post, 'responses', '503', 'headers', 'Retry-After');
    at(post, 'responses', '401', 'headers', 'WWW-Authenticate');
  });

  it('documents GET /api/signals/{signalId}: its states, and errors as problem+json', () => {
    const get = at(doc, 'paths', '/api/signals/{signalId}', 'get');
    for (const status of ['200', '401', '404', '429', '503']) at(get, 'responses', status);
    for (const status of keysOf(at(get, 'responses'))) {
      const types = keysOf(at(get, 'responses', status, 'content'));
      assert.deepEqual(types, [status === '200' ? 'application/json' : 'application/problem+json'], status);
    }
    at(get, 'responses', '429', 'headers', 'Retry-After');
    at(get, 'responses', '503', 'headers', 'Retry-After');
    at(get, 'responses', '401', 'headers', 'WWW-Authenticate');
    assert.deepEqual(at(schemas, 'SignalState', 'properties', 'state', 'enum'), [...signalStates]);
    assert.equal(at(schemas, 'SignalState', 'additionalProperties'), false);
    assert.deepEqual(keysOf(at(schemas, 'SignalState', 'properties')).sort(), ['signalId', 'state']);
  });

  it('documents the Idempotency-Key header with the limits the code applies', () => {
    const key = at(doc, 'components', 'parameters', 'IdempotencyKey');
    assert.equal(at(key, 'name'), 'Idempotency-Key');
    assert.equal(at(key, 'in'), 'header');
    assert.equal(at(key, 'schema', 'maxLength'), MAX_IDEMPOTENCY_KEY_LENGTH);
  });
});
