import type { Strings } from '../i18n/strings';

/** The data each template in cards/ is expanded with. One interface per template file. */

export interface ShellCardData {
  caseId: string;
  /** The addressee's Teams user id (MRI), for automatic refresh; empty when not known yet. */
  userId: string;
  title: string;
  body: string;
  /** Neutral progress, such as who took the case on; empty for none. */
  status: string;
  viewLabel: string;
}

export interface CaseViewAction {
  title: string;
  verb: string;
  style: 'default' | 'positive' | 'destructive';
}

export interface CaseViewCardData {
  caseId: string;
  title: string;
  facts: { label: string; value: string }[];
  status: string;
  nextStep: string;
  privacy: string;
  actions: CaseViewAction[];
}

export interface NoticeCardData {
  title: string;
  body: string;
}

export interface IntakeFormCardData {
  formId: string;
  schools: { title: string; value: string }[];
  sources: { title: string; value: string }[];
  today: string;
  values: { schoolId: string; pupilName: string; birthDate: string; source: string };
  errors: { name: string; birthDate: string };
  errorSummary: string;
  t: Pick<
    Strings['intake'],
    'title' | 'hint' | 'school' | 'name' | 'namePlaceholder' | 'birthDate' | 'source' | 'submit' | 'fields'
  >;
}

export interface CardDataByTemplate {
  shell: ShellCardData;
  'case-view': CaseViewCardData;
  notice: NoticeCardData;
  'intake-form': IntakeFormCardData;
}

export type CardTemplateName = keyof CardDataByTemplate;

/** An Adaptive Card as sent to Teams: plain JSON. */
export type AdaptiveCardJson = { type: 'AdaptiveCard'; version: string } & Record<string, unknown>;
