/**
 * The invented demo pupil of config/demo-pupils.csv (groep 5, so the talk form suggests Femke
 * Oosterhuis and Bram Kuijpers), shared by the local run, its walkthrough and the end-to-end
 * suite. No dependencies, so scripts/playground.ts stays on node built-ins.
 */
export const DEMO_PUPIL = { name: 'Lotte van Beusekom', birthDate: '2016-04-12' };

/** What the demo coordinator agrees with the pupil, beyond the school's support options. */
export const DEMO_NOTE = 'Mag even naar de gang als het te veel wordt';
