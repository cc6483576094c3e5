import type { AdaptiveCardJson } from '../cards/card-data';
import {
  MAX_COLLEAGUES,
  MAX_SUPPORT_NOTE_LENGTH,
  canReportAbsence,
  isOwner,
  isTeacherFirst,
  pupilAbsent as movePupilAbsent,
  recordTalk as recordTalkOnCase,
  type HwcCase,
} from '../domain/case';
import type { School, StaffMember } from '../domain/school';
import { errorSummary } from '../logging/error-summary';
import { stringsFor } from '../i18n/strings';
import { confirmCard, coordinatorViewCard, noticeCard, talkFormCard } from './case-cards';
import { asCoordinator, loadForCoordinator, type Actor } from './case-access';
import { finishCase } from './end-case';
import { startInforming } from './inform-colleagues';
import type { DirectoryPupil, RequestContext, Services } from './ports';
import { updateColleagueShellsAfterMove, updateCoordinatorShells } from './shells';
import { within } from './within';

/** What the coordinator filled in on the 'Gesprek gevoerd' form. */
export interface TalkForm {
  support: string[];
  note: string;
  suggested: string[];
  others: string[];
  nobody: boolean;
}

// Teams gives a card action about 15 seconds; the directory gets a few of them. The cards to the
// colleagues are not waited for at all: they go out after the answer (startInforming).
const DIRECTORY_WAIT_MS = 3_000;
const NAMES_WAIT_MS = 2_000;

interface DirectoryView {
  pupil: DirectoryPupil | undefined;
  staff: StaffMember[];
}

/** Suggestions help; without them the coordinator still picks colleagues. So a directory failure is no error. */
async function lookUp(services: Services, c: HwcCase, ctx: RequestContext): Promise<DirectoryView> {
  const [pupil, staff] = await Promise.allSettled([
    within(services.directory.findPupil(c.schoolId, c.pupil), DIRECTORY_WAIT_MS),
    within(services.directory.staff(c.schoolId), DIRECTORY_WAIT_MS),
  ]);
  for (const r of [pupil, staff]) {
    if (r.status === 'rejected')
      ctx.log.warn({ caseId: c.id, ...errorSummary(r.reason) }, 'directory not available');
  }
  return {
    pupil: pupil.status === 'fulfilled' ? pupil.value : undefined,
    staff: staff.status === 'fulfilled' ? staff.value : [],
  };
}

function formFor(
  school: School,
  c: HwcCase,
  actor: Actor,
  now: Date,
  directory: DirectoryView,
  extra: { error?: string; form?: TalkForm } = {},
): AdaptiveCardJson {
  const suggested = (directory.pupil?.teachers ?? []).filter((p) => p.id !== actor.staffId);
  const staff = directory.staff.filter((p) => p.id !== actor.staffId);
  const form = extra.form;
  return talkFormCard(school, c, actor.locale, now, {
    ...(directory.pupil ? { group: directory.pupil.group } : {}),
    suggested,
    staff,
    ...(extra.error ? { error: extra.error } : {}),
    ...(form
      ? {
          values: {
            support: form.support.join(','),
            note: form.note,
            suggested: form.suggested.join(','),
            others: form.others.join(','),
            nobody: form.nobody ? 'true' : 'false',
          },
        }
      : {}),
  });
}

/** 'Gesprek gevoerd': the form, with the pupil's group teachers suggested first. */
export async function openTalkForm(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForCoordinator(services, caseId, actor);
  if (!isOwner(c, actor.staffId) || c.talk)
    return coordinatorViewCard(school, c, actor.staffId, actor.locale, services.clock());
  return formFor(school, c, actor, services.clock(), await lookUp(services, c, ctx));
}

/**
 * 'Vastleggen en informeren': records what was agreed and who may know, then starts sending each
 * chosen colleague a private card, answering before Teams is called. A form that does not add up comes back with what was filled in.
 */
