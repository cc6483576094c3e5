import type { AdaptiveCardJson, CaseViewAction, CaseViewCardData, Choice } from '../cards/card-data';
import { renderCard } from '../cards/render-card';
import {
  MAX_SUPPORT_NOTE_LENGTH,
  isOwner,
  parentsChoices,
  progressOf,
  type HwcCase,
  type InformedColleague,
  type PostedShell,
} from '../domain/case';
import type { Leftovers } from '../domain/case-leftovers';
import type { School, StaffMember } from '../domain/school';
import {
  formatBirthDate,
  formatDateTime,
  formatDay,
  formatTime,
  languageOf,
  stringsFor,
  type Strings,
} from '../i18n/strings';
import type { RecipientContext } from './ports';

/**
 * The card posted into a chat. It is a shell: it names no pupil and holds only the case id,
 * because Teams keeps every posted message. The content comes from the view cards below,
 * returned to a refresh or a 'Bekijk' click and cached only on the user's device.
 */
export function shellCard(
  caseId: string,
  recipient: RecipientContext,
  status = '',
  audience: 'coordinator' | 'colleague' = 'coordinator',
): AdaptiveCardJson {
  const t = stringsFor(recipient.locale);
  const card = renderCard('shell', {
    caseId,
    userId: recipient.teamsUserId ?? '',
    title: t.shell.title,
    body: audience === 'colleague' ? t.shell.colleagueBody : t.shell.body,
    status,
    viewLabel: t.shell.view,
    viewVerb: audience === 'colleague' ? 'colleague.view' : 'case.view',
  });
  // Without a known user id, leave userIds out: an empty list would switch automatic refresh off,
  // while a personal chat (two members) is refreshed for all without one.
  if (!recipient.teamsUserId) {
    const refresh = card.refresh as { userIds?: string[] } | undefined;
    if (refresh) delete refresh.userIds;
  }
  return card;
}

/**
 * The shell of a coordinator or deputy, with neutral progress: who took it on, or for the owner
 * '2 van 3 gelezen'. Never a pupil's name, never what was agreed.
 */
export function coordinatorShellCard(school: School, c: HwcCase, shell: PostedShell): AdaptiveCardJson {
  return shellCard(c.id, shell, shellStatus(school, c, shell), 'coordinator');
}

function shellStatus(school: School, c: HwcCase, shell: PostedShell): string {
  const t = stringsFor(shell.locale).shell;
  if (!c.claim) return '';
  if (!isOwner(c, shell.staffId)) return t.claimedBy(c.claim.by.name);
  if (c.talk) {
    if (c.colleagues.length === 0) return t.nobodyInformed;
    const progress = progressOf(c);
    return t.progress(progress.acknowledged, progress.reached);
  }
  if (c.absences > 0) return t.movedTo(formatDay(c.supportDay.lessonStart, school.timeZone, shell.locale));
  if (c.claim.handedOverBy) return t.handedOverToYou(c.claim.handedOverBy.name);
  return '';
}

export type NoticeKind =
  | 'closed'
  | 'deleted'
  | 'notAvailable'
  | 'completed'
  | 'pupilAbsent'
  | 'acknowledgedAndClosed'
  | 'tryAgain'
  | 'closedEarly'
  | 'notOurPupil'
  | 'expired'
  | 'unknown';

export function noticeCard(
  kind: NoticeKind,
  locale: string | undefined,
  extra?: { unreachable?: number },
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const text = {
    closed: t.closed,
    deleted: t.deleted,
    notAvailable: t.notAvailable,
    completed: t.ended.completed,
    pupilAbsent: t.ended.pupilAbsent,
    acknowledgedAndClosed: t.colleague.acknowledgedAndClosed,
    tryAgain: t.tryAgain,
    closedEarly: t.gone.closedEarly,
    notOurPupil: t.gone.notOurPupil,
    expired: t.gone.expired,
    unknown: t.gone.unknown,
  }[kind];
  const unreachable = extra?.unreachable ?? 0;
  return renderCard('notice', {
    title: text.title,
    body: unreachable > 0 ? `${text.body} ${t.ended.unreachable(unreachable)}` : text.body,
  });
}

