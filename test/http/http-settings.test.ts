import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { readEnvOptions } from '../../src/config/app-config';
import { HwcError } from '../../src/domain/errors';

const HTTP_SETTINGS = [
  'HTTP_HEADERS_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_KEEP_ALIVE_TIMEOUT_MS',
  'HTTP_MAX_CONNECTIONS',
  'TRUST_PROXY_HOPS',
];

function problemsOf(env: Record<string, string>): string {
  try {
    readEnvOptions({ SCHOOLS_FILE: 'schools.yaml', ...env });
  } catch (error) {
    assert.ok(error instanceof HwcError, 'a configuration error');
    assert.equal(error.code, 'config.invalid', 'the configuration error code');
    return error.message;
  }
  return assert.fail(`expected ${JSON.stringify(env)} to stop the start`);
}

describe('the HTTP server settings', () => {
  it('default to timeouts that suit a bot behind App Service, and trust no proxy', () => {
    const env = readEnvOptions({ SCHOOLS_FILE: 'schools.yaml' });
    assert.equal(env.HTTP_HEADERS_TIMEOUT_MS, 10_000, 'headers within 10 s');
    assert.equal(env.HTTP_REQUEST_TIMEOUT_MS, 30_000, 'a whole request within 30 s');
    assert.ok(env.HTTP_KEEP_ALIVE_TIMEOUT_MS > 240_000, 'idle connections outlive the front end’s 4 minutes');
    assert.equal(env.HTTP_MAX_CONNECTIONS, 1000, 'at most 1000 connections');
    assert.equal(env.TRUST_PROXY_HOPS, 0, 'X-Forwarded-For is not trusted by default');
  });

  it('stop the start with a message naming a wrong one', () => {
    for (const [name, value] of [
      ['HTTP_HEADERS_TIMEOUT_MS', '10'],
      ['HTTP_HEADERS_TIMEOUT_MS', 'ten seconds'],
      ['HTTP_REQUEST_TIMEOUT_MS', '0'],
      ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '-1'],
      ['HTTP_MAX_CONNECTIONS', '0'],
      ['HTTP_MAX_CONNECTIONS', '1.5'],
      ['TRUST_PROXY_HOPS', 'yes'],
      ['TRUST_PROXY_HOPS', '-1'],
      ['TRUST_PROXY_HOPS', '11'],
    ] as const) {
      assert.match(problemsOf({ [name]: value }), new RegExp(`${name}:`), `${name}=${value} is named`);
    }
  });

  it('refuse a headers timeout longer than the request timeout', () => {
    assert.match(
      problemsOf({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '10000' }),
      /HTTP_HEADERS_TIMEOUT_MS: .*HTTP_REQUEST_TIMEOUT_MS/,
      'both settings are named',
    );
  });

  it('are each in .env.sample, with a comment, as valid values, and in the README', () => {
    const sample = readFileSync('.env.sample', 'utf8');
    const env = parseEnv(sample);
    const readme = readFileSync('README.md', 'utf8');
    for (const name of HTTP_SETTINGS) {
      assert.ok(name in env, `${name} is in .env.sample`);
      const lines = sample.split('\n');
      const at = lines.findIndex((line) => line.startsWith(`${name}=`));
      assert.match(lines[at - 1] ?? '', /^# /, `${name} has a comment above it`);
      assert.ok(readme.includes(`\`${name}\``), `${name} is in the README's Configuration table`);
    }
    const options = readEnvOptions({ ...env, SCHOOLS_FILE: 'schools.yaml' });
    assert.equal(options.TRUST_PROXY_HOPS, 0, 'the sample trusts no proxy');
  });
});