export async function recordTalk(
  services: Services,
  caseId: string,
  form: TalkForm,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const { school, c } = await loadForCoordinator(services, caseId, actor);
  if (!isOwner(c, actor.staffId) || c.talk)
    return coordinatorViewCard(school, c, actor.staffId, actor.locale, services.clock());
  const strings = stringsFor(actor.locale);
  const t = strings.talk;
  const teacherFirst = isTeacherFirst(school, c);
  const chosen = [...new Set([...form.suggested, ...form.others])].filter((id) => id !== actor.staffId);
  const directory = await lookUp(services, c, ctx);
  const refuse = (error: string) => formFor(school, c, actor, services.clock(), directory, { error, form });
  // The teacher-first form has no 'Niemand': the teacher is the one who supports the pupil.
  if (form.nobody && teacherFirst) return refuse(t.errors.invalid);
  if (form.nobody && chosen.length > 0) return refuse(t.errors.both);
  if (!form.nobody && chosen.length === 0)
    return refuse(teacherFirst ? strings.teacherFirst.form.choose : t.errors.choose);
  if (chosen.length > MAX_COLLEAGUES) return refuse(t.errors.tooMany(MAX_COLLEAGUES));
  if (form.note.trim().length > MAX_SUPPORT_NOTE_LENGTH)
    return refuse(t.errors.noteTooLong(MAX_SUPPORT_NOTE_LENGTH));
  const known = new Set(school.supportOptions.map((o) => o.id));
  if (form.support.some((id) => !known.has(id))) return refuse(t.errors.invalid);

  // Names from the directory, or looked up for someone found with the people picker; Teams
  // names the rest on delivery. The name matters most for a colleague Teams cannot reach.
  const names = new Map(
    [...directory.staff, ...(directory.pupil?.teachers ?? [])].map((p) => [p.id, p.name] as const),
  );
  await Promise.all(
    chosen
      .filter((id) => !names.has(id))
      .map(async (id) => {
        const name = await within(services.directory.nameOf(c.schoolId, id), NAMES_WAIT_MS).catch(
          () => undefined,
        );
        if (name) names.set(id, name);
      }),
  );
  const outcome = await asCoordinator(services, caseId, actor, (s, current, staff, now) =>
    recordTalkOnCase(
      s,
      current,
      staff,
      {
        support: { optionIds: form.support, note: form.note },
        colleagues: chosen.map((id) => ({ id, name: names.get(id) ?? '' })),
        nobodyToInform: form.nobody,
        ...(directory.pupil ? { group: directory.pupil.group } : {}),
      },
      now,
    ),
  );
  if ('view' in outcome) return outcome.view;
  const { before, result } = outcome;
  if (result.changed) {
    ctx.log.info(
      {
        caseId,
        procedure: result.case.talk?.procedure,
        colleagues: result.case.colleagues.length,
        supportOptions: form.support.length,
      },
      teacherFirst ? 'group teacher informed' : 'talk with the pupil recorded',
    );
    // Also with nobody to inform: it brings the coordinator's card up to date. The cards go out
    // after the answer, which shows each colleague as being sent to until their card is in.
    await startInforming(services, school, result.case, before, ctx);
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}

/**
 * 'Leerling is er vandaag niet', on the support day only, and asked first: confirmed, the case
 * moves to the next school day, or closes after too many.
 */
export async function pupilAbsent(
  services: Services,
  caseId: string,
  forDay: string,
  confirmed: boolean,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  if (!confirmed) {
    const { school, c } = await loadForCoordinator(services, caseId, actor);
    const now = services.clock();
    if (isOwner(c, actor.staffId) && c.supportDay.date === forDay && canReportAbsence(school, c, now)) {
      return confirmCard('pupilAbsent', school, c, actor.locale);
    }
    // Not (or no longer) possible: the domain's refusal gives the view with the reason.
  }
  const outcome = await asCoordinator(services, caseId, actor, (school, current, staff, now) =>
    movePupilAbsent(school, current, staff, forDay, now),
  );
  if ('view' in outcome) return outcome.view;
  const { school, before, result } = outcome;
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('pupilAbsent', actor.locale);
  }
  if (result.changed) {
    ctx.log.info(
      { caseId, absences: result.case.absences, supportDay: result.case.supportDay.date },
      'pupil absent: case moved',
    );
    const moved = result.case;
    services.background.start(
      undefined,
      async () => {
        await updateCoordinatorShells(services, school, before, ctx);
        await updateColleagueShellsAfterMove(services, school, moved, ctx);
      },
      ctx,
    );
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}
