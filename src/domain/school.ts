import { z } from 'zod';

const clockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time as HH:mm, for example 08:30');

const isoDate = z.iso.date({ message: 'expected a date as YYYY-MM-DD' });

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

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** A member of staff as the school knows them: the Entra object id is what Teams and Graph use. */
export const staffMemberSchema = z.strictObject({
  id: z.string().min(1, 'expected the Entra object id'),
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

export const schoolSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes'),
    name: z.string().min(1),
    timeZone: timeZone.default('Europe/Amsterdam'),
    lessonStart: clockTime,
    dayEnd: clockTime,
    schoolDays: z.array(z.enum(weekdays)).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    holidays: z.array(holidaySchema).default([]),
    coordinators: z.array(staffMemberSchema).min(1, 'a school needs at least one coordinator'),
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
  });
export type School = z.infer<typeof schoolSchema>;

export const schoolsFileSchema = z
  .strictObject({ schools: z.array(schoolSchema).min(1, 'the schools file lists no school') })
  .refine((f) => new Set(f.schools.map((s) => s.id)).size === f.schools.length, {
    message: 'school ids must be unique',
    path: ['schools'],
  });
export type SchoolsFile = z.infer<typeof schoolsFileSchema>;

export type StaffRole = 'coordinator' | 'deputy' | 'intake';

/** A coordinator or deputy of the school, as the schools file names them. */
export function coordinatingStaff(school: School, staffId: string): StaffMember | undefined {
  return [...school.coordinators, ...school.deputies].find((p) => p.id === staffId);
}

/** The roles a person holds at a school, strongest first. */
export function rolesAt(school: School, staffId: string): StaffRole[] {
  const roles: StaffRole[] = [];
  if (school.coordinators.some((p) => p.id === staffId)) roles.push('coordinator');
  if (school.deputies.some((p) => p.id === staffId)) roles.push('deputy');
  if (school.intakeUsers.some((p) => p.id === staffId)) roles.push('intake');
  return roles;
}