/** The notice to a coordinator that a case expired with something left undone. */
export function expiryNoticeCard(
  school: School,
  supportDayStart: Date,
  leftovers: Leftovers,
  locale: string | undefined,
): AdaptiveCardJson {
  const t = stringsFor(locale).expired;
  const items = [
    ...(leftovers.notClaimed ? [t.notClaimed] : []),
    ...(leftovers.talkNotRecorded ? [t.talkNotRecorded] : []),
    ...(leftovers.notAcknowledged > 0 ? [t.notAcknowledged(leftovers.notAcknowledged)] : []),
    ...(leftovers.unreachable > 0 ? [t.unreachable(leftovers.unreachable)] : []),
    ...(leftovers.parentsNotRecorded ? [t.parentsNotRecorded] : []),
  ];
  return renderCard('expiry-notice', {
    title: t.title,
    intro: t.intro(formatDay(supportDayStart, school.timeZone, locale)),
    items,
    advice: t.advice,
  });
}

function supportLines(school: School, c: HwcCase, t: Strings, locale: string | undefined): string[] {
  if (!c.talk) return [];
  const language = languageOf(locale);
  const labels = c.talk.support.optionIds.map(
    (id) => school.supportOptions.find((o) => o.id === id)?.label[language] ?? id,
  );
  const lines = c.talk.support.note ? [...labels, c.talk.support.note] : labels;
  return lines.length > 0 ? lines : [t.view.nothingAgreed];
}

function colleagueStatus(p: InformedColleague, t: Strings, zone: string): string {
  if (p.delivery === 'sending') return t.view.colleagueSending;
  if (p.delivery === 'unreachable') return t.view.colleagueUnreachable;
  return p.acknowledgedAt
    ? t.view.colleagueRead(formatTime(p.acknowledgedAt, zone))
    : t.view.colleagueWaiting;
}

function choicesOf(people: readonly StaffMember[]): Choice[] {
  return people.map((p) => ({ title: p.name, value: p.id }));
}

/** The coordinator's view of the case, for the step it is at. Served only as an invoke response. */
export function coordinatorViewCard(
  school: School,
  c: HwcCase,
  viewerId: string,
  locale: string | undefined,
  notes: string[] = [],
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const zone = school.timeZone;
  const owner = isOwner(c, viewerId);
  const action = (
    title: string,
    verb: string,
    style: CaseViewAction['style'] = 'default',
    data: Record<string, string | number> = {},
    associatedInputs: CaseViewAction['associatedInputs'] = 'none',
  ): CaseViewAction => ({ title, verb, style, data: { caseId: c.id, ...data }, associatedInputs });

  const facts = [
    { label: t.view.pupil, value: c.pupil.name },
    { label: t.view.birthDate, value: formatBirthDate(c.pupil.birthDate, locale) },
    ...(c.group && owner ? [{ label: t.view.group, value: c.group }] : []),
    { label: t.view.received, value: formatDateTime(c.receivedAt, zone, locale) },
    { label: t.view.source, value: t.sources[c.source] },
    {
      label: t.view.deadline,
      value: t.view.deadlineValue(
        formatDay(c.supportDay.lessonStart, zone, locale),
        formatTime(c.supportDay.lessonStart, zone),
      ),
    },
  ];
  const data: CaseViewCardData = {
    caseId: c.id,
    title: t.view.title,
    facts,
    status: '',
    notes: [...notes],
    agreedTitle: t.view.agreed,
    agreed: [],
    colleaguesTitle: t.view.colleagues,
    colleagues: [],
    nextStep: '',
    parents: { show: false, label: '', value: '', choices: [] },
    handOver: { show: false, title: t.view.handOver, label: t.view.handOverTo, choices: [] },
    privacy: t.view.privacy,
    actions: [],
  };

  if (!c.claim) {
    data.status = t.view.unclaimed;
    data.nextStep = t.view.nextStepUnclaimed;
    data.actions.push(action(t.view.claim, 'case.claim', 'positive'));
    data.actions.push(action(t.view.notOurPupil, 'case.not-our-pupil'));
  } else if (!owner) {
    // Others see who owns it, and nothing of what was agreed with the pupil.
    data.status = t.view.claimedBy(c.claim.by.name, formatTime(c.claim.at, zone));
  } else if (!c.talk) {
    data.status = t.view.claimedByYou(formatTime(c.claim.at, zone));
    if (c.claim.handedOverBy) data.notes.unshift(t.view.handedOverBy(c.claim.handedOverBy.name));
    if (c.absences > 0) {
      data.notes.unshift(t.view.absences(c.absences, Math.max(school.maxPupilAbsentDays - c.absences, 0)));
    }
    data.nextStep = t.view.nextStepOwner;
    data.actions.push(action(t.view.talked, 'case.talk-form', 'positive'));
    data.actions.push(
      action(t.view.pupilAbsent, 'case.pupil-absent', 'default', { forDay: c.supportDay.date }),
    );
    data.actions.push(action(t.view.notOurPupil, 'case.not-our-pupil'));
    const others = [...school.coordinators, ...school.deputies].filter(
      (p, i, all) => p.id !== viewerId && all.findIndex((q) => q.id === p.id) === i,
    );
    if (others.length > 0) data.handOver = { ...data.handOver, show: true, choices: choicesOf(others) };
  } else {
    const progress = progressOf(c);
    data.status =
      c.colleagues.length === 0
        ? t.view.nobodyInformed
        : t.view.progress(progress.acknowledged, progress.reached);
    data.agreed = supportLines(school, c, t, locale);
    data.colleagues = c.colleagues.map((p) => ({
      name: p.staff.name || t.view.unnamedColleague,
      status: colleagueStatus(p, t, zone),
    }));
    data.nextStep = t.view.nextStepInforming;
    data.parents = {
      show: true,
      label: t.view.parentsQuestion,
      value: c.parents?.choice ?? '',
      choices: parentsChoices.map((value) => ({ title: t.view.parentsChoices[value], value })),
    };
    if (c.parents) data.notes.push(t.view.parentsRecorded(t.view.parentsChoices[c.parents.choice]));
    data.actions.push(action(t.view.recordParents, 'case.record-parents', 'positive', {}, 'auto'));
    if (progress.reached > progress.acknowledged) {
      data.actions.push(action(t.view.remind, 'case.remind', 'default', { round: c.reminderRounds }));
    }
    data.actions.push(action(t.view.closeEarly, 'case.close'));
  }
  data.actions.push(action(t.view.refresh, 'case.view'));
  return renderCard('case-view', data);
}

