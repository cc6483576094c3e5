import type { AdaptiveCardJson, CaseViewAction, CaseViewCardData, Choice } from '../cards/card-data';
import { renderCard } from '../cards/render-card';
import { nextSchoolDayAfter } from '../domain/calendar';
import {
  MAX_SUPPORT_NOTE_LENGTH,
  canReportAbsence,
  isOwner,
  isTeacherFirst,
  parentsChoices,
  informsParents,
  parentsInformer,
  parentsPending,
  progressOf,
  type HwcCase,
  type InformedColleague,
  type PostedShell,
} from '../domain/case';
import type { Leftovers } from '../domain/case-leftovers';
import { isToday } from '../domain/local-date';
import type { School, StaffMember } from '../domain/school';
import type { CaseEnding } from '../store/case-store';
import {
  formatBirthDate,
  formatDateTime,
  formatDay,
  formatTime,
  languageOf,
  stringsFor,
  type DayWords,
  type Strings,
} from '../i18n/strings';
import type { RecipientContext } from './ports';

/** What a posted card may say of its case: when it is due and when it came in, never whom it is about. */
export interface ShellContext {
  caseId: string;
  supportDayStart: Date;
  receivedAt: Date;
  timeZone: string;
  /** A colleague's card then asks them to be there for the pupil, rather than to read what was agreed. */
  teacherFirst: boolean;
}

export function shellContext(school: Pick<School, 'timeZone' | 'procedure'>, c: HwcCase): ShellContext {
  return {
    caseId: c.id,
    supportDayStart: c.supportDay.lessonStart,
    receivedAt: c.receivedAt,
    timeZone: school.timeZone,
    teacherFirst: isTeacherFirst(school, c),
  };
}

/**
 * The card posted into a chat. It is a shell: it names no pupil and holds only the case id,
 * because Teams keeps every posted message. The content comes from the view cards below,
 * returned to a refresh or a 'Bekijk' click and cached only on the user's device. Its title and
 * summary (the chat list, the notification) give the deadline; a coordinator's also when it came
 * in, so two signals of one morning can be told apart unopened.
 */
export function shellCard(
  shell: ShellContext,
  recipient: RecipientContext,
  status = '',
  audience: 'coordinator' | 'colleague' = 'coordinator',
): AdaptiveCardJson {
  const t = stringsFor(recipient.locale);
  const day = formatDay(shell.supportDayStart, shell.timeZone, recipient.locale);
  const colleague = audience === 'colleague';
  const viewVerb = colleague ? 'colleague.view' : 'case.view';
  const card = renderCard('shell', {
    viewData: { caseId: shell.caseId },
    fallbackData: { verb: viewVerb, caseId: shell.caseId },
    summary: colleague
      ? t.shell.colleagueSummary(day)
      : t.shell.summary(day, formatTime(shell.receivedAt, shell.timeZone)),
    received: colleague
      ? ''
      : t.shell.received(formatDateTime(shell.receivedAt, shell.timeZone, recipient.locale)),
    userId: recipient.teamsUserId ?? '',
    title: colleague ? t.shell.colleagueTitle(day) : t.shell.deadlineTitle(day),
    body: colleague
      ? shell.teacherFirst
        ? t.teacherFirst.shellColleagueBody
        : t.shell.colleagueBody
      : t.shell.body,
    status,
    viewLabel: t.shell.view,
    viewVerb,
  });
  return withoutUnknownUser(card, recipient);
}

/**
 * Without a known user id, leave userIds out: an empty list would switch automatic refresh off,
 * while a personal chat (two members) is refreshed for all without one.
 */
export function withoutUnknownUser(card: AdaptiveCardJson, recipient: RecipientContext): AdaptiveCardJson {
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
  return shellCard(shellContext(school, c), shell, shellStatus(school, c, shell), 'coordinator');
}

