import type { Strings } from '../i18n/strings';

/** The data each template in cards/ is expanded with. One interface per template file. */

export interface ShellCardData {
  /** What the view action carries: the case's id (or a mail draft's), nothing more. */
  viewData: { caseId: string } | { draftId: string };
  /** The same for a client without Action.Execute, which sends the verb in the data. */
  fallbackData: ({ caseId: string } | { draftId: string }) & { verb: string };
  /** The message's summary too: what the chat list and the notification show. Never the pupil. */
  summary: string;
  /** 'Ontvangen op maandag 30 november, 19:42', so two signals can be told apart; empty for a colleague. */
  received: string;
  /** The addressee's Teams user id (MRI), for automatic refresh; empty when not known yet. */
  userId: string;
  title: string;
  body: string;
  /** Neutral progress, such as who took the case on; empty for none. */
  status: string;
  viewLabel: string;
  /** 'case.view' for coordinators and deputies, 'colleague.view' for a colleague, 'mail-draft.view' for a mail to confirm. */
  viewVerb: 'case.view' | 'colleague.view' | 'mail-draft.view';
}

export interface CaseViewAction {
  title: string;
  verb: string;
  style: 'default' | 'positive' | 'destructive';
  /** The case id, plus what makes a repeat harmless (the support day or reminder round the card showed). */
  data: { caseId: string } & Record<string, string | number>;
  /** 'auto' sends the card's inputs (the parents choice) along; 'none' sends only `data`. */
  associatedInputs: 'auto' | 'none';
}

export interface Choice {
  title: string;
  value: string;
}

export interface CaseViewCardData {
  caseId: string;
  /** The first and most prominent line: before lessons on which day. */
  deadline: string;
  title: string;
  facts: { label: string; value: string }[];
  status: string;
  /** Further lines under the status (absences, a hand-over, a reminder sent). */
  notes: string[];
  /** What is missing from the last click (the parents step without a choice, say); empty for none. */
  error: string;
  agreedTitle: string;
  agreed: string[];
  colleaguesTitle: string;
  colleagues: { name: string; status: string }[];
  nextStep: string;
  parents: {
    show: boolean;
    label: string;
    /** Shown by the client when nothing is chosen: what is missing, not the question again. */
    missing: string;
    value: string;
    choices: Choice[];
    whoLabel: string;
    whoPlaceholder: string;
    /** The colleague who informs the parents, preselected. */
    who: string;
    /** The informed colleagues; the people picker finds the rest. */
    people: Choice[];
  };
  handOver: { show: boolean; title: string; label: string; choices: Choice[] };
  privacy: string;
  actions: CaseViewAction[];
}

export interface TalkFormCardData {
  caseId: string;
  pupilLine: string;
  /** Why no group teachers are suggested, when none are; empty otherwise. */
  hint: string;
  supportLabel: string;
  error: string;
  supportOptions: Choice[];
  maxNoteLength: number;
  noteHint: string;
  suggestedLabel: string;
  suggested: Choice[];
  staff: Choice[];
  values: { support: string; note: string; suggested: string; others: string; nobody: 'true' | 'false' };
  /** 'Niemand: de leerling wil niet dat iemand het weet' exists only when a talk took place (talk first). */
  showNobody: boolean;
  t: Pick<
    Strings['talk'],
    | 'title'
    | 'intro'
    | 'note'
    | 'notePlaceholder'
    | 'colleagues'
    | 'others'
    | 'othersPlaceholder'
    | 'nobody'
    | 'submit'
    | 'back'
  >;
}

export interface ColleagueViewCardData {
  caseId: string;
  title: string;
  intro: string;
  facts: { label: string; value: string }[];
  agreedTitle: string;
  agreed: string[];
  /** False for a colleague asked only to inform the parents: they see nothing of what was agreed. */
  showAgreed: boolean;
  whomToAsk: string;
  doNotPassOn: string;
  /** 'Gelezen om 08:14' once acknowledged; empty before. */
  acknowledged: string;
  showAcknowledge: boolean;
  parents: { show: boolean; title: string; text: string; done: string; canConfirm: boolean; confirm: string };
  /** Teacher first: the group teacher may say the pupil is not at school; the support day it shows. */
  absent: { show: boolean; title: string; forDay: string };
  refresh: string;
  t: Pick<Strings['colleague'], 'whatYouCanDoTitle' | 'whatYouCanDo' | 'acknowledge'>;
}

/** A question before a step that cannot be undone or skips a day, answered on the same card. */
export interface ConfirmCardData {
  title: string;
  /** Which pupil: served only to the coordinator, as an invoke response. */
  subject: string;
  body: string;
  confirm: {
    title: string;
    verb: string;
    style: 'default' | 'positive' | 'destructive';
    data: ({ caseId: string } | { draftId: string }) & { confirmed: true } & Record<
        string,
        string | number | boolean
      >;
  };
  back: string;
  /** Back to the view the question came from: the coordinator's, the colleague's, a mail draft's. */
  backVerb: 'case.view' | 'colleague.view' | 'mail-draft.view';
  backData: { caseId: string } | { draftId: string };
}

export interface NoticeCardData {
  title: string;
  body: string;
}

/** Sent when a case expired unfinished: what was left, as counts; never about whom. */
export interface ExpiryNoticeCardData {
  title: string;
  intro: string;
  items: string[];
  advice: string;
}

export interface IntakeFormCardData {
  /** 'intake.submit' for a typed-in signal, 'mail-draft.send' for a mail's corrected reading. */
  submitVerb: 'intake.submit' | 'mail-draft.send';
  /** The form's random id, or the mail draft's. */
  submitData: { formId: string } | { draftId: string };
  /** Lines under the hint: what the bot could not read with certainty. */
  notes: string[];
  /** Further buttons, which send no inputs ('Dit is geen signaal'). */
  otherActions: { title: string; verb: string; data: { draftId: string } }[];
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
  'talk-form': TalkFormCardData;
  'colleague-view': ColleagueViewCardData;
  notice: NoticeCardData;
  'expiry-notice': ExpiryNoticeCardData;
  'intake-form': IntakeFormCardData;
  confirm: ConfirmCardData;
}

export type CardTemplateName = keyof CardDataByTemplate;

/** An Adaptive Card as sent to Teams: plain JSON. */
export type AdaptiveCardJson = { type: 'AdaptiveCard'; version: string } & Record<string, unknown>;
