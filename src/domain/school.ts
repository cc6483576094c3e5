import { z } from 'zod';
import { signalSources } from './signal';

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time as HH:mm, for example 08:30');

const isoDate = z.iso.date({ message: 'expected a date as YYYY-MM-DD' });

/** Lowercase letters, digits and dashes: ids of schools and of shared calendars. */
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes');

const ENTRA_OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An Entra object id, the only id Teams and Graph know a person by: an e-mail address or a name
 * would match nobody, silently. Kept in lowercase, as Teams sends it, so ids compare as strings.
 * The message never repeats the value.
 */
const entraObjectId = z
  .string()
  .regex(
    ENTRA_OBJECT_ID,
    'expected the Entra object id (a GUID such as 0b7f4c2e-1d3a-4e5f-8a9b-0c1d2e3f4a5b), not an e-mail address or name',
  )
  .transform((id) => id.toLowerCase());

const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone, for example Europe/Amsterdam' },
);

/**
 * How a school acts on a signal (README, "Two procedures"). 'talk-first': the coordinator talks
 * with the pupil, agrees what they need and who may know, then informs those colleagues (the police
 * procedure). 'teacher-first': whoever received the signal informs the pupil's group teacher as
 * soon as possible, and the teacher is there for the pupil that day (the municipality procedure).
 */
export const procedures = ['talk-first', 'teacher-first'] as const;
export type Procedure = (typeof procedures)[number];

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** A member of staff as the school knows them: the Entra object id is what Teams and Graph use. */
export const staffMemberSchema = z.strictObject({
  id: entraObjectId,
  name: z.string().min(1, 'expected a display name'),
});
export type StaffMember = z.infer<typeof staffMemberSchema>;

const localizedText = z.strictObject({ nl: z.string().min(1), en: z.string().min(1) });

/** A support option's id travels in card actions: short, plain characters only. */
export const SUPPORT_OPTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
export type LocalizedText = z.infer<typeof localizedText>;

export const holidaySchema = z
  .strictObject({ from: isoDate, to: isoDate, name: z.string().optional() })
  .refine((h) => h.from <= h.to, { message: "a holiday's 'from' must not be after its 'to'" });

/**
 * Holidays shared by several schools (a region's school holidays, say), written once at the top
 * of the schools file and named by each school's `calendar`.
 */
export const sharedCalendarSchema = z.strictObject({
  /** Also closed on the Dutch public holidays that src/domain/dutch-public-holidays.ts computes. */
  publicHolidays: z.boolean().default(false),
  holidays: z.array(holidaySchema).default([]),
});
export type SharedCalendar = z.infer<typeof sharedCalendarSchema>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isClockTime(value: unknown): boolean {
  return clockTime.safeParse(value).success;
}

/**
 * Where the school's pupils, groups and staff come from. Paths are relative to the schools file.
 * The columns of the roster files are documented in docs/directory.md.
 */
export const directorySchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('roster-csv'),
    /** Pupils as exported from the administration system: name, date of birth, group. */
    pupils: z.string().min(1),
    /** Staff with their Entra object id and the groups they teach. */
    staff: z.string().min(1),
  }),
  z.strictObject({
    type: z.literal('graph-education'),
    /** The school's id in Microsoft Graph (GET /education/schools). */
    schoolId: z.string().min(1),
  }),
]);
export type DirectorySettings = z.infer<typeof directorySchema>;

/** A BRIN code as DUO gives it: four characters, two digits and two letters or digits ('12AB'). */
const brinSchema = z
  .string()
  .regex(/^[0-9]{2}[A-Za-z0-9]{2}$/, 'expected a BRIN code: two digits and two letters, such as 12AB')
  .transform((brin) => brin.toUpperCase());

/** A vestiging's number within its BRIN: two digits ('00' for the main location). */
const vestigingSchema = z.string().regex(/^[0-9]{2}$/, "expected the vestiging's two digits, such as 00");

const mailAddress = z
  .email({ message: 'expected an e-mail address' })
  .transform((address) => address.toLowerCase());

/** A domain such as politie.example, without '@'. */
const mailDomain = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i,
    'expected a domain, such as veiligthuis-regio.example',
  )
  .transform((domain) => domain.toLowerCase());

/**
 * Who may send signals to the school's mailbox: an address or a whole domain, each with the source
 * the signal is recorded as. Mail from anyone else is not taken (issue 15).
 */
export const allowedSenderSchema = z.union([
  z.strictObject({ address: mailAddress, source: z.enum(signalSources) }),
  z.strictObject({ domain: mailDomain, source: z.enum(signalSources) }),
]);
export type AllowedSender = z.infer<typeof allowedSenderSchema>;

/** The school's Handle with Care mailbox, read through Microsoft Graph (docs/mail-intake.md). */
export const schoolMailSchema = z.strictObject({
  /** The shared mailbox the bot reads (its address): the school's own, or one for the whole board. */
  mailbox: mailAddress,
  /**
   * The address signals for this school are sent to, when one mailbox serves several schools
   * through aliases; default the mailbox's own address.
   */
  recipient: mailAddress.optional(),
  allowedSenders: z.array(allowedSenderSchema).min(1, 'list at least one allowed sender'),
  /** Tell a mail's sender it was received (and when it was not our pupil); needs Mail.Send. Default off. */
  receipts: z.boolean().default(false),
});
export type SchoolMail = z.infer<typeof schoolMailSchema>;