function shellStatus(school: School, c: HwcCase, shell: PostedShell): string {
  const t = stringsFor(shell.locale).shell;
  if (!c.claim) return '';
  if (!isOwner(c, shell.staffId)) return t.claimedBy(c.claim.by.name);
  if (c.talk) {
    const progress = progressOf(c);
    if (sendTotal(progress) === 0) return t.nobodyInformed;
    if (progress.sending > 0) return t.sending(progress.reached, sendTotal(progress));
    const read = t.progress(progress.acknowledged, progress.reached);
    // In teacher first the pupil may be absent after the teacher was told.
    return c.absences > 0
      ? `${t.movedTo(formatDay(c.supportDay.lessonStart, school.timeZone, shell.locale))} ${read}`
      : read;
  }
  if (c.absences > 0) return t.movedTo(formatDay(c.supportDay.lessonStart, school.timeZone, shell.locale));
  if (c.claim.handedOverBy) return t.handedOverToYou(c.claim.handedOverBy.name);
  return '';
}

/** Everyone a card went or goes to (those to tell in person included), parents-only aside. */
function sendTotal(progress: ReturnType<typeof progressOf>): number {
  return progress.reached + progress.sending + progress.unreachable;
}

/** 'vandaag', or the day itself when the card is read on another day. */
export function dayWords(
  school: Pick<School, 'timeZone'>,
  day: { date: string; lessonStart: Date },
  now: Date,
  locale: string | undefined,
): DayWords {
  return {
    today: isToday(day.date, now, school.timeZone),
    day: formatDay(day.lessonStart, school.timeZone, locale),
  };
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
  | 'ended'
  | 'parentsDoneAndClosed'
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
    ended: t.gone.ended,
    parentsDoneAndClosed: t.colleague.parentsDoneAndClosed,
    unknown: t.gone.unknown,
  }[kind];
  const unreachable = extra?.unreachable ?? 0;
  return renderCard('notice', {
    title: text.title,
    body: unreachable > 0 ? `${text.body} ${t.ended.unreachable(unreachable)}` : text.body,
  });
}

/** The neutral card a posted card of an ended case becomes: how it ended, never 'afgerond' for work not done. */
export function endedCard(ending: CaseEnding | undefined, locale: string | undefined): AdaptiveCardJson {
  const kind: NoticeKind = ending === undefined ? 'ended' : endingNotice[ending];
  return noticeCard(kind, locale);
}

export const endingNotice: Record<CaseEnding, NoticeKind> = {
  completed: 'closed',
  'closed-early': 'closedEarly',
  'not-our-pupil': 'notOurPupil',
  'pupil-absent': 'pupilAbsent',
  expired: 'expired',
};

/** The notice to a coordinator that a case expired with something left undone. */
export function expiryNoticeCard(
  school: School,
  supportDayStart: Date,
  leftovers: Leftovers,
  locale: string | undefined,
): AdaptiveCardJson {
  const strings = stringsFor(locale);
  const t = strings.expired;
  const items = [
    ...(leftovers.notClaimed ? [t.notClaimed] : []),
    ...(leftovers.talkNotRecorded
      ? [
          leftovers.procedure === 'teacher-first'
            ? strings.teacherFirst.teacherNotInformed
            : t.talkNotRecorded,
        ]
      : []),
    ...(leftovers.notAcknowledged > 0 ? [t.notAcknowledged(leftovers.notAcknowledged)] : []),
    ...(leftovers.unreachable > 0 ? [t.unreachable(leftovers.unreachable)] : []),
    ...(leftovers.parentsNotRecorded ? [t.parentsNotRecorded] : []),
    ...(leftovers.parentsNotConfirmed ? [t.parentsNotConfirmed] : []),
  ];
  return renderCard('expiry-notice', {
    title: t.title,
    intro: t.intro(formatDay(supportDayStart, school.timeZone, locale)),
    items,
    advice: t.advice,
  });
}

/** What was agreed with the pupil, or in teacher first what was suggested to the teacher. */
function supportLines(school: School, c: HwcCase, locale: string | undefined, nothing: string): string[] {
  if (!c.talk) return [];
  const language = languageOf(locale);
  const labels = c.talk.support.optionIds.map(
    (id) => school.supportOptions.find((o) => o.id === id)?.label[language] ?? id,
  );
  const lines = c.talk.support.note ? [...labels, c.talk.support.note] : labels;
  return lines.length > 0 ? lines : [nothing];
}

