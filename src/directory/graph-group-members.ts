import { z } from 'zod';
import { HwcError } from '../domain/errors';
import type { School, StaffMember } from '../domain/school';
import { GraphError, type GraphClient } from '../graph/graph-client';
import type { Logger } from '../logging/logger';

/**
 * Coordinators from a Microsoft Entra group: a school's `coordinatorGroup` names the group, and its
 * members, nested groups included, are coordinators besides the ones the schools file lists. So the
 * IT admin changes who coordinates in Entra, without an edit of the file or a restart.
 *
 * Read app-only with GroupMember.Read.All:
 *   GET /groups/{id}/transitiveMembers?$select=id,displayName
 * keeping the users. Not the OData cast /transitiveMembers/microsoft.graph.user: Graph serves a
 * cast on this relationship only as an advanced query (ConsistencyLevel: eventual and $count=true),
 * from an index that lags behind recent changes; the plain list is current and needs neither.
 *
 * The lists are kept in memory and read again every few minutes (5 by default) and when the schools
 * file is reloaded: a signal must not wait for Graph, and the domain asks for a school's
 * coordinators synchronously. A read that fails keeps the last good list, with a warning; a group
 * never read yet adds nobody, so the school has only its listed coordinators until it is.
 * Logged: school ids, counts and HTTP statuses, never a member's name or id.
 */

/** The members of a group that can coordinate: users, with their display names. */
export interface GroupMemberSource {
  membersOf(groupId: string): Promise<StaffMember[]>;
}

const USER_TYPE = '#microsoft.graph.user';

/** One item of a directoryObject collection; only what is used, other properties are dropped. */
const directoryObject = z.object({
  '@odata.type': z.string().optional(),
  id: z.string().min(1),
  displayName: z.string().nullish(),
});

export class GraphGroupMembers implements GroupMemberSource {
  constructor(private readonly client: GraphClient) {}

  async membersOf(groupId: string): Promise<StaffMember[]> {
    const items = await this.client.getAll<unknown>(
      `/groups/${encodeURIComponent(groupId)}/transitiveMembers`,
      {
        $select: 'id,displayName',
      },
    );
    const parsed = z.array(directoryObject).safeParse(items);
    if (!parsed.success) {
      // No zod message: it could quote a member's name.
      throw new HwcError(
        'directory.unavailable',
        'Microsoft Graph group members: the answer is not a member list',
      );
    }
    const members = new Map<string, StaffMember>();
    for (const item of parsed.data) {
      // Nested groups come as their members plus the group itself; devices, contacts and service
      // principals cannot coordinate.
      if (item['@odata.type'] !== USER_TYPE) continue;
      const id = item.id.toLowerCase();
      // Without User.ReadBasic.All Graph gives a user's id and nulls: better the id than nobody.
      if (!members.has(id)) members.set(id, { id, name: item.displayName?.trim() || id });
    }
    return [...members.values()].sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  }
}

/**
 * The school with its group's current members among its coordinators: the listed ones first (their
 * names as the file writes them), then the members the file does not list, by id without regard to
 * case. The same School when there is nothing to add.
 */
export function withGroupCoordinators(school: School, members: readonly StaffMember[]): School {
  if (school.coordinatorGroup === undefined || members.length === 0) return school;
  const listed = new Set(school.coordinators.map((c) => c.id.toLowerCase()));
  const added = members.filter((m) => !listed.has(m.id.toLowerCase()));
  if (added.length === 0) return school;
  return { ...school, coordinators: [...school.coordinators, ...added.map((m) => ({ ...m }))] };
}

/** The groups to follow: group id → the ids of the schools that name it (for the log). */
export type FollowedGroups = ReadonlyMap<string, readonly string[]>;

/** The Entra groups the schools file names, by the schools that name them. */
export function coordinatorGroupsOf(schools: readonly School[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const school of schools) {
    if (school.coordinatorGroup === undefined) continue;
    const key = school.coordinatorGroup.toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), school.id]);
  }
  return groups;
}

