import type { Directory, DirectoryPupil } from '../app/ports';
import { HwcError } from '../domain/errors';
import { findUniqueMatch, type MatchCandidate, type PersonName } from '../domain/name-match';
import type { StaffMember } from '../domain/school';
import type { Pupil } from '../domain/signal';
import type { Logger } from '../logging/logger';
import { GraphError, type GraphClient } from '../graph/graph-client';

/**
 * A school's directory from Microsoft Graph's Education API (School Data Sync), app-only with
 * EduRoster.Read.All:
 *   GET /education/schools/{id}/users      the school's users: primaryRole, names, student.birthDate
 *   GET /education/users/{id}/classes      the classes a pupil is a member of
 *   GET /education/classes/{id}/teachers   the teachers of a class
 * The pupil's group is the class's displayName (all of them, joined, when a pupil is in several
 * classes) and the suggested colleagues are the teachers of those classes.
 *
 * The school's user list is kept for a few minutes (10 by default): a signal or two a month per
 * school does not need fresher data, and a coordinator paging through the staff list must not cost
 * a full read every time. When Graph cannot be read, an older list is used rather than none.
 * Nothing about a pupil is logged: counts and ids only.
 */

interface EducationUser {
  id: string;
  displayName?: string | null;
  givenName?: string | null;
  middleName?: string | null;
  surname?: string | null;
  primaryRole?: string | null;
  student?: { birthDate?: string | null } | null;
}

interface EducationClass {
  id: string;
  displayName?: string | null;
}

interface Student extends MatchCandidate {
  id: string;
}

interface SchoolUsers {
  at: number;
  students: Student[];
  teachers: StaffMember[];
}

const USER_FIELDS = 'id,displayName,givenName,middleName,surname,primaryRole,student';

/**
 * `student.birthDate` is a Date, but serialized as a DateTimeOffset in places: keep the calendar
 * date as written.
 */
function birthDateOf(user: EducationUser): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(user.student?.birthDate ?? '');
  return match?.[1];
}

function namesOf(user: EducationUser): PersonName[] {
  const names: PersonName[] = [];
  if (user.surname) {
    // School Data Sync puts a Dutch tussenvoegsel in middleName or in surname, and extra first
    // names in middleName: the matcher drops particles wherever they are.
    names.push({
      roepnaam: user.givenName ?? '',
      voornamen: user.middleName ?? '',
      achternaam: user.surname,
    });
  }
  if (user.displayName) names.push(user.displayName);
  return names;
}

export interface GraphEducationDirectoryOptions {
  /** The school's id in the schools file. */
  schoolId: string;
  /** The school's id in Microsoft Graph (GET /education/schools). */
  educationSchoolId: string;
  client: GraphClient;
  /** How long the school's user list is reused, in ms (default 10 minutes). */
  cacheMs?: number;
  now?: () => number;
  log?: Logger;
}

export class GraphEducationDirectory implements Directory {
  private cached: SchoolUsers | undefined;
  private loading: Promise<SchoolUsers> | undefined;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly options: GraphEducationDirectoryOptions) {
    this.cacheMs = options.cacheMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async findPupil(schoolId: string, pupil: Pupil): Promise<DirectoryPupil | undefined> {
    if (schoolId !== this.options.schoolId) return undefined;
    const { students } = await this.schoolUsers();
    const match = findUniqueMatch(students, pupil);
    if (!match) return undefined;
    const { client } = this.options;
    try {
      const classes = await client.getAll<EducationClass>(
        `/education/users/${encodeURIComponent(match.id)}/classes`,
        { $select: 'id,displayName' },
      );
      if (classes.length === 0) return undefined;
      const teacherLists = await Promise.all(
        classes.map((c) =>
          client.getAll<EducationUser>(`/education/classes/${encodeURIComponent(c.id)}/teachers`, {
            $select: 'id,displayName',
          }),
        ),
      );
      const teachers = new Map<string, StaffMember>();
      for (const t of teacherLists.flat()) {
        if (!teachers.has(t.id)) teachers.set(t.id, { id: t.id, name: t.displayName || t.id });
      }
      const group = classes
        .map((c) => c.displayName?.trim() || c.id)
        .sort((a, b) => a.localeCompare(b, 'nl'))
        .join(', ');
      return { group, teachers: [...teachers.values()] };
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  async staff(schoolId: string): Promise<StaffMember[]> {
    if (schoolId !== this.options.schoolId) return [];
    const { teachers } = await this.schoolUsers();
    return teachers.map((t) => ({ ...t }));
  }

  async nameOf(schoolId: string, staffId: string): Promise<string | undefined> {
    return (await this.staff(schoolId)).find((p) => p.id === staffId)?.name;
  }

  /**
   * Only the kind of failure and the status, not the GraphError's message: the message names a
   * route, and whatever a future change puts in it must not tie this error (which is logged) to
   * the pupil whose classes were asked for.
   */
  private unavailable(error: unknown): HwcError {
    let detail = 'unexpected error';
    if (error instanceof GraphError) {
      detail = error.kind === 'http' ? `HTTP ${error.status}` : `Microsoft Graph ${error.kind} error`;
    }
    return new HwcError(
      'directory.unavailable',
      `Microsoft Graph directory of school ${this.options.schoolId}: ${detail}`,
      { cause: error },
    );
  }

  private async schoolUsers(): Promise<SchoolUsers> {
    const cached = this.cached;
    if (cached && this.now() - cached.at < this.cacheMs) return cached;
    this.loading ??= this.loadSchoolUsers().finally(() => {
      this.loading = undefined;
    });
    try {
      this.cached = await this.loading;
      return this.cached;
    } catch (error) {
      const { log, schoolId } = this.options;
      if (cached) {
        log?.warn(
          {
            event: 'directory.graph-stale',
            schoolId,
            ageMinutes: Math.round((this.now() - cached.at) / 60_000),
          },
          'Microsoft Graph not readable; using the last list of the school’s users',
        );
        return cached;
      }
      throw this.unavailable(error);
    }
  }

  private async loadSchoolUsers(): Promise<SchoolUsers> {
    const { client, educationSchoolId, schoolId, log } = this.options;
    const users = await client.getAll<EducationUser>(
      `/education/schools/${encodeURIComponent(educationSchoolId)}/users`,
      { $select: USER_FIELDS },
    );
    const students: Student[] = [];
    const teachers: StaffMember[] = [];
    for (const user of users) {
      if (user.primaryRole === 'student') {
        const birthDate = birthDateOf(user);
        if (birthDate) students.push({ id: user.id, birthDate, names: namesOf(user) });
      } else if (user.primaryRole === 'teacher') {
        teachers.push({ id: user.id, name: user.displayName || user.id });
      }
    }
    teachers.sort((a, b) => a.name.localeCompare(b.name, 'nl'));
    log?.debug(
      { event: 'directory.graph-loaded', schoolId, students: students.length, teachers: teachers.length },
      'school users read from Microsoft Graph',
    );
    return { at: this.now(), students, teachers };
  }
}
