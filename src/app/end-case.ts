import type { HwcCase } from '../domain/case';
import type { RequestContext, Services } from './ports';
import { neutralizeShells } from './shells';

/** A closed case: deleted at once, its follow-ups cancelled and its cards blanked. Nothing stays behind. */
export async function finishCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  await services.store.delete(c.id);
  services.scheduler.cancel(`${c.id}:`);
  await neutralizeShells(services, c.shells, ctx);
  ctx.log.info(
    { caseId: c.id, schoolId: c.schoolId, reason: c.closed?.reason, cards: c.shells.length },
    'case closed and deleted',
  );
}

/** The support day ended: the store has already dropped the case; its cards are blanked too. */
export async function expireCase(services: Services, c: HwcCase, ctx: RequestContext): Promise<void> {
  services.scheduler.cancel(`${c.id}:`);
  await neutralizeShells(services, c.shells, ctx);
  ctx.log.info({ caseId: c.id, schoolId: c.schoolId, state: c.state }, 'case expired and deleted');
}