// A Teams card holds about 28 KB. A list longer than this would break the form; Teams' own people
// picker finds everyone anyway, so a big school's form offers the picker alone.
export const MAX_STATIC_STAFF = 150;

/** The static list, for clients without the people picker; the suggestions are listed above it. */
function staticStaffChoices(staff: readonly StaffMember[]): Choice[] {
  if (staff.length > MAX_STATIC_STAFF) return [];
  return choicesOf([...staff].sort((a, b) => a.name.localeCompare(b.name, 'nl')));
}

/** 'Gesprek gevoerd': the form for what was agreed and who may know. */
export function talkFormCard(
  school: School,
  c: HwcCase,
  locale: string | undefined,
  options: {
    group?: string;
    suggested: readonly StaffMember[];
    staff: readonly StaffMember[];
    error?: string;
    values?: Partial<{
      support: string;
      note: string;
      suggested: string;
      others: string;
      nobody: 'true' | 'false';
    }>;
  },
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const language = languageOf(locale);
  const suggestedIds = new Set(options.suggested.map((p) => p.id));
  return renderCard('talk-form', {
    caseId: c.id,
    pupilLine: `${c.pupil.name}${options.group ? ` (${options.group})` : ''}`,
    error: options.error ?? '',
    supportOptions: school.supportOptions.map((o) => ({ title: o.label[language], value: o.id })),
    maxNoteLength: MAX_SUPPORT_NOTE_LENGTH,
    noteHint: t.talk.noteHint(MAX_SUPPORT_NOTE_LENGTH),
    suggestedLabel: t.talk.suggested(options.group ?? ''),
    suggested: choicesOf(options.suggested),
    staff: staticStaffChoices(options.staff.filter((p) => !suggestedIds.has(p.id))),
    values: { support: '', note: '', suggested: '', others: '', nobody: 'false', ...options.values },
    t: t.talk,
  });
}

/** What a colleague may know: served only to them, as an invoke response. */
export function colleagueViewCard(
  school: School,
  c: HwcCase,
  colleague: InformedColleague,
  locale: string | undefined,
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const coordinator = c.claim?.by.name ?? '';
  return renderCard('colleague-view', {
    caseId: c.id,
    intro: t.colleague.intro(coordinator),
    facts: [
      { label: t.view.pupil, value: c.pupil.name },
      ...(c.group ? [{ label: t.view.group, value: c.group }] : []),
    ],
    agreedTitle: t.view.agreed,
    agreed: supportLines(school, c, t, locale),
    whomToAsk: t.colleague.whomToAsk(coordinator),
    acknowledged: colleague.acknowledgedAt
      ? t.colleague.acknowledgedAt(formatTime(colleague.acknowledgedAt, school.timeZone))
      : '',
    refresh: t.view.refresh,
    t: t.colleague,
  });
}
