import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { emptyDirectory } from '../../src/app/ports';
import { loadSchoolsFile } from '../../src/config/app-config';
import { SchoolsReloader } from '../../src/config/schools-reloader';
import { GraphGroupMembers, withGroupCoordinators } from '../../src/directory/graph-group-members';
import { HwcError } from '../../src/domain/errors';
import { rolesAt, schoolSchema, type School } from '../../src/domain/school';
import { GraphClient } from '../../src/graph/graph-client';
import { createLogger } from '../../src/logging/logger';
import { FakeGraph, StaticTokenCredential } from '../support/fake-graph';

// Every name here is invented.
const SCHOOL = 'de-meander';
const LISTED = { id: '4a1b2c3d-5e6f-4701-8b2c-3d4e5f6a7b01', name: 'Trijntje Veenstra' };
const MEMBER_NAMES = /Aukje|Sjoerd|Baukje|Wopke|Hylke|Tjalling/;

class LogLines extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    callback();
  }
  events(event: string): Record<string, unknown>[] {
    return this.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((entry) => entry.event === event);
  }
}

describe('coordinators from an Entra group', () => {
  const graph = new FakeGraph({ pageSize: 2 });
  const ids: Record<string, string> = {};
  let groupId: string;
  let sleeps: number[];
  let logs: LogLines;
  let dir: string;
  let reloader: SchoolsReloader | undefined;

  before(async () => {
    await graph.start();
    ids.aukje = graph.addTenantUser({ displayName: 'Aukje Dijkstra' }).id;
    ids.sjoerd = graph.addTenantUser({ displayName: 'Sjoerd Hoekstra' }).id;
    ids.baukje = graph.addTenantUser({ displayName: 'Baukje Wiersma' }).id;
    ids.wopke = graph.addTenantUser({ displayName: 'Wopke Zandstra' }).id;
    graph.addTenantUser({ id: LISTED.id, displayName: 'T. Veenstra (Entra)' });
    const nested = graph.addGroup('Intern begeleiders', [ids.wopke]);
    const printer = graph.addDevice('Printer lerarenkamer');
    groupId = graph.addGroup('Zorgcoördinatoren De Meander', [
      ids.aukje,
      ids.sjoerd,
      ids.baukje,
      LISTED.id,
      nested.id,
      printer.id,
    ]).id;
  });
  after(() => graph.stop());
  beforeEach(() => {
    graph.reset();
    sleeps = [];
    logs = new LogLines();
    dir = mkdtempSync(path.join(tmpdir(), 'hwc-groups-'));
  });
  afterEach(() => {
    reloader?.close();
    reloader = undefined;
    rmSync(dir, { recursive: true, force: true });
    const group = graph.groups.get(groupId)!;
    group.members = group.members.filter((m) => m !== ids.hylke);
  });

  function client(): GraphClient {
    return new GraphClient({
      credential: new StaticTokenCredential(),
      baseUrl: graph.url,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    });
  }

  /** A reloader on a schools file naming the group, as the app wires it. */
  async function startReloader(school: Record<string, unknown> = {}): Promise<SchoolsReloader> {
    const file = path.join(dir, 'schools.yaml');
    writeFileSync(
      file,
      stringify({
        schools: [
          {
            id: SCHOOL,
            name: 'Basisschool De Meander',
            lessonStart: '08:30',
            dayEnd: '15:00',
            coordinators: [LISTED],
            coordinatorGroup: groupId,
            ...school,
          },
        ],
      }),
    );
    reloader = new SchoolsReloader({
      file,
      schools: loadSchoolsFile(file).schools,
      createDirectory: () => emptyDirectory,
      groupMembers: new GraphGroupMembers(client()),
      log: createLogger({ destination: logs, level: 'debug' }),
      pollMs: 0,
      groupRefreshMs: 0,
    });
    await reloader.start();
    return reloader;
  }

  function coordinatorIds(r: SchoolsReloader): string[] {
    return (r.registry.get(SCHOOL)?.coordinators ?? []).map((c) => c.id).sort();
  }

  it('reads the users of the group, nested groups included, from every page', async () => {
    const members = await new GraphGroupMembers(client()).membersOf(groupId);
    assert.deepEqual(
      members.map((m) => m.name),
      ['Aukje Dijkstra', 'Baukje Wiersma', 'Sjoerd Hoekstra', 'T. Veenstra (Entra)', 'Wopke Zandstra'],
      'the users, by name; not the nested group or the device',
    );
    const pages = graph.requestsTo('groupMembers');
    assert.ok(pages.length > 1, `more than one page was read (${pages.length})`);
    assert.equal(pages[0]?.path, `/v1.0/groups/${groupId}/transitiveMembers`, 'the transitive members');
    assert.equal(pages[0]?.query.$select, 'id,displayName', 'only the fields needed');
  });

  it('makes the group’s members coordinators besides the listed ones, each once', async () => {
    const r = await startReloader();
    const school = r.registry.get(SCHOOL)!;
    assert.deepEqual(
      coordinatorIds(r),
      [ids.aukje!, ids.baukje!, ids.sjoerd!, ids.wopke!, LISTED.id].sort(),
      'listed coordinator and members, de-duplicated',
    );
    assert.equal(
      school.coordinators.find((c) => c.id === LISTED.id)?.name,
      LISTED.name,
      'a listed coordinator keeps the name the file gives',
    );
    assert.deepEqual(rolesAt(school, ids.sjoerd!), ['coordinator'], 'a member is a coordinator');
  });

  it('a school may list no coordinator when its group names them', () => {
    const parsed = schoolSchema.safeParse({
      id: SCHOOL,
      name: 'Basisschool De Meander',
      lessonStart: '08:30',
      dayEnd: '15:00',
      coordinatorGroup: groupId,
    });
    assert.equal(parsed.success, true, 'valid with a group and no coordinators');
    const without = schoolSchema.safeParse({ id: SCHOOL, name: 'X', lessonStart: '08:30', dayEnd: '15:00' });
    assert.equal(without.success, false, 'without both it is not');
    const notGuid = schoolSchema.safeParse({
      id: SCHOOL,
      name: 'X',
      lessonStart: '08:30',
      dayEnd: '15:00',
      coordinatorGroup: 'zorgteam',
    });
    assert.equal(notGuid.success, false, 'a group is named by its object id');
  });

  it('a member added to the group becomes a coordinator at the next refresh, without a file edit', async () => {
    const r = await startReloader({ coordinators: [] });
    assert.equal(rolesAt(r.registry.get(SCHOOL)!, LISTED.id).length, 1, 'a group member from the start');
    ids.hylke = graph.addTenantUser({ displayName: 'Hylke Bosma' }).id;
    graph.groups.get(groupId)!.members.push(ids.hylke);
    assert.deepEqual(rolesAt(r.registry.get(SCHOOL)!, ids.hylke), [], 'not before the refresh');
    await r.refreshGroups();
    assert.deepEqual(rolesAt(r.registry.get(SCHOOL)!, ids.hylke), ['coordinator'], 'a coordinator after it');

    graph.groups.get(groupId)!.members = graph.groups.get(groupId)!.members.filter((m) => m !== ids.sjoerd);
    await r.refreshGroups();
    assert.deepEqual(
      rolesAt(r.registry.get(SCHOOL)!, ids.sjoerd!),
      [],
      'who left the group coordinates no more',
    );
    graph.groups.get(groupId)!.members.push(ids.sjoerd!);
  });

  it('waits as long as Graph’s Retry-After asks when throttled', async () => {
    graph.failNext({ route: 'groupMembers', status: 429, retryAfterSeconds: 3 });
    const r = await startReloader();
    assert.deepEqual(sleeps, [3000], 'one wait, of the 3 seconds Graph asked for');
    assert.ok(coordinatorIds(r).includes(ids.aukje!), 'the members were read after the wait');
  });

  it('keeps the last good list when a refresh fails, and says so without naming anyone', async () => {
    const r = await startReloader();
    const before = coordinatorIds(r);
    graph.failNext({ route: 'groupMembers', status: 429, retryAfterSeconds: 1, times: 4 });
    await r.refreshGroups();
    assert.deepEqual(coordinatorIds(r), before, 'the members stay coordinators');
    const [warning] = logs.events('coordinator-group.read-failed');
    assert.ok(warning, 'a warning is logged');
    assert.equal(warning.level, 'warn', 'at warn level');
    assert.equal(warning.status, 429, 'with the status');
    assert.deepEqual(warning.schoolIds, [SCHOOL], 'naming the school');
    for (const line of logs.lines) {
      assert.doesNotMatch(line, MEMBER_NAMES, `no member's name in the log: ${line}`);
      for (const id of Object.values(ids))
        assert.ok(!line.includes(id), `no member's id in the log: ${line}`);
    }
  });

  it('when the first read fails, the school has its listed coordinators only, until a refresh works', async () => {
    graph.failNext({ route: 'groupMembers', status: 403 });
    const r = await startReloader();
    assert.deepEqual(coordinatorIds(r), [LISTED.id], 'only the listed coordinator');
    assert.equal(logs.events('coordinator-group.read-failed').length, 1, 'a warning is logged');
    await r.refreshGroups();
    assert.ok(coordinatorIds(r).includes(ids.baukje!), 'the members join once the group can be read');
  });

  it('reads the groups again when the schools file is reloaded', async () => {
    const r = await startReloader();
    const reads = graph.requestsTo('groupMembers').length;
    assert.equal((await r.reloadSchools()).ok, true, 'the reload succeeds');
    assert.ok(graph.requestsTo('groupMembers').length > reads, 'the group was read again');
  });

  it('needs Microsoft Graph for a coordinator group', () => {
    const file = path.join(dir, 'schools.yaml');
    writeFileSync(
      file,
      stringify({
        schools: [
          { id: SCHOOL, name: 'X', lessonStart: '08:30', dayEnd: '15:00', coordinatorGroup: groupId },
        ],
      }),
    );
    assert.throws(
      () =>
        new SchoolsReloader({
          file,
          schools: loadSchoolsFile(file).schools,
          createDirectory: () => emptyDirectory,
          log: createLogger({ level: 'silent' }),
        }),
      (error: unknown) =>
        error instanceof HwcError && error.code === 'config.invalid' && /GRAPH_CLIENT_ID/.test(error.message),
      'a configuration error naming the Graph setting',
    );
  });

  it('merges by id without regard to case, listed names first', () => {
    const school = { coordinators: [LISTED], coordinatorGroup: groupId } as unknown as School;
    const merged = withGroupCoordinators(school, [
      { id: LISTED.id.toUpperCase(), name: 'Other name' },
      { id: 'b1b2b3b4-0000-4000-8000-000000000001', name: 'Tjalling Kuipers' },
    ]);
    assert.deepEqual(
      merged.coordinators.map((c) => c.name),
      [LISTED.name, 'Tjalling Kuipers'],
      'one entry per person, the file’s name kept',
    );
  });
});