function colleagueStatus(c: HwcCase, p: InformedColleague, t: Strings, zone: string): string {
  if (p.delivery === 'sending') return t.view.colleagueSending;
  if (p.delivery === 'unreachable') return t.view.colleagueUnreachable;
  if (c.parents && informsParents(c, p.staff.id)) {
    const parents = c.parents.doneAt
      ? t.view.informedParents(formatTime(c.parents.doneAt, zone))
      : t.view.informsParents;
    if (p.parentsOnly) return parents;
    const read = p.acknowledgedAt
      ? t.view.colleagueRead(formatTime(p.acknowledgedAt, zone))
      : t.view.colleagueWaiting;
    return `${read}; ${parents}`;
  }
  return p.acknowledgedAt
    ? t.view.colleagueRead(formatTime(p.acknowledgedAt, zone))
    : t.view.colleagueWaiting;
}

function choicesOf(people: readonly StaffMember[]): Choice[] {
  return people.map((p) => ({ title: p.name, value: p.id }));
}

/** What the coordinator sees of the parents step, once the talk is recorded. */
function parentsLine(c: HwcCase, viewerId: string, t: Strings, zone: string): string {
  const parents = c.parents;
  if (!parents) return '';
  if (parents.choice === 'not-now') return t.view.parentsNotNow;
  const informer = parentsInformer(c);
  if (parents.doneAt) {
    return t.view.parentsDoneBy(informer?.name || t.view.unnamedColleague, formatTime(parents.doneAt, zone));
  }
  if (informer?.id === viewerId) return t.view.parentsWaitingForYou;
  return t.view.parentsWaitingFor(informer?.name || t.view.unnamedColleague);
}

/** The coordinator's view of the case, for the step it is at. Served only as an invoke response. */
export function coordinatorViewCard(
  school: School,
  c: HwcCase,
  viewerId: string,
  locale: string | undefined,
  now: Date,
  extra: { notes?: string[]; error?: string } = {},
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const zone = school.timeZone;
  const owner = isOwner(c, viewerId);
  const teacherFirst = isTeacherFirst(school, c);
  const when = dayWords(school, c.supportDay, now, locale);
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
  ];
  const data: CaseViewCardData = {
    caseId: c.id,
    deadline: t.view.deadlineLine(when, formatTime(c.supportDay.lessonStart, zone)),
    title: t.view.title,
    facts,
    status: '',
    notes: [...(extra.notes ?? [])],
    error: extra.error ?? '',
    agreedTitle: teacherFirst ? t.teacherFirst.suggestionsTitle : t.view.agreed,
    agreed: [],
    colleaguesTitle: t.view.colleagues,
    colleagues: [],
    nextStep: '',
    parents: {
      show: false,
      label: t.view.parentsQuestion,
      missing: t.view.parentsMissing,
      value: '',
      choices: [],
      whoLabel: t.view.parentsWho,
      whoPlaceholder: t.view.parentsWhoPlaceholder,
      who: '',
      people: [],
    },
    handOver: { show: false, title: t.view.handOver, label: t.view.handOverTo, choices: [] },
    privacy: t.view.privacy(when),
    actions: [],
  };

  if (!c.claim) {
    data.status = t.view.unclaimed;
    data.nextStep = teacherFirst ? t.teacherFirst.nextStepUnclaimed : t.view.nextStepUnclaimed;
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
    data.nextStep = teacherFirst ? t.teacherFirst.nextStepOwner(when) : t.view.nextStepOwner(when);
    data.actions.push(
      action(teacherFirst ? t.teacherFirst.informTeacher : t.view.talked, 'case.talk-form', 'positive'),
    );
    // Only on the day itself: before it, nobody can know the pupil will not come.
    if (canReportAbsence(school, c, now)) {
      data.actions.push(
        action(t.view.pupilAbsent, 'case.pupil-absent', 'default', { forDay: c.supportDay.date }),
      );
    }
    data.actions.push(action(t.view.notOurPupil, 'case.not-our-pupil'));
    const others = [...school.coordinators, ...school.deputies].filter(
      (p, i, all) => p.id !== viewerId && all.findIndex((q) => q.id === p.id) === i,
    );
    if (others.length > 0) data.handOver = { ...data.handOver, show: true, choices: choicesOf(others) };
  } else {
    const progress = progressOf(c);
    data.status =
      sendTotal(progress) === 0
        ? t.view.nobodyInformed
        : progress.sending > 0
          ? t.view.sending(progress.reached, sendTotal(progress))
          : t.view.progress(progress.acknowledged, progress.reached);
    data.agreed = supportLines(
      school,
      c,
      locale,
      teacherFirst ? t.teacherFirst.nothingSuggested : t.view.nothingAgreed,
    );
    // In teacher first the pupil may turn out to be absent after the teacher was told.
    if (canReportAbsence(school, c, now)) {
      data.actions.push(
        action(t.view.pupilAbsent, 'case.pupil-absent', 'default', { forDay: c.supportDay.date }),
      );
    }
    data.colleagues = c.colleagues.map((p) => ({
      name: p.staff.name || t.view.unnamedColleague,
      status: colleagueStatus(c, p, t, zone),
    }));
    data.nextStep = t.view.nextStepInforming;
    if (c.absences > 0) {
      data.notes.push(t.view.absences(c.absences, Math.max(school.maxPupilAbsentDays - c.absences, 0)));
    }
    const parents = parentsLine(c, viewerId, t, zone);
    if (parents) data.notes.push(parents);
    if (!c.parents?.doneAt) {
      // The people who may know come first; the people picker finds anyone else.
      const people = c.colleagues.filter((p) => p.staff.name !== '').map((p) => p.staff);
      const who = c.parents?.by?.id ?? (people.length === 1 ? (people[0]?.id ?? '') : '');
      data.parents = {
        ...data.parents,
        show: true,
        value: c.parents?.choice ?? '',
        choices: parentsChoices.map((value) => ({ title: t.view.parentsChoices[value], value })),
        who,
        people: choicesOf(people),
      };
      data.actions.push(action(t.view.recordParents, 'case.record-parents', 'positive', {}, 'auto'));
    }
    if (parentsPending(c)) data.actions.push(action(t.view.parentsDone, 'case.parents-done', 'positive'));
    if (progress.reached > progress.acknowledged) {
      data.actions.push(action(t.view.remind, 'case.remind', 'default', { round: c.reminderRounds }));
    }
    data.actions.push(action(t.view.closeEarly, 'case.close'));
  }
  data.actions.push(action(t.view.refresh, 'case.view'));
  return renderCard('case-view', data);
}

