import path from 'node:path';
import { emptyDirectory, type Directory, type DirectoryPupil } from '../app/ports';
import { configError } from '../domain/errors';
import type { School, StaffMember } from '../domain/school';
import type { Pupil } from '../domain/signal';
import type { GraphClient } from '../graph/graph-client';
import type { Logger } from '../logging/logger';
import { GraphEducationDirectory } from './graph-education-directory';
import { RosterCsvDirectory } from './roster-csv-directory';

export interface CreateDirectoriesOptions {
  log?: Logger;
  /** How long a graph-education school's user list is reused, in ms (default 10 minutes). */
  graphCacheMs?: number;
}

/**
 * One Directory for all schools, answering for each from the source its `directory` setting names;
 * a school without one gets no suggestions. Roster files are read now, relative to the schools
 * file's folder: a missing or invalid file throws HwcError 'config.invalid' naming file, line and
 * column. A graph-education school without a Graph client is a configuration error too.
 */
export function createDirectories(
  schools: readonly School[],
  schoolsFileDir: string,
  graph?: GraphClient,
  options: CreateDirectoriesOptions = {},
): Directory {
  const { log } = options;
  const bySchool = new Map<string, Directory>();
  for (const school of schools) {
    const settings = school.directory;
    if (!settings) continue;
    if (settings.type === 'roster-csv') {
      bySchool.set(
        school.id,
        RosterCsvDirectory.load({
          schoolId: school.id,
          pupilsFile: path.resolve(schoolsFileDir, settings.pupils),
          staffFile: path.resolve(schoolsFileDir, settings.staff),
          ...(log ? { log } : {}),
        }),
      );
    } else {
      if (!graph) {
        throw configError([
          `GRAPH_CLIENT_ID: school ${school.id} reads its directory from Microsoft Graph (graph-education), which needs a Graph credential: set MicrosoftAppId, or GRAPH_CLIENT_ID with GRAPH_CLIENT_SECRET`,
        ]);
      }
      bySchool.set(
        school.id,
        new GraphEducationDirectory({
          schoolId: school.id,
          educationSchoolId: settings.schoolId,
          client: graph,
          ...(options.graphCacheMs !== undefined ? { cacheMs: options.graphCacheMs } : {}),
          ...(log ? { log } : {}),
        }),
      );
    }
  }
  const directoryOf = (schoolId: string): Directory => bySchool.get(schoolId) ?? emptyDirectory;
  return {
    findPupil: (schoolId, pupil) => directoryOf(schoolId).findPupil(schoolId, pupil),
    staff: (schoolId) => directoryOf(schoolId).staff(schoolId),
    nameOf: async (schoolId, staffId) => {
      const known = await directoryOf(schoolId)
        .nameOf(schoolId, staffId)
        .catch(() => undefined);
      if (known || !graph) return known;
      // Someone outside the school's lists: Graph knows every user (User.ReadBasic.All).
      try {
        const user = await graph.get<{ displayName?: string }>(`/users/${encodeURIComponent(staffId)}`, {
          $select: 'displayName',
        });
        return user.displayName || undefined;
      } catch (error) {
        log?.warn(
          { code: 'directory.unavailable', status: (error as { status?: number }).status },
          'could not look up a colleague’s name',
        );
        return undefined;
      }
    },
  };
}

/**
 * A Directory that answers from the one it was last given: the schools file was reloaded and its
 * directories were built anew (src/config/schools-reloader.ts). A lookup under way finishes on
 * the directory it started on.
 */
export class SwappableDirectory implements Directory {
  constructor(private current: Directory) {}

  replace(next: Directory): void {
    this.current = next;
  }

  findPupil(schoolId: string, pupil: Pupil): Promise<DirectoryPupil | undefined> {
    return this.current.findPupil(schoolId, pupil);
  }

  staff(schoolId: string): Promise<StaffMember[]> {
    return this.current.staff(schoolId);
  }

  nameOf(schoolId: string, staffId: string): Promise<string | undefined> {
    return this.current.nameOf(schoolId, staffId);
  }
}
