import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Directory, DirectoryPupil } from '../app/ports';
import { HwcError } from '../domain/errors';
import { findUniqueMatch, type MatchCandidate, type PersonName } from '../domain/name-match';
import {
  coordinatorsMissingFromStaff,
  type School,
  type StaffMember,
  type StaffMissing,
} from '../domain/school';
import type { Pupil } from '../domain/signal';
import type { Logger } from '../logging/logger';
import { csvError, readCsvTable, type ColumnSpec, type CsvRow, type CsvTable } from './csv-table';

/**
 * A school's directory from two CSV exports of its administration system: pupils (name, date of
 * birth, group) and staff (name, Entra object id, the groups they teach). The columns are
 * documented in docs/directory.md.
 *
 * The files are read and checked at start-up, so a wrong file stops the bot with a message that
 * names file, line and column. After that every lookup first compares the files' modification
 * time and size (a stat, no read): the IT admin can drop in a fresh export without a restart. A
 * fresh file that is not valid is logged (file, line, column; never a cell) and the last good one
 * stays in use.
 *
 * Only name, date of birth and group are kept in memory; any other column of the export is skipped.
 */

const pupilColumns = {
  naam: { aliases: ['naam', 'volledige naam', 'name'] },
  roepnaam: { aliases: ['roepnaam'] },
  voornamen: { aliases: ['voornamen', 'voornaam'] },
  tussenvoegsel: { aliases: ['tussenvoegsel', 'tussenvoegsels', 'voorvoegsel', 'voorvoegsels'] },
  achternaam: { aliases: ['achternaam', 'geslachtsnaam'] },
  geboortedatum: { aliases: ['geboortedatum', 'geb. datum'] },
  groep: { aliases: ['groep', 'klas', 'stamgroep'] },
} satisfies Record<string, ColumnSpec>;

const staffColumns = {
  naam: { aliases: ['naam', 'name', 'displayname'] },
  entra_object_id: { aliases: ['entra_object_id', 'entra id', 'object id', 'aad object id'] },
  groepen: { aliases: ['groepen', 'groep', 'klassen'] },
  email: { aliases: ['email', 'e-mail', 'emailadres', 'e-mailadres'] },
} satisfies Record<string, ColumnSpec>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** Between the groups in one `groepen` cell: no CSV delimiter, so the cell never needs quotes. */
export const GROUP_SEPARATOR = '|';

interface RosterPupil extends MatchCandidate {
  group: string;
  groupKey: string;
}

interface Roster {
  pupils: RosterPupil[];
  staff: StaffMember[];
  teachersByGroup: Map<string, StaffMember[]>;
}

