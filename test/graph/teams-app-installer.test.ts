import assert from 'node:assert/strict';
import { isHwcError } from '../../src/domain/errors';
import { createGraphServices } from '../../src/graph/create-graph';
import { GraphClient } from '../../src/graph/graph-client';
import {
  GraphTeamsAppInstaller,
  TeamsAppInstallError,
  type TeamsAppReference,
} from '../../src/graph/teams-app-installer';
import { FakeGraph, StaticTokenCredential } from '../support/fake-graph';

const MANIFEST_ID = '0f7b3c2e-5a41-4d8e-9b6a-2c1d3e4f5a6b';
const USER = '606b1fa8-6aac-4788-8e4d-137257c00206';
const OTHER_USER = '65443dc4-1712-4dfb-b7f5-6b2a99e158e1';

describe('Teams app installer', () => {
  const graph = new FakeGraph();
  let waits: number[];
  let catalogId: string;

  before(async () => {
    await graph.start();
    graph.addCatalogApp({ externalId: 'some-other-app' });
    catalogId = graph.addCatalogApp({ externalId: MANIFEST_ID }).id;
  });
  after(() => graph.stop());
  beforeEach(() => {
    graph.reset();
    graph.installed.clear();
    waits = [];
  });

  function installer(app: TeamsAppReference = { catalogAppId: catalogId }): GraphTeamsAppInstaller {
    const client = new GraphClient({
      credential: new StaticTokenCredential(),
      baseUrl: graph.url,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    return new GraphTeamsAppInstaller({ client, app });
  }

  it('installs the app from the catalog for the user (201)', async () => {
    await installer().installFor(USER);
    assert.ok(graph.isInstalled(USER, catalogId));
    const [request] = graph.requestsTo('installApp');
    assert.equal(request?.path, `/v1.0/users/${USER}/teamwork/installedApps`);
    assert.deepEqual(request?.body, {
      'teamsApp@odata.bind': `${graph.url}/appCatalogs/teamsApps/${catalogId}`,
    });
  });

  it('resolves when the app was already installed (409)', async () => {
    const sut = installer();
    await sut.installFor(USER);
    await sut.installFor(USER);
    assert.deepEqual(
      graph.requestsTo('installApp').map((r) => r.status),
      [201, 409],
    );
  });

  it('rejects with the status when Graph refuses (403), so the person is shown as unreachable', async () => {
    graph.failNext({ route: 'installApp', status: 403 });
    await assert.rejects(installer().installFor(USER), (error: unknown) => {
      assert.ok(error instanceof TeamsAppInstallError);
      assert.ok(isHwcError(error, 'delivery.unreachable'));
      assert.equal(error.status, 403);
      assert.match(
        error.message,
        /for a user failed: POST \/users\/\{id\}\/teamwork\/installedApps: HTTP 403/,
      );
      assert.ok(!error.message.includes(USER), 'no user id in the message');
      return true;
    });
    assert.equal(graph.isInstalled(USER, catalogId), false);
  });

  it('rejects on a server error without retrying it', async () => {
    graph.failNext({ route: 'installApp', status: 500 });
    await assert.rejects(installer().installFor(USER), (error: unknown) => {
      assert.ok(error instanceof TeamsAppInstallError);
      assert.equal(error.status, 500);
      return true;
    });
    assert.equal(graph.requestsTo('installApp').length, 1);
  });

  it('waits for Retry-After when throttled (429), then installs', async () => {
    graph.failNext({ route: 'installApp', status: 429, retryAfterSeconds: 3 });
    await installer().installFor(USER);
    assert.deepEqual(waits, [3000]);
    assert.ok(graph.isInstalled(USER, catalogId));
  });

  it('looks up the catalog id from the manifest id once, and uses it for every install', async () => {
    const sut = installer({ manifestAppId: MANIFEST_ID });
    await sut.installFor(USER);
    await sut.installFor(OTHER_USER);
    const lookups = graph.requestsTo('listCatalogApps');
    assert.equal(lookups.length, 1);
    assert.equal(lookups[0]?.query.$filter, `externalId eq '${MANIFEST_ID}'`);
    assert.ok(graph.isInstalled(USER, catalogId));
    assert.ok(graph.isInstalled(OTHER_USER, catalogId));
  });

  it('says so when the app is not in the organization’s catalog, and looks again next time', async () => {
    const missing = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const sut = installer({ manifestAppId: missing });
    await assert.rejects(sut.installFor(USER), (error: unknown) => {
      assert.ok(error instanceof TeamsAppInstallError);
      assert.match(error.message, /not in the organization's app catalog/);
      assert.match(error.message, /TEAMS_APP_CATALOG_ID/);
      return true;
    });
    const published = graph.addCatalogApp({ externalId: missing });
    await sut.installFor(USER);
    assert.ok(graph.isInstalled(USER, published.id));
    assert.equal(graph.requestsTo('listCatalogApps').length, 2);
  });

  it('refuses a manifest id that is not a GUID (it goes into a filter)', () => {
    assert.throws(() => installer({ manifestAppId: "x' or 1 eq 1" }), /TEAMS_APP_ID: expected a GUID/);
  });

  it('is built only when Graph is configured, and installs only with an app id', () => {
    assert.equal(createGraphServices(undefined), undefined);
    const credential = new StaticTokenCredential();
    const settings = {
      baseUrl: graph.url,
      credential: { kind: 'managed-identity' as const, clientId: USER },
    };
    const withoutApp = createGraphServices(settings, { credential });
    assert.ok(withoutApp?.client);
    assert.equal(withoutApp?.installer, undefined);
    const withApp = createGraphServices(
      { ...settings, teamsApp: { manifestAppId: MANIFEST_ID } },
      { credential },
    );
    assert.ok(withApp?.installer instanceof GraphTeamsAppInstaller);
  });
});
