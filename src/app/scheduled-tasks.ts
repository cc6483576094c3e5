import { expireIfDue } from './end-case';
import { escalateIfUnclaimed } from './escalation';
import { remindAutomaticallyNow, resumeInforming } from './inform-colleagues';
import { expireMailDraft } from './mail-drafts';
import { remindParentsNow } from './parents-step';
import type { ScheduledTask, Services } from './ports';

/**
 * What each follow-up does when it falls due, on whichever instance took it. Every one re-reads
 * what it needs and checks it is still due, so running twice, or after the case ended, changes nothing.
 */
export function runScheduledTask(services: Services, task: ScheduledTask): Promise<void> {
  const ctx = services.newContext();
  switch (task.kind) {
    case 'escalate':
      return escalateIfUnclaimed(services, task.caseId, ctx);
    case 'remind':
      return remindAutomaticallyNow(services, task.caseId, ctx);
    case 'parents-remind':
      return remindParentsNow(services, task.caseId, ctx);
    case 'inform':
      return resumeInforming(services, task.caseId, ctx);
    case 'expire':
      return expireIfDue(services, task.caseId, ctx);
    case 'cleanup-retry':
      return services.cleanup.retry(task.card, task.key, ctx);
    case 'mail-draft-expire':
      return expireMailDraft(services, task.draftId, ctx);
  }
}
