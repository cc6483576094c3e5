import type { School } from '../../src/domain/school';
import type { SignalInput } from '../../src/domain/signal';

// Every name here is invented.
export const coordinatorA = { id: '0b7f4c2e-1d3a-4e5f-8a9b-0c1d2e3f4a5b', name: 'Wilma Ravenstein' };
export const coordinatorB = { id: '1c8a5d3f-2e4b-4f60-9bac-1d2e3f4a5b6c', name: 'Gerrit Hoogeveen' };
export const deputy = { id: '2d9b6e40-3f5c-4071-8cbd-2e3f4a5b6c7d', name: 'Anouk Zwaneveld' };
export const intakeUser = { id: '3eac7f51-4061-4182-9dce-3f4a5b6c7d8e', name: 'Pieter Lindeboom' };
export const stranger = { id: '5a0e9173-6283-43a4-bfe0-5b6c7d8e9fa0', name: 'Hidde Zonneveld' };
/** Colleagues a coordinator may inform: group teachers, a gym teacher. */
export const groupTeacher = { id: '6b1f0a84-7394-44b5-8c0f-6c7d8e9fa0b1', name: 'Marloes Tjallema' };
export const duoTeacher = { id: '7c201b95-84a5-45c6-9d10-7d8e9fa0b1c2', name: 'Ids Wiersma' };
export const gymTeacher = { id: '8d312ca6-95b6-46d7-ae21-8e9fa0b1c2d3', name: 'Lieke Haverkamp' };
export const colleagues = [groupTeacher, duoTeacher, gymTeacher];
/** A coordinator, but of another school. */
export const outsider = { id: '4fbd8062-5172-4293-aedf-4a5b6c7d8e9f', name: 'Karin Molenbeek' };

export const testSchool: School = {
  id: 'test-school',
  name: 'Basisschool Het Testlab',
  timeZone: 'Europe/Amsterdam',
  procedure: 'talk-first',
  lessonStart: '08:30',
  dayEnd: '15:00',
  schoolDays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  holidays: [{ from: '2026-12-19', to: '2027-01-03' }],
  publicHolidays: false,
  coordinators: [coordinatorA, coordinatorB],
  deputies: [deputy],
  intakeUsers: [intakeUser],
  supportOptions: [
    { id: 'quiet-spot', label: { nl: 'Een rustige plek', en: 'A quiet spot' } },
    { id: 'test-moved', label: { nl: 'Toets verplaatst', en: 'Test moved' } },
  ],
  escalateMinutesBeforeLessons: 30,
  reminderAfterMinutes: 20,
  maxPupilAbsentDays: 2,
};

export const otherSchool: School = {
  ...testSchool,
  id: 'other-school',
  name: 'Basisschool De Andere',
  coordinators: [outsider],
  deputies: [],
  intakeUsers: [],
};

/** A pupil whose name and birth date the privacy assertions look for everywhere. */
export const pupil = { name: 'Fenna Quakkelaar', birthDate: '2016-04-12' };

export const signal: SignalInput = { schoolId: testSchool.id, pupil, source: 'police' };

/** Every way the pupil's data could show up in text. */
export function pupilTraces(p: { name: string; birthDate: string } = pupil): string[] {
  const [y, m, d] = p.birthDate.split('-') as [string, string, string];
  const parts = p.name.split(' ');
  return [
    p.name,
    ...parts.filter((part) => part.length > 3),
    p.birthDate,
    `${d}-${m}-${y}`,
    `${d}/${m}/${y}`,
    `${d}.${m}.${y}`,
    `${y}${m}${d}`,
  ];
}

export function assertNoPupilData(text: string, what: string, p = pupil): void {
  for (const trace of pupilTraces(p)) {
    if (text.includes(trace))
      throw new Error(`${what} contains the pupil's data (${trace === p.name ? 'name' : 'a trace'})`);
  }
}
