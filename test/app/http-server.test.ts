import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startTestApp, type TestApp } from '../support/test-app';

/** GET on a connection of its own that is closed after the answer, so no pool holds a slot open. */
function getOnce(url: string, path: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: hostname, port, path, agent: false, headers: { Connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

/** A client that opens a connection and never finishes its request; `closed` once the server cuts it. */
interface SlowClient {
  socket: net.Socket;
  connected: Promise<void>;
  closed: Promise<string>;
  isClosed(): boolean;
}

function slowClient(url: string, start: string): SlowClient {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let answer = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  void connected.then(() => socket.write(start));
  return {
    socket,
    connected,
    closed: new Promise((resolve) =>
      socket.once('close', () => {
        closed = true;
        resolve(answer);
      }),
    ),
    isClosed: () => closed,
  };
}

/** Sends one more byte of a header on every client now and then, as a slow-loris client does. */
function drip(clients: SlowClient[], everyMs: number): () => void {
  const timer = setInterval(() => {
    for (const client of clients) if (!client.isClosed()) client.socket.write('a');
  }, everyMs);
  return () => clearInterval(timer);
}

/** Resolves once the server holds `count` connections (it counts an accepted or closed one a little later). */
async function untilServerHolds(t: TestApp, count: number): Promise<void> {
  for (;;) {
    const held = await new Promise<number>((resolve, reject) =>
      t.app.server.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
    );
    if (held === count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the HTTP server', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.stop());

  it('answers /healthz', async () => {
    const res = await fetch(`${t.app.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('serves the privacy and terms pages the Teams app links to', async () => {
    for (const page of ['privacy', 'terms']) {
      const res = await fetch(`${t.app.url}/${page}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /Handle with Care/);
    }
  });

  it('answers a HEAD probe of the messages endpoint', async () => {
    const res = await fetch(`${t.app.url}/api/messages`, { method: 'HEAD' });
    assert.equal(res.status, 200);
  });

  it('stays up after requests that restify itself refuses (unknown path, wrong method, bad JSON)', async () => {
    const unknown = await fetch(`${t.app.url}/nothing-here`);
    assert.equal(unknown.status, 404);
    const wrongMethod = await fetch(`${t.app.url}/api/messages`);
    assert.equal(wrongMethod.status, 405);
    const badJson = await fetch(`${t.app.url}/api/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"text": "Vera Zeldzaamheid',
    });
    assert.equal(badJson.status, 400);
    const body = await badJson.text();
    assert.ok(!body.includes('Zeldzaamheid'), 'the error does not quote the body');
    const health = await fetch(`${t.app.url}/healthz`);
    assert.equal(health.status, 200);
  });
});

describe('the HTTP server and slow or many clients', () => {
  it('keeps answering /healthz while 250 clients hold slow, unfinished requests open', async function () {
    this.timeout(20_000);
    // A long headers timeout here, so that every slow client is surely still held when /healthz is asked.
    const t = await startTestApp({
      env: { HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '60000' },
    });
    const clients: SlowClient[] = [];
    let stop = () => {};
    try {
      for (let i = 0; i < 250; i++)
        clients.push(slowClient(t.app.url, 'POST /api/signals HTTP/1.1\r\nHost: hwc\r\nX-Slow: '));
      await Promise.all(clients.map((c) => c.connected));
      stop = drip(clients, 200);
      assert.equal(await getOnce(t.app.url, '/healthz'), 200, '/healthz answers beside the slow clients');
      assert.equal(clients.filter((c) => c.isClosed()).length, 0, 'the slow clients were all still held');
    } finally {
      stop();
      for (const client of clients) client.socket.destroy();
      await t.stop();
    }
  });

  it('disconnects a client that sends its headers too slowly, with 408', async () => {
    const t = await startTestApp({
      env: { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '1000' },
    });
    let stop = () => {};
    try {
      const client = slowClient(t.app.url, 'GET /healthz HTTP/1.1\r\nHost: hwc\r\nX-Slow: ');
      await client.connected;
      stop = drip([client], 50);
      const answer = await client.closed;
      assert.match(
        answer,
        /^HTTP\/1\.1 408 /,
        `the server answers 408 and closes: ${JSON.stringify(answer)}`,
      );
      assert.equal(await getOnce(t.app.url, '/healthz'), 200, 'the server answers others after');
    } finally {
      stop();
      await t.stop();
    }
  });

  it('disconnects a client that sends its body too slowly', async () => {
    const t = await startTestApp({
      env: { HTTP_HEADERS_TIMEOUT_MS: '300', HTTP_REQUEST_TIMEOUT_MS: '600' },
    });
    let stop = () => {};
    try {
      const client = slowClient(
        t.app.url,
        'POST /api/messages HTTP/1.1\r\nHost: hwc\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":"',
      );
      await client.connected;
      stop = drip([client], 50);
      await client.closed;
      assert.ok(client.isClosed(), 'the server closed the connection');
      assert.equal(await getOnce(t.app.url, '/healthz'), 200, 'the server answers others after');
    } finally {
      stop();
      await t.stop();
    }
  });

  it('takes no more connections at once than HTTP_MAX_CONNECTIONS, and takes them again once others close', async () => {
    const t = await startTestApp({ env: { HTTP_MAX_CONNECTIONS: '5' } });
    const held: SlowClient[] = [];
    try {
      for (let i = 0; i < 5; i++) held.push(slowClient(t.app.url, 'GET /healthz HTTP/1.1\r\nHost: hwc\r\n'));
      await Promise.all(held.map((c) => c.connected));
      await untilServerHolds(t, 5);
      const extra = slowClient(t.app.url, 'GET /healthz HTTP/1.1\r\nHost: hwc\r\n\r\n');
      const answer = await extra.closed;
      assert.equal(answer, '', 'the sixth connection is closed without an answer');

      for (const client of held) client.socket.destroy();
      await untilServerHolds(t, 0);
      assert.equal(await getOnce(t.app.url, '/healthz'), 200, 'a new connection is taken again');
    } finally {
      for (const client of held) client.socket.destroy();
      await t.stop();
    }
  });
});
