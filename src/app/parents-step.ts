import type { AdaptiveCardJson } from '../cards/card-data';
import {
  confirmParentsInformed,
  confirmParentsInformedBy,
  informsParents,
  parentsInformer,
  parentsPending,
  parentsReminderAt,
  progressOf,
  recordParents as recordParentsOnCase,
  remindParents,
  colleagueOf,
  type HwcCase,
  type InformedColleague,
  type ParentsChoice,
} from '../domain/case';
import { HwcError, isHwcError } from '../domain/errors';
import type { School, StaffMember } from '../domain/school';
import { stringsFor } from '../i18n/strings';
import { errorSummary } from '../logging/error-summary';
import { mutateCase } from '../store/case-store';
import { colleagueViewCard, coordinatorViewCard, noticeCard, shellCard, shellContext } from './case-cards';
import { within } from './within';
import { asCoordinator, loadForCoordinator, unlessGone, type Actor } from './case-access';
import { loadForColleague } from './colleague-actions';
import { finishCase } from './end-case';
import { startInforming } from './inform-colleagues';
import type { RequestContext, Services } from './ports';
import { postShell, updateCoordinatorShells } from './shells';

// A name lookup for someone found with the people picker must not make the click time out.
const NAME_WAIT_MS = 2_000;

/**
 * The parents step, as a choice. 'Nu niet' is done at once; otherwise the case waits for
 * 'Ouders geïnformeerd' from whoever informs them, with one reminder. A colleague who informs
 * them gets a new card that says so (one who was not told yet, a card with only that).
 */
export async function recordParents(
  services: Services,
  caseId: string,
  choice: ParentsChoice | undefined,
  informerId: string | undefined,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const t = stringsFor(actor.locale).view;
  const { school, c } = await loadForCoordinator(services, caseId, actor);
  const refuse = (error: string) =>
    coordinatorViewCard(school, c, actor.staffId, actor.locale, services.clock(), { error });
  // What is missing, not the question again.
  if (!choice) return refuse(t.parentsMissing);
  let informer: StaffMember | undefined;
  if (choice === 'by-group-teacher') {
    if (!informerId) return refuse(t.parentsWhoMissing);
    informer = await staffMember(services, c, informerId);
  }
  const outcome = await asCoordinator(services, caseId, actor, (s, current, staff, now) =>
    recordParentsOnCase(s, current, staff, choice, now, informer),
  );
  if ('view' in outcome) return outcome.view;
  const { before, result } = outcome;
  if (result.changed) ctx.log.info({ caseId, choice }, 'parents step recorded');
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('completed', actor.locale, { unreachable: progressOf(result.case).unreachable });
  }
  if (result.changed) {
    await scheduleParentsReminder(services, school, result.case);
    // The informer's card and the coordinators' progress go out after the answer.
    if (newInformer(before, result.case)?.delivery === 'sending') {
      await startInforming(services, school, result.case, before, ctx);
    } else {
      const after = result.case;
      services.background.start(
        undefined,
        async () => {
          await tellInformer(services, school, before, after, ctx);
          await updateCoordinatorShells(services, school, before, ctx);
        },
        ctx,
      );
    }
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}

/** The colleague as the case knows them, else by the directory's name, else Teams names them on delivery. */
async function staffMember(services: Services, c: HwcCase, id: string): Promise<StaffMember> {
  const known = c.colleagues.find((p) => p.staff.id === id);
  if (known) return known.staff;
  const name = await within(services.directory.nameOf(c.schoolId, id), NAME_WAIT_MS).catch(() => undefined);
  return { id, name: name ?? '' };
}

/** The colleague newly chosen to inform the parents, as the case knows them now. */
function newInformer(before: HwcCase, after: HwcCase): InformedColleague | undefined {
  const by = after.parents?.by;
  if (!by || !informsParents(after, by.id) || before.parents?.by?.id === by.id) return undefined;
  return after.colleagues.find((p) => p.staff.id === by.id);
}

/**
 * The colleague who informs the parents hears so by a new message (a new message notifies, an
 * updated one does not). One who was not told before gets their first card from the fan-out
 * (startInforming) instead.
 */
