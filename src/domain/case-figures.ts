import { DateTime } from 'luxon';
import type { HwcCase } from './case';
import { HwcError } from './errors';

/**
 * What one case leaves behind when it ends: anonymous counts, and nothing else (DESIGN.md §4.5).
 * No case id, no names, no dates finer than the month, no staff ids: only the school and the month
 * the signal came in, and numbers.
 */
export interface CaseFigures {
  schoolId: string;
  /** The month the signal was received, YYYY-MM, in the school's time zone. */
  month: string;
  /** Always 1: one case is one signal. */
  signals: 1;
  /** 1 when the first claim came before lessons on the support day. */
  claimedBeforeLessons: 0 | 1;
  /** Colleagues whose card Teams took (delivery 'sent'). */
  colleaguesInformed: number;
  /** Per acknowledged colleague: whole minutes from their card being sent to 'Gelezen', at least 0. */
  minutesToAcknowledge: number[];
}

/** The anonymous figures of a case, for the monthly statistics. Call it when the case ends. */
export function caseFigures(c: HwcCase, timeZone: string): CaseFigures {
  const received = DateTime.fromJSDate(c.receivedAt, { zone: timeZone });
  if (!received.isValid) {
    throw new HwcError('config.invalid', `cannot read the receipt time of a case in time zone '${timeZone}'`);
  }
  const sent = c.colleagues.filter((p) => p.delivery === 'sent');
  const minutesToAcknowledge: number[] = [];
  for (const p of sent) {
    if (!p.sentAt || !p.acknowledgedAt) continue;
    // Teams may refresh a card (and the colleague acknowledge it) before its delivery is recorded.
    const minutes = Math.round((p.acknowledgedAt.getTime() - p.sentAt.getTime()) / 60_000);
    minutesToAcknowledge.push(Math.max(0, minutes));
  }
  return {
    schoolId: c.schoolId,
    month: received.toFormat('yyyy-MM'),
    signals: 1,
    claimedBeforeLessons: c.claimedBeforeLessons === true ? 1 : 0,
    colleaguesInformed: sent.length,
    minutesToAcknowledge,
  };
}