/**
 * Asked before 'Leerling is er vandaag niet' and 'Niet onze leerling': the first moves the case
 * past a day, the second deletes it. Served as an invoke response, to the coordinator only.
 */
export function confirmCard(
  kind: 'pupilAbsent' | 'notOurPupil',
  school: School,
  c: HwcCase,
  locale: string | undefined,
  /** The group teacher asks (teacher first): the answer goes to their own verb. */
  audience: 'coordinator' | 'colleague' = 'coordinator',
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const subject = `${c.pupil.name} (${formatBirthDate(c.pupil.birthDate, locale)})`;
  if (kind === 'notOurPupil') {
    return renderCard('confirm', {
      title: t.confirm.notOurPupil.title,
      subject,
      body: t.confirm.notOurPupil.body,
      confirm: {
        title: t.confirm.notOurPupil.confirm,
        verb: 'case.not-our-pupil',
        style: 'destructive',
        data: { caseId: c.id, confirmed: true },
      },
      back: t.confirm.back,
      backVerb: 'case.view',
      backData: { caseId: c.id },
    });
  }
  const last = c.absences + 1 > school.maxPupilAbsentDays;
  const today = formatDay(c.supportDay.lessonStart, school.timeZone, locale);
  const nextDay = last
    ? ''
    : formatDay(nextSchoolDayAfter(school, c.supportDay.date).lessonStart, school.timeZone, locale);
  return renderCard('confirm', {
    title: t.confirm.pupilAbsent.title,
    subject,
    body: last
      ? t.confirm.pupilAbsent.bodyLast
      : isTeacherFirst(school, c)
        ? t.teacherFirst.absentBody(today, nextDay)
        : t.confirm.pupilAbsent.body(today, nextDay),
    confirm: {
      title: last ? t.confirm.pupilAbsent.confirmLast : t.confirm.pupilAbsent.confirm(nextDay),
      verb: audience === 'colleague' ? 'colleague.pupil-absent' : 'case.pupil-absent',
      style: last ? 'destructive' : 'positive',
      data: { caseId: c.id, forDay: c.supportDay.date, confirmed: true },
    },
    back: t.confirm.back,
    backVerb: audience === 'colleague' ? 'colleague.view' : 'case.view',
    backData: { caseId: c.id },
  });
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
  now: Date,
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
  const teacherFirst = isTeacherFirst(school, c);
  const words = teacherFirst ? { ...t.talk, ...t.teacherFirst.form } : t.talk;
  // Without suggestions the coordinator should know why, and that the choice is theirs.
  const hint = options.suggested.length > 0 ? '' : school.directory ? words.pupilNotFound : words.noDirectory;
  const when = dayWords(school, c.supportDay, now, locale);
  return renderCard('talk-form', {
    caseId: c.id,
    pupilLine: `${c.pupil.name}${options.group ? ` (${options.group})` : ''}`,
    hint,
    supportLabel: words.support(when),
    error: options.error ?? '',
    supportOptions: school.supportOptions.map((o) => ({ title: o.label[language], value: o.id })),
    maxNoteLength: MAX_SUPPORT_NOTE_LENGTH,
    noteHint: t.talk.noteHint(MAX_SUPPORT_NOTE_LENGTH),
    suggestedLabel: t.talk.suggested(options.group ?? ''),
    suggested: choicesOf(options.suggested),
    staff: staticStaffChoices(options.staff.filter((p) => !suggestedIds.has(p.id))),
    values: { support: '', note: '', suggested: '', others: '', nobody: 'false', ...options.values },
    // In teacher first somebody is always told: the teacher supports the pupil that day.
    showNobody: !teacherFirst,
    t: words,
  });
}

