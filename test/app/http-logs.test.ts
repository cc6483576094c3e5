import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type * as restify from 'restify';
import { createHttpServer } from '../../src/http/http-server';
import { createLogger } from '../../src/logging/logger';
import { startTestApp, TEST_API_KEY, TEST_STATS_KEY, type TestApp } from '../support/test-app';

/**
 * Anyone can put text in a request: a pupil's name in the path, a header or the body. The HTTP
 * layer logs the shape of a request (the route pattern, a status, a code), never what was sent.
 * Each place a request can carry text gets a marker of its own, so a leak says where it came from.
 */
function markers() {
  const tag = randomBytes(6).toString('hex');
  const m = (where: string) => `zeldzaam${where}${tag}`;
  return {
    path: m('path'),
    query: m('query'),
    queryName: m('queryname'),
    authorization: m('authorization'),
    apiKey: m('apikey'),
    idempotencyKey: m('idempotencykey'),
    contentType: m('contenttype'),
    userAgent: m('useragent'),
    forwardedFor: m('forwardedfor'),
    accept: m('accept'),
    cookie: m('cookie'),
    custom: m('custom'),
    customName: m('customname'),
    body: m('body'),
  };
}

type Markers = ReturnType<typeof markers>;

/** Every header a caller controls, each carrying its own marker. */
function markedHeaders(m: Markers): Record<string, string> {
  return {
    Authorization: `Bearer ${m.authorization}`,
    'X-API-Key': m.apiKey,
    'Idempotency-Key': m.idempotencyKey,
    'Content-Type': `application/${m.contentType}`,
    'User-Agent': m.userAgent,
    'X-Forwarded-For': `203.0.113.9, ${m.forwardedFor}`,
    Accept: `application/${m.accept}`,
    Cookie: `session=${m.cookie}`,
    'X-Hwc-Note': m.custom,
    [`X-${m.customName}`]: 'yes',
  };
}

interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** One request over its own connection; the answer's status, or 0 when the server cut it. */
function send(url: string, probe: Probe): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: probe.method,
        path: probe.path,
        headers: {
          ...probe.headers,
          ...(probe.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(probe.body)) } : {}),
        },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? resolve(0) : reject(error),
    );
    req.end(probe.body);
  });
}

/** A request the HTTP parser refuses (a space in the path); the server answers 400 and closes. */
function sendRaw(url: string, text: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}