/** Groups compare without case or extra spaces: 'Groep 5' in one file is 'groep  5' in the other. */
export function groupKey(group: string): string {
  return group.trim().replace(/\s+/g, ' ').toLowerCase();
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * A date of birth as an export writes it: YYYY-MM-DD, or DD-MM-YYYY with one- or two-digit day
 * and month; `-`, `/` or `.` between the parts; a time of 00:00 behind it (Excel) is ignored.
 */
export function parseExportDate(text: string): string | undefined {
  const value = text.replace(/[ T]\d{1,2}:\d{2}(:\d{2})?$/, '').trim();
  let parts: [number, number, number] | undefined;
  let match = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value);
  if (match) parts = [Number(match[1]), Number(match[2]), Number(match[3])];
  match = /^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$/.exec(value);
  if (match) parts = [Number(match[3]), Number(match[2]), Number(match[1])];
  if (!parts || !isRealDate(...parts)) return undefined;
  const [y, m, d] = parts;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function required(table: CsvTable, row: CsvRow, column: string, what: string): string {
  const value = row.get(column);
  if (value === '') throw csvError(`The ${table.where(row.line, column)}: is empty; expected ${what}.`);
  return value;
}

function readPupils(file: string): RosterPupil[] {
  const table = readCsvTable(file, 'pupils file', pupilColumns);
  const has = (c: keyof typeof pupilColumns) => table.columns.has(c);
  const missing: string[] = [];
  if (!has('naam') && !has('achternaam'))
    missing.push("'naam' (or 'achternaam' with 'roepnaam'/'voornamen')");
  if (has('achternaam') && !has('roepnaam') && !has('voornamen')) missing.push("'roepnaam' or 'voornamen'");
  if (!has('geboortedatum')) missing.push("'geboortedatum'");
  if (!has('groep')) missing.push("'groep'");
  if (missing.length > 0) {
    throw csvError(`The pupils file ${file} has no column ${missing.join(', ')} in its header line.`);
  }
  if (table.rows.length === 0) throw csvError(`The pupils file ${file} lists no pupils.`);

  return table.rows.map((row) => {
    const names: PersonName[] = [];
    const full = row.get('naam');
    if (full !== '') names.push(full);
    const achternaam = row.get('achternaam');
    const roepnaam = row.get('roepnaam');
    const voornamen = row.get('voornamen');
    if (achternaam !== '' && (roepnaam !== '' || voornamen !== '')) {
      names.push({ roepnaam, voornamen, tussenvoegsel: row.get('tussenvoegsel'), achternaam });
    }
    if (names.length === 0) {
      const column = has('naam') ? 'naam' : achternaam === '' ? 'achternaam' : 'roepnaam';
      throw csvError(`The ${table.where(row.line, column)}: is empty; expected the pupil's name.`);
    }
    const birthDate = parseExportDate(required(table, row, 'geboortedatum', 'a date of birth'));
    if (!birthDate) {
      throw csvError(
        `The ${table.where(row.line, 'geboortedatum')}: expected a date as YYYY-MM-DD or DD-MM-YYYY.`,
      );
    }
    const group = required(table, row, 'groep', 'the group').replace(/\s+/g, ' ');
    return { names, birthDate, group, groupKey: groupKey(group) };
  });
}

function readStaff(file: string): Array<StaffMember & { groups: string[] }> {
  const table = readCsvTable(file, 'staff file', staffColumns);
  const missing = (['naam', 'entra_object_id', 'groepen'] as const).filter((c) => !table.columns.has(c));
  if (missing.length > 0) {
    throw csvError(
      `The staff file ${file} has no column ${missing.map((c) => `'${c}'`).join(', ')} in its header line.`,
    );
  }
  if (table.rows.length === 0) throw csvError(`The staff file ${file} lists nobody.`);

  const lineOf = new Map<string, number>();
  return table.rows.map((row) => {
    const name = required(table, row, 'naam', 'a display name');
    const id = required(table, row, 'entra_object_id', 'the Entra object id').toLowerCase();
    if (!GUID.test(id)) {
      throw csvError(
        `The ${table.where(row.line, 'entra_object_id')}: expected a GUID (the Entra object id).`,
      );
    }
    const earlier = lineOf.get(id);
    if (earlier !== undefined) {
      throw csvError(
        `The ${table.where(row.line, 'entra_object_id')}: the same Entra object id as line ${earlier}.`,
      );
    }
    lineOf.set(id, row.line);
    const email = row.get('email');
    if (email !== '' && !EMAIL.test(email)) {
      throw csvError(`The ${table.where(row.line, 'email')}: expected an e-mail address.`);
    }
    const cell = row.get('groepen');
    if (/[,;]/.test(cell)) {
      throw csvError(
        `The ${table.where(row.line, 'groepen')}: separate groups with '${GROUP_SEPARATOR}', not a comma or semicolon.`,
      );
    }
    const groups = cell
      .split(GROUP_SEPARATOR)
      .map((g) => g.trim())
      .filter((g) => g !== '');
    return { id, name, groups };
  });
}

/** Reads and checks both files; throws HwcError 'config.invalid' naming file, line and column. */
function readRoster(pupilsFile: string, staffFile: string): Roster {
  const pupils = readPupils(pupilsFile);
  const staffRows = readStaff(staffFile);
  const teachersByGroup = new Map<string, StaffMember[]>();
  for (const { id, name, groups } of staffRows) {
    for (const key of new Set(groups.map(groupKey))) {
      const list = teachersByGroup.get(key) ?? [];
      list.push({ id, name });
      teachersByGroup.set(key, list);
    }
  }
  const staff = staffRows
    .map(({ id, name }) => ({ id, name }))
    .sort((a, b) => a.name.localeCompare(b.name, 'nl'));
  return { pupils, staff, teachersByGroup };
}

export interface RosterCsvDirectoryOptions {
  /** The school (its id in the schools file) these files are of. */
  schoolId: string;
  /** Absolute paths (relative ones are read from the working directory). */
  pupilsFile: string;
  staffFile: string;
  log?: Logger;
}

async function signatureOf(files: readonly string[]): Promise<string> {
  const stats = await Promise.all(files.map((f) => stat(f)));
  return stats.map((s) => `${s.mtimeMs}:${s.size}`).join('|');
}

export class RosterCsvDirectory implements Directory {
  private roster: Roster;
  private loadedSignature: string;
  /** The files' signature when they last failed to load or stat, so a bad file is tried and logged once. */
  private failedSignature: string | undefined;
  private refreshing: Promise<void> | undefined;

  private constructor(
    private readonly options: RosterCsvDirectoryOptions,
    roster: Roster,
    signature: string,
  ) {
    this.roster = roster;
    this.loadedSignature = signature;
  }

  /** Reads both files now; a missing or invalid file throws HwcError 'config.invalid'. */
  static load(options: RosterCsvDirectoryOptions): RosterCsvDirectory {
    let signature = '';
    try {
      signature = [options.pupilsFile, options.staffFile]
        .map((f) => statSync(f))
        .map((s) => `${s.mtimeMs}:${s.size}`)
        .join('|');
    } catch {
      // readRoster below says which file cannot be read.
    }
    const roster = readRoster(options.pupilsFile, options.staffFile);
    options.log?.info(
      {
        event: 'directory.loaded',
        schoolId: options.schoolId,
        pupils: roster.pupils.length,
        staff: roster.staff.length,
      },
      'roster loaded',
    );
    return new RosterCsvDirectory(options, roster, signature);
  }

  async findPupil(schoolId: string, pupil: Pupil): Promise<DirectoryPupil | undefined> {
    if (schoolId !== this.options.schoolId) return undefined;
    await this.refresh();
    const { pupils, teachersByGroup } = this.roster;
    const match = findUniqueMatch(pupils, pupil);
    if (!match) return undefined;
    const teachers = teachersByGroup.get(match.groupKey) ?? [];
    return { group: match.group, teachers: teachers.map((t) => ({ ...t })) };
  }

  async staff(schoolId: string): Promise<StaffMember[]> {
    if (schoolId !== this.options.schoolId) return [];
    await this.refresh();
    return this.roster.staff.map((s) => ({ ...s }));
  }

  async nameOf(schoolId: string, staffId: string): Promise<string | undefined> {
    return (await this.staff(schoolId)).find((p) => p.id === staffId)?.name;
  }

  /** Rereads the files when their modification time or size changed since the last look. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.reloadIfChanged().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async reloadIfChanged(): Promise<void> {
    const { schoolId, pupilsFile, staffFile, log } = this.options;
    let signature: string;
    try {
      signature = await signatureOf([pupilsFile, staffFile]);
    } catch (error) {
      // Mid-copy, or removed: keep what we have until a file is back.
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      if (this.failedSignature !== `stat:${code}`) {
        this.failedSignature = `stat:${code}`;
        log?.warn(
          { event: 'directory.reload-failed', schoolId, code },
          'roster file cannot be read; keeping the last good one',
        );
      }
      return;
    }
    if (signature === this.loadedSignature || signature === this.failedSignature) return;
    try {
      this.roster = readRoster(pupilsFile, staffFile);
      this.loadedSignature = signature;
      this.failedSignature = undefined;
      log?.info(
        {
          event: 'directory.reloaded',
          schoolId,
          pupils: this.roster.pupils.length,
          staff: this.roster.staff.length,
        },
        'roster reloaded',
      );
    } catch (error) {
      this.failedSignature = signature;
      // An HwcError from readRoster names file, line and column only; anything else is summarized.
      const problem = error instanceof HwcError ? error.message : 'unexpected error';
      log?.warn(
        { event: 'directory.reload-failed', schoolId, problem },
        'new roster file not valid; keeping the last good one',
      );
    }
  }
}

/**
 * Logs a warning for each coordinator and deputy of a roster-csv school whom its staff file does
 * not list, most likely a mistyped id, and returns them. Run once the directories are loaded, at
 * start-up. A graph-education school is not checked: its staff list
 * holds teachers only, so a director or intern begeleider would be reported for nothing.
 * The log line names school, role and id; never a name.
 */
export async function warnCoordinatorsMissingFromStaff(
  schools: readonly School[],
  directory: Pick<Directory, 'staff'>,
  log: Pick<Logger, 'warn'>,
): Promise<Array<StaffMissing & { schoolId: string }>> {
  const found: Array<StaffMissing & { schoolId: string }> = [];
  for (const school of schools) {
    if (school.directory?.type !== 'roster-csv') continue;
    const staffIds = new Set((await directory.staff(school.id)).map((s) => s.id.toLowerCase()));
    for (const missing of coordinatorsMissingFromStaff(school, staffIds)) {
      found.push({ schoolId: school.id, ...missing });
      log.warn(
        { event: 'directory.staff-missing', schoolId: school.id, role: missing.role, staffId: missing.id },
        `a ${missing.role} in the schools file is not in the school’s staff file; check the Entra object id`,
      );
    }
  }
  return found;
}
