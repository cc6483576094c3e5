import assert from 'node:assert/strict';
import {
  GraphClient,
  GraphError,
  retryAfterMs,
  routeShape,
  type GraphClientOptions,
} from '../../src/graph/graph-client';
import { FAKE_GRAPH_TOKEN, FakeGraph, StaticTokenCredential } from '../support/fake-graph';

// Every name here is invented.

describe('Microsoft Graph client', () => {
  const graph = new FakeGraph({ pageSize: 2 });
  let waits: number[];

  before(async () => {
    await graph.start();
    for (const [givenName, surname] of [
      ['Lotte', 'Beusekom'],
      ['Milan', 'Zwartjes'],
      ['Noor', 'Hazelhoff'],
      ['Daan', 'Tuinman'],
      ['Amani', 'Okafor'],
    ] as const) {
      graph.addStudent('school-1', { givenName, surname, birthDate: '2016-04-12' });
    }
  });
  after(() => graph.stop());
  beforeEach(() => {
    graph.reset();
    waits = [];
  });

  function client(options: Partial<GraphClientOptions> = {}): GraphClient {
    return new GraphClient({
      credential: new StaticTokenCredential(),
      baseUrl: graph.url,
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
      ...options,
    });
  }

  it('sends the token of the credential, for the Graph scope', async () => {
    const scopes: string[] = [];
    const credential = {
      getToken: async (scope: string | string[]) => {
        scopes.push(String(scope));
        return { token: FAKE_GRAPH_TOKEN, expiresOnTimestamp: Date.now() + 60_000 };
      },
    };
    await client({ credential }).get('/education/schools/school-1/users');
    assert.deepEqual(scopes, ['https://graph.microsoft.com/.default']);
    assert.equal(graph.requests[0]?.headers.authorization, `Bearer ${FAKE_GRAPH_TOKEN}`);
  });

  it('follows @odata.nextLink until the last page', async () => {
    const users = await client().getAll<{ id: string }>('/education/schools/school-1/users', {
      $select: 'id',
    });
    assert.equal(users.length, 5);
    assert.equal(graph.requestsTo('schoolUsers').length, 3);
    assert.ok(
      graph.requests.every((r) => r.query.$select === 'id'),
      'the query stays on every page',
    );
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    graph.failNext({ route: 'schoolUsers', status: 429, retryAfterSeconds: 2 });
    const users = await client().getAll('/education/schools/school-1/users');
    assert.equal(users.length, 5);
    assert.deepEqual(waits, [2000]);
  });

  it('caps a long Retry-After', async () => {
    graph.failNext({ route: 'schoolUsers', status: 503, retryAfterSeconds: 600 });
    await client({ maxRetryAfterMs: 5000 }).get('/education/schools/school-1/users');
    assert.deepEqual(waits, [5000]);
  });

  it('backs off exponentially with jitter when there is no Retry-After', async () => {
    graph.failNext({ route: 'schoolUsers', status: 504, times: 3 });
    await client({ backoffMs: 100, random: () => 0.5 }).get('/education/schools/school-1/users');
    assert.deepEqual(waits, [75, 150, 300]);
    waits = [];
    graph.failNext({ route: 'schoolUsers', status: 503 });
    await client({ backoffMs: 100, random: () => 0 }).get('/education/schools/school-1/users');
    assert.deepEqual(waits, [50]);
  });

  it('gives up after three retries, with the status in a typed error', async () => {
    graph.failNext({ route: 'schoolUsers', status: 429, times: 4, retryAfterSeconds: 1 });
    await assert.rejects(client().get('/education/schools/school-1/users'), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.status, 429);
      assert.equal(error.statusCode, 429);
      assert.equal(error.kind, 'http');
      return true;
    });
    assert.equal(graph.requests.length, 4);
  });

  it('does not retry other statuses, and never puts the response body in the message', async () => {
    graph.failNext({ route: 'schoolUsers', status: 403 });
    await assert.rejects(client().get('/education/schools/school-1/users'), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.status, 403);
      assert.equal(error.graphCode, 'Forbidden');
      assert.equal(error.message, 'GET /education/schools/{id}/users: HTTP 403 (Forbidden)');
      assert.doesNotMatch(error.message, /Scripted failure/);
      return true;
    });
    assert.equal(graph.requests.length, 1);
    assert.deepEqual(waits, []);
  });

  it('leaves the query out of error messages (a filter can hold a value)', async () => {
    graph.failNext({ route: 'listCatalogApps', status: 400 });
    await assert.rejects(
      client().get('/appCatalogs/teamsApps', { $filter: "externalId eq 'secret-value'" }),
      (error: unknown) => error instanceof GraphError && !error.message.includes('secret-value'),
    );
  });

  it('puts no id from the path in error messages, only the shape of the route', async () => {
    const pupilId = '3f2b8c1d-9e4a-4b7f-a6d5-0c1e2f3a4b5c';
    graph.failNext({ route: 'userClasses', status: 503, times: 4 });
    await assert.rejects(
      client().getAll(`/education/users/${pupilId}/classes`, { $select: 'id,displayName' }),
      (error: unknown) => {
        assert.ok(error instanceof GraphError);
        assert.equal(error.message, 'GET /education/users/{id}/classes: HTTP 503 (ServiceNotAvailable)');
        assert.ok(!error.message.includes(pupilId));
        assert.ok(!error.message.includes('$select'));
        return true;
      },
    );
  });

  it('keeps the route words and replaces every other segment, also of a POST', async () => {
    const userId = '606b1fa8-6aac-4788-8e4d-137257c00206';
    graph.failNext({ route: 'installApp', status: 403 });
    await assert.rejects(
      client().post(`/users/${userId}/teamwork/installedApps`, { 'teamsApp@odata.bind': 'x' }),
      (error: unknown) =>
        error instanceof GraphError &&
        error.message === 'POST /users/{id}/teamwork/installedApps: HTTP 403 (Forbidden)',
    );
    assert.equal(
      routeShape('/v1.0/education/classes/class-12/teachers?$select=id', '/v1.0'),
      '/education/classes/{id}/teachers',
    );
    assert.equal(
      routeShape('https://graph.microsoft.com/v1.0/users/jan%40school.example', '/v1.0'),
      '/users/{id}',
    );
    assert.equal(routeShape("/v1.0/users('abc')/classes", '/v1.0'), '/{id}/classes');
    assert.equal(
      routeShape('/beta/appCatalogs/teamsApps/catalog-1', '/v1.0'),
      '/beta/appCatalogs/teamsApps/{id}',
    );
  });

  it('does not quote an answer that is not JSON', async () => {
    const garbled: typeof fetch = async () =>
      new Response('Fenna Dijkhuis 2014-01-05', { status: 200, headers: { 'content-type': 'text/plain' } });
    await assert.rejects(client({ fetch: garbled }).get('/education/users/u-1/classes'), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.kind, 'invalid-response');
      assert.equal(error.message, 'GET /education/users/{id}/classes: the answer is not JSON');
      assert.equal(error.cause, undefined);
      return true;
    });
  });

  it('retries a network error, then reports it', async () => {
    let calls = 0;
    const failing: typeof fetch = async () => {
      calls += 1;
      throw new TypeError('fetch failed');
    };
    await assert.rejects(client({ fetch: failing, backoffMs: 10 }).get('/x'), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.kind, 'network');
      assert.equal(error.status, 0);
      return true;
    });
    assert.equal(calls, 4);
  });

  it('reports a credential that gives no token', async () => {
    const credential = { getToken: async () => null };
    await assert.rejects(client({ credential }).get('/x'), (error: unknown) => {
      assert.ok(error instanceof GraphError);
      assert.equal(error.kind, 'token');
      return true;
    });
    assert.equal(graph.requests.length, 0);
  });

  it('refuses a next page on another host, so the token never leaves Graph', async () => {
    const elsewhere: typeof fetch = async () =>
      new Response(JSON.stringify({ value: [{ id: '1' }], '@odata.nextLink': 'https://evil.example/next' }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    await assert.rejects(client({ fetch: elsewhere }).getAll('/x'), /a next page on another host/);
  });

  it('posts JSON and resolves with the status', async () => {
    graph.addCatalogApp({ id: 'catalog-1', externalId: 'manifest-1' });
    const status = await client().post('/users/user-1/teamwork/installedApps', {
      'teamsApp@odata.bind': `${graph.url}/appCatalogs/teamsApps/catalog-1`,
    });
    assert.equal(status, 201);
    assert.equal(graph.requests[0]?.headers['content-type'], 'application/json');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-03-02T08:00:00Z');
    assert.equal(retryAfterMs('7', now), 7000);
    assert.equal(retryAfterMs('Mon, 02 Mar 2026 08:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs(null, now), undefined);
    assert.equal(retryAfterMs('soon', now), undefined);
  });
});