describe('what the HTTP layer logs of a request', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.stop());

  it('logs no path, query, header or body text of any request, to a known route or an unknown one', async () => {
    const m = markers();
    const headers = markedHeaders(m);
    const q = `?school=${m.query}&${m.queryName}=1`;
    const malformed = `{"pupil": {"name": "${m.body}", "birthDate": `;
    // The credentials that pass, so that the request gets as far as its body.
    const intakeKey = { ...headers, 'X-API-Key': TEST_API_KEY, 'Content-Type': 'application/json' };
    delete (intakeKey as Record<string, string>).Authorization;
    const statsKey = { ...headers, 'X-API-Key': TEST_STATS_KEY };
    delete (statsKey as Record<string, string>).Authorization;

    const probes: Probe[] = [];
    const unknownPaths = [
      `/api/signals/${m.path}${q}`,
      `/api/stats/${m.path}${q}`,
      `/${m.path}${q}`,
      `/api/messages/${m.path}`,
    ];
    for (const path of unknownPaths)
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'])
        probes.push({ method, path, headers, ...(method === 'POST' ? { body: malformed } : {}) });
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']) {
      for (const path of [`/api/signals${q}`, `/api/stats${q}`, `/api/messages${q}`, `/healthz${q}`]) {
        probes.push({ method, path, headers, body: malformed });
        probes.push({ method, path, headers: { 'X-Hwc-Note': m.custom } });
      }
    }
    probes.push(
      // Past authentication: a malformed body, and a query the statistics refuse or do not know.
      { method: 'POST', path: `/api/signals${q}`, headers: intakeKey, body: malformed },
      { method: 'POST', path: '/api/signals', headers: intakeKey, body: `"${m.body}"` },
      { method: 'POST', path: '/api/signals/', headers: intakeKey, body: malformed },
      {
        method: 'POST',
        path: '/api/signals',
        headers: { ...intakeKey, 'Content-Type': `application/${m.contentType}` },
        body: malformed,
      },
      // JSON, but not a signal: an extra field named by the sender, and values that are not valid.
      {
        method: 'POST',
        path: '/api/signals',
        headers: intakeKey,
        body: JSON.stringify({
          schoolId: m.body,
          pupil: { name: m.body, birthDate: m.body },
          source: m.body,
          [m.body]: m.body,
        }),
      },
      {
        method: 'POST',
        path: '/api/signals',
        headers: intakeKey,
        body: JSON.stringify({ schoolId: 'oranjeschool', pupil: { name: m.body, birthDate: m.body } }),
      },
      { method: 'GET', path: `/api/stats?school=${m.query}`, headers: statsKey },
      { method: 'GET', path: `/api/stats?${m.queryName}=1`, headers: statsKey },
      // The bot's endpoint parses JSON before the adapter sees it.
      {
        method: 'POST',
        path: `/api/messages${q}`,
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: malformed,
      },
      { method: 'HEAD', path: '/api/messages', headers: { Accept: `application/${m.accept}` } },
      { method: 'GET', path: `/readyz${q}`, headers },
      { method: 'GET', path: `/privacy${q}`, headers },
      { method: 'GET', path: `/terms/${m.path}`, headers },
    );

    const statuses = new Set<number>();
    for (const probe of probes) statuses.add(await send(t.app.url, probe));
    // Requests Node's parser refuses itself, and an over-long header.
    await sendRaw(t.app.url, `GET /api/signals/${m.path} x HTTP/1.1\r\nHost: x\r\n\r\n`);
    await sendRaw(t.app.url, `POST /api/signals HTTP/1.1\r\nHost: x\r\nX-Hwc-Note: ${m.custom}\r\n\r\n`);
    await sendRaw(
      t.app.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Hwc-Note: ${m.custom}${'a'.repeat(20_000)}\r\n\r\n`,
    );
    // The probes did reach the routes: found, refused, unknown, malformed.
    for (const status of [200, 400, 401, 404, 405, 415, 422])
      assert.ok(statuses.has(status), `no probe answered ${status}: ${[...statuses].join(', ')}`);

    const logged = t.logs.text();
    assert.ok(logged.includes('request failed'), 'the refused requests were logged');
    const leaked = Object.entries(m)
      .filter(([, marker]) => logged.includes(marker))
      .map(([where]) => where);
    const example = t.logs.lines.find((line) => Object.values(m).some((marker) => line.includes(marker)));
    assert.deepEqual(leaked, [], `the log holds what was sent in: ${leaked.join(', ')}; e.g. ${example}`);
  });

  it('names the route pattern, or unknown-route, when a request fails', async () => {
    const m = markers();
    assert.equal(await send(t.app.url, { method: 'GET', path: `/api/unknown/${m.path}`, headers: {} }), 404);
    assert.equal(await send(t.app.url, { method: 'DELETE', path: '/api/messages', headers: {} }), 405);
    const failed = t.logs.lines
      .filter((line) => line.includes('"request failed"'))
      .map((line) => JSON.parse(line) as { route?: string; status?: number });
    assert.ok(
      failed.some((line) => line.route === 'unknown-route' && line.status === 404),
      `a 404 is logged as unknown-route: ${JSON.stringify(failed)}`,
    );
    assert.ok(
      failed.every(
        (line) => typeof line.route === 'string' && /^(unknown-route|\/[a-z/:]*)$/.test(line.route),
      ),
      `every failed request names a route shape: ${JSON.stringify(failed)}`,
    );
  });
});

describe('what restify itself logs', () => {
  it('reaches the app log as a shape (method, route, error name), never the request', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (line: string) => lines.push(line) },
    });
    const server = createHttpServer(logger);
    const m = markers();
    // Routes that make restify warn: an answer in no type the client accepts, a value it discards.
    server.get('/plain', (_req: restify.Request, res: restify.Response, next: restify.Next) => {
      res.send(200, 'plain text');
      next();
    });
    server.get('/returns', async () => m.body);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const headers = markedHeaders(m);
      assert.equal(await send(server.url, { method: 'GET', path: `/plain?q=${m.query}`, headers }), 406);
      await send(server.url, { method: 'GET', path: `/returns?q=${m.query}`, headers });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const restifyLines = lines.filter((line) => line.includes('"component":"restify"'));
    assert.equal(restifyLines.length, 2, `restify's two warnings are in the app log: ${lines.join('')}`);
    assert.match(restifyLines[0] ?? '', /"route":"\/plain"/, 'the warning names the route');
    const leaked = Object.entries(m).filter(([, marker]) => lines.join('').includes(marker));
    assert.deepEqual(leaked, [], `restify's lines hold what was sent in: ${lines.join('')}`);
  });
});
