/**
 * The invented demo signals of the local run, one for each demo school of
 * config/demo-schools.yaml, shared by `npm run playground`, its walkthrough and the end-to-end
 * suite. No dependencies, so scripts/playground.ts stays on node built-ins.
 */

/** Basisschool De Demo, the talk-first demo school. */
export const DEMO_SCHOOL_ID = 'demo-school';
/** Basisschool De Tweede Demo, the teacher-first demo school. */
export const DEMO_TEACHER_FIRST_SCHOOL_ID = 'demo-school-gemeente';

/**
 * The demo pupil of the talk-first school (config/demo-pupils.csv): groep 5, so the talk form
 * suggests Femke Oosterhuis and Bram Kuijpers.
 */
export const DEMO_PUPIL = { name: 'Lotte van Beusekom', birthDate: '2016-04-12' };

/** What the demo coordinator agrees with the pupil, beyond the school's support options. */
export const DEMO_NOTE = 'Mag even naar de gang als het te veel wordt';

/**
 * The demo pupil of the teacher-first school (config/demo-gemeente-pupils.csv): groep 4, so
 * 'Groepsleerkracht informeren' suggests Sanne Brinkhorst.
 */
export const DEMO_TEACHER_FIRST_PUPIL = { name: 'Jesse Ouwerkerk', birthDate: '2018-05-09' };

/** What the demo coordinator suggests to the group teacher, beyond the school's support options. */
export const DEMO_SUGGESTION_NOTE = 'Zit graag vooraan, dicht bij de juf';

/**
 * The signal a sender's system would post for each demo school (POST /api/signals). In the
 * teacher-first procedure the municipality passes the signal on (seed 002).
 */
export const DEMO_SIGNALS = {
  'talk-first': { schoolId: DEMO_SCHOOL_ID, pupil: DEMO_PUPIL, source: 'police' },
  'teacher-first': {
    schoolId: DEMO_TEACHER_FIRST_SCHOOL_ID,
    pupil: DEMO_TEACHER_FIRST_PUPIL,
    source: 'municipality',
  },
} as const;