export interface CoordinatorGroupsOptions {
  source: GroupMemberSource;
  log?: Logger;
  /** Called after a read changed a list (someone joined or left a group, or was renamed). */
  onChange?: () => void;
}

export interface GroupRefreshOutcome {
  /** Groups read now. */
  read: number;
  /** Groups that could not be read: their last good list (or nobody) stays. */
  failed: number;
}

/** The current members of each followed group, read from Graph and kept between reads. */
export class CoordinatorGroups {
  private followed: FollowedGroups = new Map();
  private readonly lists = new Map<string, readonly StaffMember[]>();
  private running: Promise<GroupRefreshOutcome> | undefined;
  private queued: Promise<GroupRefreshOutcome> | undefined;

  constructor(private readonly options: CoordinatorGroupsOptions) {}

  /** The last good member list of a group; empty before its first good read. */
  members(groupId: string): readonly StaffMember[] {
    return this.lists.get(groupId.toLowerCase()) ?? [];
  }

  /**
   * Follows exactly these groups from now on (a group no longer named is forgotten) and reads them.
   * Resolves when they were read, or failed to be.
   */
  async follow(groups: FollowedGroups): Promise<GroupRefreshOutcome> {
    this.followed = new Map(groups);
    const outcome = await this.refresh();
    // Only now: until the new groups are read, the schools in use still show their old groups' members.
    for (const id of [...this.lists.keys()]) if (!this.followed.has(id)) this.lists.delete(id);
    return outcome;
  }

  /**
   * Reads every followed group. A refresh asked for while one runs starts when it ends (once, for
   * all who asked), so it sees the groups followed by then.
   */
  refresh(): Promise<GroupRefreshOutcome> {
    if (!this.running) {
      this.running = this.readAll().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.refresh();
      });
    return this.queued;
  }

  private async readAll(): Promise<GroupRefreshOutcome> {
    const groups = [...this.followed];
    const results = await Promise.all(groups.map(([groupId, schools]) => this.readOne(groupId, schools)));
    const changed = results.some((r) => r === 'changed');
    if (changed) this.options.onChange?.();
    return { read: groups.length, failed: results.filter((r) => r === 'failed').length };
  }

  private async readOne(groupId: string, schools: readonly string[]): Promise<'changed' | 'same' | 'failed'> {
    const { source, log } = this.options;
    let members: StaffMember[];
    try {
      members = await source.membersOf(groupId);
    } catch (error) {
      const known = this.lists.get(groupId);
      log?.warn(
        {
          event: 'coordinator-group.read-failed',
          schoolIds: schools,
          ...failureOf(error),
          keeping: known ? known.length : 0,
        },
        known
          ? 'the Entra group of coordinators could not be read; keeping its last known members'
          : 'the Entra group of coordinators could not be read; the school has only its listed coordinators until it can',
      );
      return 'failed';
    }
    // The group may have been dropped by a reload while Graph answered.
    if (!this.followed.has(groupId)) return 'same';
    const before = this.lists.get(groupId);
    this.lists.set(groupId, members);
    if (before && sameMembers(before, members)) return 'same';
    log?.info(
      { event: 'coordinator-group.read', schoolIds: schools, members: members.length },
      'Entra group of coordinators read',
    );
    return 'changed';
  }
}

function sameMembers(a: readonly StaffMember[], b: readonly StaffMember[]): boolean {
  const key = (list: readonly StaffMember[]) =>
    JSON.stringify(list.map((m) => [m.id, m.name]).sort(([x], [y]) => (x! < y! ? -1 : x! > y! ? 1 : 0)));
  return a.length === b.length && key(a) === key(b);
}

/** The kind of failure and the status only: a message could name the group's members. */
function failureOf(error: unknown): { code: string; status?: number } {
  if (error instanceof GraphError) return { code: `graph.${error.kind}`, status: error.status };
  if (error instanceof HwcError) return { code: error.code };
  return { code: 'unexpected' };
}
