import type { AdaptiveCardJson, IntakeFormCardData } from '../cards/card-data';
import { renderCard } from '../cards/render-card';
import { latestLocalDate } from '../domain/calendar';
import { isHwcError } from '../domain/errors';
import { rolesAt, type School } from '../domain/school';
import { parseSignal, signalSources, type SignalInput } from '../domain/signal';
import { stringsFor } from '../i18n/strings';
import type { RequestContext, Services } from './ports';
import { receiveSignal, type SignalReceipt } from './receive-signal';

/** Schools where this person may type in a signal: coordinators, deputies and intake users. */
export function intakeSchoolsOf(services: Services, staffId: string): School[] {
  return services.schools.all().filter((s) => rolesAt(s, staffId).length > 0);
}

export interface IntakeValues {
  schoolId: string;
  pupilName: string;
  birthDate: string;
  source: string;
}

const emptyValues: IntakeValues = { schoolId: '', pupilName: '', birthDate: '', source: '' };

/** The same form for a mail the bot could not read with certainty: its own title, verbs and notes. */
export interface IntakeFormVariant {
  submitVerb: IntakeFormCardData['submitVerb'];
  submitData: IntakeFormCardData['submitData'];
  notes: string[];
  otherActions: IntakeFormCardData['otherActions'];
  title: string;
  hint: string;
  submit: string;
}

export function intakeFormCard(
  services: Services,
  schools: readonly School[],
  locale: string | undefined,
  formId: string,
  values: IntakeValues = emptyValues,
  invalidFields: readonly string[] = [],
  variant?: IntakeFormVariant,
): AdaptiveCardJson {
  const t = stringsFor(locale);
  const data: IntakeFormCardData = {
    submitVerb: variant?.submitVerb ?? 'intake.submit',
    submitData: variant?.submitData ?? { formId },
    notes: variant?.notes ?? [],
    otherActions: variant?.otherActions ?? [],
    schools: schools.map((s) => ({ title: s.name, value: s.id })),
    sources: signalSources.map((s) => ({ title: t.sources[s], value: s })),
    today: latestLocalDate(
      schools.map((s) => s.timeZone),
      services.clock(),
    ),
    values,
    errors: {
      name: invalidFields.includes('pupil.name') ? t.intake.fields['pupil.name'] : '',
      birthDate: invalidFields.includes('pupil.birthDate') ? t.intake.fields['pupil.birthDate'] : '',
    },
    errorSummary: invalidFields.length > 0 ? t.intake.fixErrors : '',
    t: {
      title: variant?.title ?? t.intake.title,
      hint: variant?.hint ?? t.intake.hint,
      school: t.intake.school,
      name: t.intake.name,
      namePlaceholder: t.intake.namePlaceholder,
      birthDate: t.intake.birthDate,
      source: t.intake.source,
      submit: variant?.submit ?? t.intake.submit,
      fields: t.intake.fields,
    },
  };
  return renderCard('intake-form', data);
}

export type IntakeOutcome =
  | { kind: 'not-allowed'; card: AdaptiveCardJson }
  | { kind: 'invalid'; card: AdaptiveCardJson }
  | { kind: 'undelivered'; card: AdaptiveCardJson }
  | { kind: 'sent'; card: AdaptiveCardJson; receipt: SignalReceipt };

/**
 * Remembers which forms were sent, by the form's random id, so a double click or a retried
 * invoke posts one signal. Holds no pupil data: the id and the neutral receipt only. With Redis
 * it is shared by the instances (src/redis/redis-sent-forms.ts).
 */
export interface SentFormLedger {
  once(formId: string, send: () => Promise<SignalReceipt>): Promise<SignalReceipt>;
}

/** The ledger of one instance. */
export class SentForms implements SentFormLedger {
  private readonly sent = new Map<string, { at: number; receipt: Promise<SignalReceipt> }>();
  constructor(
    private readonly ttlMs = 24 * 60 * 60 * 1000,
    private readonly now: () => number = Date.now,
  ) {}

  once(key: string, send: () => Promise<SignalReceipt>): Promise<SignalReceipt> {
    const now = this.now();
    for (const [k, v] of this.sent) if (now - v.at > this.ttlMs) this.sent.delete(k);
    const existing = this.sent.get(key);
    if (existing) return existing.receipt;
    const receipt = send();
    this.sent.set(key, { at: now, receipt });
    // A failed send may be tried again with the same form.
    receipt.catch(() => this.sent.delete(key));
    return receipt;
  }
}

/**
 * The coordinator typed a signal into the form. It runs through the same pipeline as the API;
 * the answer is a neutral card, and the caller replaces the filled form with it.
 */
export async function submitIntakeForm(
  services: Services,
  sentForms: SentFormLedger,
  staffId: string,
  locale: string | undefined,
  formId: string,
  values: IntakeValues,
  ctx: RequestContext,
): Promise<IntakeOutcome> {
  const t = stringsFor(locale);
  const schools = intakeSchoolsOf(services, staffId);
  if (schools.length === 0) {
    ctx.log.warn('intake form submitted by someone without an intake role');
    return {
      kind: 'not-allowed',
      card: renderCard('notice', { title: t.notAvailable.title, body: t.intake.notAllowed }),
    };
  }
  const schoolId = values.schoolId || (schools.length === 1 ? (schools[0]?.id ?? '') : '');
  const today = latestLocalDate(
    schools.map((s) => s.timeZone),
    services.clock(),
  );
  const parsed = parseSignal(
    { schoolId, pupil: { name: values.pupilName, birthDate: values.birthDate }, source: values.source },
    { today, isKnownSchool: (id) => schools.some((s) => s.id === id) },
  );
  if (!parsed.ok) {
    const fields = parsed.violations.map((v) => v.field);
    ctx.log.info({ fields }, 'intake form has invalid fields');
    return { kind: 'invalid', card: intakeFormCard(services, schools, locale, formId, values, fields) };
  }
  const signal: SignalInput = parsed.signal;
  const school = schools.find((s) => s.id === signal.schoolId);
  try {
    const receipt = await sentForms.once(`${staffId}:${formId}`, () =>
      receiveSignal(services, signal, { kind: 'teams', id: staffId }, ctx),
    );
    return {
      kind: 'sent',
      receipt,
      card: renderCard('notice', {
        title: t.intake.sentTitle,
        body: t.intake.sentBody(receipt.deliveredTo, school?.name ?? signal.schoolId),
      }),
    };
  } catch (error) {
    if (!isHwcError(error, 'delivery.no-coordinator-reachable')) throw error;
    return {
      kind: 'undelivered',
      card: renderCard('notice', { title: t.intake.undeliveredTitle, body: t.intake.undeliveredBody }),
    };
  }
}