export const schoolSchema = z
  .strictObject({
    id: slug,
    name: z.string().min(1),
    /** The school's BRIN code, by which senders know it: the intake API takes it as `schoolId`. */
    brin: brinSchema.optional(),
    /** With `brin`, the vestiging's number, for a BRIN with several locations. */
    vestiging: vestigingSchema.optional(),
    /** The school's Handle with Care mailbox, when signals arrive by e-mail. */
    mail: schoolMailSchema.optional(),
    timeZone: timeZone.default('Europe/Amsterdam'),
    /** 'talk-first' (the default) or 'teacher-first'; see `procedures`. */
    procedure: z
      .enum(procedures, { message: "expected 'talk-first' or 'teacher-first'" })
      .default('talk-first'),
    lessonStart: clockTime,
    dayEnd: clockTime,
    schoolDays: z.array(z.enum(weekdays)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    /** A shared calendar under `calendars`: its holidays come before the school's own. */
    calendar: slug.optional(),
    /** The school's own closed days (study days, say), on top of its calendar's. */
    holidays: z.array(holidaySchema).default([]),
    /** Closed on the computed Dutch public holidays; overrides the calendar's setting. */
    publicHolidays: z.boolean().optional(),
    /** At least one, unless coordinatorGroup names them. */
    coordinators: z.array(staffMemberSchema).default([]),
    /** An Entra group (its object id) whose members are coordinators too, read through Microsoft Graph. */
    coordinatorGroup: z
      .string()
      .regex(ENTRA_OBJECT_ID, 'expected the group’s object id (a GUID)')
      .transform((id) => id.toLowerCase())
      .optional(),
    deputies: z.array(staffMemberSchema).default([]),
    /** Others who may type in a signal in Teams (a director who receives one by phone, say). */
    intakeUsers: z.array(staffMemberSchema).default([]),
    /**
     * Entra client (application) ids of sender systems allowed to post signals for this school.
     * Omitted: every sender holding the app role may. API keys are scoped in INTAKE_API_KEYS.
     */
    senders: z.array(z.string().min(1)).optional(),
    supportOptions: z
      .array(
        z.strictObject({
          id: z.string().regex(SUPPORT_OPTION_ID, 'expected letters, digits, - or _ (at most 64)'),
          label: localizedText,
        }),
      )
      .default([]),
    directory: directorySchema.optional(),
    /**
     * Unclaimed this many minutes before lessons start: the deputies get the signal too and the
     * coordinators a reminder. 0 means at lessonStart itself.
     */
    escalateMinutesBeforeLessons: z.number().int().min(0).max(720).default(30),
    /** Colleagues who have not acknowledged get one automatic reminder this many minutes after their card. */
    reminderAfterMinutes: z.number().int().min(1).max(480).default(20),
    /** 'Pupil not at school today' moves the case to the next school day at most this many times; then it closes. */
    maxPupilAbsentDays: z.number().int().min(0).max(10).default(2),
  })
  .refine((s) => s.lessonStart < s.dayEnd, {
    message: 'lessonStart must be before dayEnd',
    path: ['dayEnd'],
    // A time that is not HH:mm is reported on its own; comparing it would add a second, wrong issue.
    when: ({ value }) => isRecord(value) && isClockTime(value.lessonStart) && isClockTime(value.dayEnd),
  })
  .refine((s) => s.coordinators.length > 0 || s.coordinatorGroup !== undefined, {
    message: 'a school needs at least one coordinator, or a coordinatorGroup',
    path: ['coordinators'],
  })
  .refine((s) => s.vestiging === undefined || s.brin !== undefined, {
    message: 'a vestiging needs the brin it belongs to',
    path: ['vestiging'],
  });
/** A school as the schools file writes it; `School` is what it becomes once its calendar is resolved. */
export type SchoolEntry = z.infer<typeof schoolSchema>;

/**
 * A school with its calendar resolved: `holidays` are the shared calendar's plus its own, and
 * `publicHolidays` says whether the computed public holidays are closed days too. The calendar's
 * name is gone, so the rest of the code needs to know nothing of shared calendars.
 */
export type School = Omit<SchoolEntry, 'calendar' | 'publicHolidays'> & { publicHolidays: boolean };

/** The school with its shared calendar merged in; `calendars` has been checked to hold its calendar. */
export function resolveSchool(
  entry: SchoolEntry,
  calendars: Readonly<Record<string, SharedCalendar>>,
): School {
  const { calendar: calendarName, publicHolidays, holidays, ...rest } = entry;
  const shared = calendarName === undefined ? undefined : calendars[calendarName];
  return {
    ...rest,
    holidays: [...(shared?.holidays ?? []), ...holidays],
    // Off unless asked for, so a file written before shared calendars keeps its meaning.
    publicHolidays: publicHolidays ?? shared?.publicHolidays ?? false,
  };
}

export const schoolsFileSchema = z
  .strictObject({
    calendars: z.record(slug, sharedCalendarSchema).default({}),
    schools: z.array(schoolSchema).min(1, 'the schools file lists no school'),
  })
  .refine((f) => new Set(f.schools.map((s) => s.id)).size === f.schools.length, {
    message: 'school ids must be unique',
    path: ['schools'],
  })
  .superRefine((file, ctx) => {
    // A sender's BRIN, and a mail's recipient address, must each lead to one school.
    const seen = new Map<string, string>();
    file.schools.forEach((school, index) => {
      const keys = [
        ...(school.brin ? [`BRIN ${school.brin}${school.vestiging ?? ''}`] : []),
        ...(school.mail ? [`recipient ${school.mail.recipient ?? school.mail.mailbox}`] : []),
      ];
      for (const key of keys) {
        const other = seen.get(key);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['schools', index, key.startsWith('BRIN') ? 'brin' : 'mail'],
            message: `school ${school.id} has the same ${key.split(' ')[0]} as school ${other}`,
          });
        } else seen.set(key, school.id);
      }
    });
  })
  .superRefine(
    (file, ctx) => {
      // Runs also when other parts of the file are wrong (see `when`), so nothing here is trusted
      // to have its type yet.
      const { calendars, schools } = file as { calendars: unknown; schools: unknown };
      if (!Array.isArray(schools) || !isRecord(calendars)) return;
      const defined = Object.keys(calendars);
      schools.forEach((school: unknown, index) => {
        if (!isRecord(school)) return;
        const { id, calendar } = school;
        // A name that is not a valid id is reported as such already.
        if (typeof calendar !== 'string' || !slug.safeParse(calendar).success) return;
        if (Object.hasOwn(calendars, calendar)) return;
        const which = typeof id === 'string' && slug.safeParse(id).success ? `school ${id}` : 'the school';
        ctx.addIssue({
          code: 'custom',
          path: ['schools', index, 'calendar'],
          message:
            `${which} names calendar '${calendar}', which is not under calendars ` +
            (defined.length > 0 ? `(there: ${defined.join(', ')})` : '(none is defined)'),
        });
      });
    },
    // With twenty schools, a wrong calendar name is reported together with every other problem.
    { when: ({ value }) => isRecord(value) },
  )
  .transform((f) => ({
    calendars: f.calendars,
    schools: f.schools.map((s) => resolveSchool(s, f.calendars)),
  }));