/**
 * What a colleague may know: served only to them, as an invoke response. One asked to inform the
 * parents sees that too, with 'Ouders geïnformeerd'; one asked only for that sees nothing of what
 * was agreed with the pupil.
 */
export function colleagueViewCard(
  school: School,
  c: HwcCase,
  colleague: InformedColleague,
  locale: string | undefined,
  now: Date,
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const coordinator = c.claim?.by.name ?? '';
  const when = dayWords(school, c.supportDay, now, locale);
  const teacherFirst = isTeacherFirst(school, c);
  const tf = t.teacherFirst.colleague;
  const asked = informsParents(c, colleague.staff.id);
  const parentsText = asked
    ? t.colleague.parentsAsk(coordinator)
    : colleague.parentsOnly
      ? t.colleague.parentsNoLonger(coordinator)
      : '';
  const doneAt = asked ? c.parents?.doneAt : undefined;
  return renderCard('colleague-view', {
    caseId: c.id,
    title: t.colleague.title(when),
    // In teacher first nobody spoke with the pupil yet: the card says who received the signal.
    intro: teacherFirst
      ? colleague.parentsOnly
        ? tf.parentsOnlyIntro(coordinator)
        : tf.intro(coordinator, when)
      : colleague.parentsOnly
        ? t.colleague.parentsOnlyIntro(coordinator)
        : t.colleague.intro(coordinator),
    facts: [
      { label: t.view.pupil, value: c.pupil.name },
      ...(c.group ? [{ label: t.view.group, value: c.group }] : []),
    ],
    agreedTitle: teacherFirst ? tf.suggestionsTitle(coordinator) : t.view.agreed,
    agreed: colleague.parentsOnly
      ? []
      : supportLines(school, c, locale, teacherFirst ? tf.nothingSuggested : t.view.nothingAgreed),
    showAgreed: !colleague.parentsOnly,
    whomToAsk: t.colleague.whomToAsk(coordinator),
    doNotPassOn: t.colleague.doNotPassOn(when),
    acknowledged: colleague.acknowledgedAt
      ? t.colleague.acknowledgedAt(formatTime(colleague.acknowledgedAt, school.timeZone))
      : '',
    showAcknowledge: !colleague.parentsOnly && !colleague.acknowledgedAt,
    parents: {
      show: parentsText !== '',
      title: t.colleague.parentsTitle,
      text: parentsText,
      done: doneAt ? t.colleague.parentsDoneAt(formatTime(doneAt, school.timeZone)) : '',
      canConfirm: asked && !doneAt,
      confirm: t.colleague.parentsDone,
    },
    absent: {
      show: !colleague.parentsOnly && teacherFirst && canReportAbsence(school, c, now),
      title: tf.pupilAbsent,
      forDay: c.supportDay.date,
    },
    refresh: t.view.refresh,
    t: teacherFirst ? { ...t.colleague, whatYouCanDo: tf.whatYouCanDo } : t.colleague,
  });
}