async function tellInformer(
  services: Services,
  school: School,
  before: HwcCase,
  after: HwcCase,
  ctx: RequestContext,
): Promise<void> {
  const colleague = newInformer(before, after);
  if (colleague?.delivery !== 'sent') return;
  await postShell(
    services,
    after.id,
    { staffId: colleague.staff.id, role: 'colleague' },
    (r) => shellCard(shellContext(school, after), r, stringsFor(r.locale).shell.parentsAsked, 'colleague'),
    ctx,
  ).catch((error: unknown) =>
    ctx.log.warn(
      { caseId: after.id, ...errorSummary(error) },
      'could not tell a colleague about the parents step',
    ),
  );
}

function scheduleParentsReminder(services: Services, school: School, c: HwcCase): Promise<void> {
  const key = `${c.id}:parents-remind`;
  const when =
    parentsPending(c) && !c.parents?.remindedAt ? parentsReminderAt(school, c, services.clock()) : undefined;
  if (!when) return services.scheduler.cancel(key);
  return services.scheduler.schedule(key, when, { kind: 'parents-remind', caseId: c.id });
}

/** 'Ouders geïnformeerd' by the coordinator, for themself or for the colleague who was to do it. */
export async function parentsInformed(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const outcome = await asCoordinator(services, caseId, actor, confirmParentsInformed);
  if ('view' in outcome) return outcome.view;
  const { school, before, result } = outcome;
  if (result.changed) ctx.log.info({ caseId }, 'parents informed');
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('completed', actor.locale, { unreachable: progressOf(result.case).unreachable });
  }
  if (result.changed) {
    await services.scheduler.cancel(`${caseId}:parents-remind`);
    services.background.start(undefined, () => updateCoordinatorShells(services, school, before, ctx), ctx);
  }
  return coordinatorViewCard(school, result.case, actor.staffId, actor.locale, services.clock());
}

/** 'Ouders geïnformeerd' on the card of the colleague who informs them. */
export async function parentsInformedByColleague(
  services: Services,
  caseId: string,
  actor: Actor,
  ctx: RequestContext,
): Promise<AdaptiveCardJson> {
  const { school } = await loadForColleague(services, caseId, actor);
  let before: HwcCase | undefined;
  let result;
  try {
    result = await mutateCase(services.store, caseId, (current) => {
      before = current;
      return confirmParentsInformedBy(current, actor.staffId, services.clock());
    });
  } catch (error) {
    // The coordinator chose someone else meanwhile: the card says so now.
    if (!isHwcError(error, 'case.wrong-step')) throw error;
    const current = await services.store.get(caseId);
    if (!current) throw new HwcError('case.not-found', `case ${caseId} is not in the store`);
    return colleagueViewCard(
      school,
      current,
      colleagueOf(current, actor.staffId),
      actor.locale,
      services.clock(),
    );
  }
  if (result.changed) ctx.log.info({ caseId }, 'parents informed by a colleague');
  if (result.case.state === 'closed') {
    if (result.changed) await finishCase(services, result.case, ctx);
    return noticeCard('parentsDoneAndClosed', actor.locale);
  }
  if (result.changed) {
    await services.scheduler.cancel(`${caseId}:parents-remind`);
    const seen = before;
    if (seen) {
      services.background.start(undefined, () => updateCoordinatorShells(services, school, seen, ctx), ctx);
    }
  }
  return colleagueViewCard(
    school,
    result.case,
    colleagueOf(result.case, actor.staffId),
    actor.locale,
    services.clock(),
  );
}

/**
 * The one reminder to whoever informs the parents, while nobody said it was done: a new card
 * (it notifies), neutral like every posted card.
 */
export async function remindParentsNow(
  services: Services,
  caseId: string,
  ctx: RequestContext,
): Promise<void> {
  const result = await unlessGone(
    mutateCase(services.store, caseId, (c) => remindParents(c, services.clock())),
  );
  const school = result && services.schools.get(result.case.schoolId);
  if (!result?.changed || !school) return;
  const c = result.case;
  const informer = parentsInformer(c);
  if (!informer) return;
  const owner = c.claim?.by.id === informer.id;
  const shell = shellContext(school, c);
  await postShell(
    services,
    c.id,
    { staffId: informer.id, role: owner ? 'coordinator' : 'colleague' },
    (r) =>
      shellCard(shell, r, stringsFor(r.locale).shell.parentsReminder, owner ? 'coordinator' : 'colleague'),
    ctx,
  ).catch((error: unknown) =>
    ctx.log.warn({ caseId, ...errorSummary(error) }, 'could not remind about the parents step'),
  );
  ctx.log.info({ caseId }, 'reminded about the parents step');
}
