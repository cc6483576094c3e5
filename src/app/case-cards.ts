import type { AdaptiveCardJson, CaseViewAction } from '../cards/card-data';
import { renderCard } from '../cards/render-card';
import type { HwcCase, PostedShell } from '../domain/case';
import type { School } from '../domain/school';
import { formatBirthDate, formatDateTime, formatDay, formatTime, stringsFor } from '../i18n/strings';
import type { RecipientContext } from './ports';

/**
 * The card posted into a chat. It is a shell: it names no pupil and holds only the case id,
 * because Teams keeps every posted message. The content comes from `coordinatorViewCard`,
 * returned to a refresh or a 'Bekijk' click and cached only on the user's device.
 */
export function shellCard(caseId: string, recipient: RecipientContext, status = ''): AdaptiveCardJson {
  const t = stringsFor(recipient.locale);
  const card = renderCard('shell', {
    caseId,
    userId: recipient.teamsUserId ?? '',
    title: t.shell.title,
    body: t.shell.body,
    status,
    viewLabel: t.shell.view,
  });
  // Without a known user id, leave userIds out: an empty list would switch automatic refresh off,
  // while a personal chat (two members) is refreshed for all without one.
  if (!recipient.teamsUserId) {
    const refresh = card.refresh as { userIds?: string[] } | undefined;
    if (refresh) delete refresh.userIds;
  }
  return card;
}

/** The shell of a coordinator who did not take the case on: it says who did, still naming no pupil. */
export function takenShellCard(c: HwcCase, shell: PostedShell): AdaptiveCardJson {
  const owner = c.claim?.by.name ?? '';
  return shellCard(c.id, shell, stringsFor(shell.locale).shell.claimedBy(owner));
}

export function noticeCard(kind: 'closed' | 'notAvailable', locale: string | undefined): AdaptiveCardJson {
  const t = stringsFor(locale);
  return renderCard('notice', kind === 'closed' ? t.closed : t.notAvailable);
}

export function coordinatorViewCard(
  school: School,
  c: HwcCase,
  viewerId: string,
  locale: string | undefined,
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const zone = school.timeZone;
  const isOwner = c.claim?.by.id === viewerId;
  const actions: CaseViewAction[] = [];
  let status: string;
  let nextStep: string;
  if (!c.claim) {
    status = t.view.unclaimed;
    nextStep = t.view.nextStepUnclaimed;
    actions.push({ title: t.view.claim, verb: 'case.claim', style: 'positive' });
    actions.push({ title: t.view.notOurPupil, verb: 'case.not-our-pupil', style: 'default' });
  } else if (isOwner) {
    status = t.view.claimedByYou(formatTime(c.claim.at, zone));
    nextStep = t.view.nextStepOwner;
    actions.push({ title: t.view.notOurPupil, verb: 'case.not-our-pupil', style: 'default' });
  } else {
    status = t.view.claimedBy(c.claim.by.name, formatTime(c.claim.at, zone));
    nextStep = '';
  }
  actions.push({ title: t.view.refresh, verb: 'case.view', style: 'default' });
  return renderCard('case-view', {
    caseId: c.id,
    title: t.view.title,
    facts: [
      { label: t.view.pupil, value: c.pupil.name },
      { label: t.view.birthDate, value: formatBirthDate(c.pupil.birthDate, locale) },
      { label: t.view.received, value: formatDateTime(c.receivedAt, zone, locale) },
      { label: t.view.source, value: t.sources[c.source] },
      {
        label: t.view.deadline,
        value: t.view.deadlineValue(
          formatDay(c.supportDay.lessonStart, zone, locale),
          formatTime(c.supportDay.lessonStart, zone),
        ),
      },
    ],
    status,
    nextStep,
    privacy: t.view.privacy,
    actions,
  });
}