export type SchoolsFile = z.infer<typeof schoolsFileSchema>;

export type StaffRole = 'coordinator' | 'deputy' | 'intake';

/** A coordinator or deputy of the school, as the schools file names them. */
export function coordinatingStaff(school: School, staffId: string): StaffMember | undefined {
  return [...school.coordinators, ...school.deputies].find((p) => p.id === staffId);
}

/** A coordinator or deputy named in the schools file whom the school's staff list does not know. */
export interface StaffMissing {
  role: 'coordinator' | 'deputy';
  id: string;
}

/**
 * The coordinators and deputies missing from the school's staff list (lowercase Entra object ids):
 * most likely a mistyped id, which reaches nobody. Only a warning: a director may well be in the
 * schools file and not in the teachers' export.
 */
export function coordinatorsMissingFromStaff(school: School, staffIds: ReadonlySet<string>): StaffMissing[] {
  const missing = (role: StaffMissing['role'], people: readonly StaffMember[]): StaffMissing[] =>
    people.filter((p) => !staffIds.has(p.id.toLowerCase())).map((p) => ({ role, id: p.id }));
  return [...missing('coordinator', school.coordinators), ...missing('deputy', school.deputies)];
}

/** The roles a person holds at a school, strongest first. */
export function rolesAt(school: School, staffId: string): StaffRole[] {
  const roles: StaffRole[] = [];
  if (school.coordinators.some((p) => p.id === staffId)) roles.push('coordinator');
  if (school.deputies.some((p) => p.id === staffId)) roles.push('deputy');
  if (school.intakeUsers.some((p) => p.id === staffId)) roles.push('intake');
  return roles;
}

/**
 * The school a sender means by `schoolId`: its own id, or its BRIN code (with the vestiging, or
 * alone when only one school has that BRIN). Undefined when none, or when a BRIN alone is ambiguous.
 */
export function schoolByIdOrBrin(schools: readonly School[], schoolId: string): School | undefined {
  const byId = schools.find((s) => s.id === schoolId);
  if (byId) return byId;
  const code = schoolId.trim().toUpperCase();
  if (!/^[0-9]{2}[A-Z0-9]{2}([0-9]{2})?$/.test(code)) return undefined;
  const matches = schools.filter(
    (s) => s.brin !== undefined && (`${s.brin}${s.vestiging ?? ''}` === code || s.brin === code),
  );
  const exact = matches.filter((s) => `${s.brin}${s.vestiging ?? ''}` === code);
  if (exact.length === 1) return exact[0];
  return matches.length === 1 ? matches[0] : undefined;
}
