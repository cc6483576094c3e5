import type { ParentsChoice } from '../domain/case';
import type { SignalSource } from '../domain/signal';
import type { MailRefusal } from '../domain/mail-sender';
import type { UncertainReason } from '../domain/signal-mail';

export type Language = 'nl' | 'en';

/** A day as a card names it: 'vandaag' when it is today, else the day itself ('dinsdag 1 december'). */
export interface DayWords {
  today: boolean;
  /** 'dinsdag 1 december' / 'Tuesday 1 December'. */
  day: string;
}

/** Everything a user reads. Dutch is the product's first language; English mirrors it. */
export interface Strings {
  appName: string;
  shell: {
    title: string;
    body: string;
    claimedBy: (name: string) => string;
    view: string;
    colleagueBody: string;
    progress: (acknowledged: number, reached: number) => string;
    /** While the cards to the colleagues go out: how many are in their chats, of how many. */
    sending: (sent: number, total: number) => string;
    nobodyInformed: string;
    colleagueReminder: string;
    coordinatorReminder: (time: string) => string;
    deputyEscalation: string;
    handedOverToYou: (name: string) => string;
    movedTo: (day: string) => string;
    /** The posted card's title and the chat list's text: the deadline, never the pupil. */
    deadlineTitle: (day: string) => string;
    received: (dayAndTime: string) => string;
    summary: (day: string, receivedTime: string) => string;
    colleagueTitle: (day: string) => string;
    colleagueSummary: (day: string) => string;
    parentsAsked: string;
    parentsReminder: string;
  };
  view: {
    title: string;
    pupil: string;
    birthDate: string;
    received: string;
    source: string;
    /** The first line of the view: before lessons today, or on the day it is. */
    deadlineLine: (when: DayWords, time: string) => string;
    unclaimed: string;
    claimedBy: (name: string, time: string) => string;
    claimedByYou: (time: string) => string;
    nextStepUnclaimed: string;
    nextStepOwner: (when: DayWords) => string;
    claim: string;
    notOurPupil: string;
    refresh: string;
    privacy: (when: DayWords) => string;
    group: string;
    talked: string;
    pupilAbsent: string;
    absentOnlyOnSupportDay: (day: string) => string;
    absences: (count: number, left: number) => string;
    handOver: string;
    handOverTo: string;
    handedOverBy: (name: string) => string;
    agreed: string;
    nothingAgreed: string;
    colleagues: string;
    colleagueRead: (time: string) => string;
    colleagueWaiting: string;
    colleagueSending: string;
    colleagueUnreachable: string;
    unnamedColleague: string;
    nobodyInformed: string;
    progress: (acknowledged: number, reached: number) => string;
    /** While the cards to the colleagues go out: how many are in their chats, of how many. */
    sending: (sent: number, total: number) => string;
    remind: string;
    reminded: (count: number) => string;
    parentsQuestion: string;
    parentsMissing: string;
    parentsChoices: Record<ParentsChoice, string>;
    parentsWho: string;
    parentsWhoPlaceholder: string;
    parentsWhoMissing: string;
    recordParents: string;
    parentsDone: string;
    parentsWaitingForYou: string;
    parentsWaitingFor: (name: string) => string;
    parentsDoneBy: (name: string, time: string) => string;
    parentsNotNow: string;
    informsParents: string;
    informedParents: (time: string) => string;
    closeEarly: string;
    nextStepInforming: string;
  };
  /** Asked before a step that cannot be undone or skips a day. */
  confirm: {
    back: string;
    pupilAbsent: {
      title: string;
      body: (today: string, nextDay: string) => string;
      bodyLast: string;
      confirm: (nextDay: string) => string;
      confirmLast: string;
    };
    notOurPupil: { title: string; body: string; confirm: string };
  };
  talk: {
    title: string;
    intro: string;
    support: (when: DayWords) => string;
    pupilNotFound: string;
    noDirectory: string;
    note: string;
    notePlaceholder: string;
    noteHint: (max: number) => string;
    colleagues: string;
    suggested: (group: string) => string;
    others: string;
    othersPlaceholder: string;
    nobody: string;
    submit: string;
    back: string;
    errors: {
      choose: string;
      both: string;
      invalid: string;
      tooMany: (max: number) => string;
      noteTooLong: (max: number) => string;
    };
  };
  colleague: {
    title: (when: DayWords) => string;
    intro: (coordinator: string) => string;
    whatYouCanDoTitle: string;
    whatYouCanDo: string;
    whomToAsk: (name: string) => string;
    doNotPassOn: (when: DayWords) => string;
    acknowledge: string;
    acknowledgedAt: (time: string) => string;
    acknowledgedAndClosed: { title: string; body: string };
    parentsTitle: string;
    parentsAsk: (coordinator: string) => string;
    parentsOnlyIntro: (coordinator: string) => string;
    parentsDone: string;
    parentsDoneAt: (time: string) => string;
    parentsNoLonger: (coordinator: string) => string;
    parentsDoneAndClosed: { title: string; body: string };
  };
  ended: {
    completed: { title: string; body: string };
    unreachable: (count: number) => string;
    pupilAbsent: { title: string; body: string };
  };
  sources: Record<SignalSource, string>;
  closed: { title: string; body: string };
  /** The view of a case that ended: it is completed and its data deleted. */
  deleted: { title: string; body: string };
  notAvailable: { title: string; body: string };
  /** The store (Redis) did not answer: nothing was lost or changed, try again. */
  tryAgain: { title: string; body: string };
  /** A card whose case the bot no longer holds, by how it ended (its tombstone), or not known at all. */
  gone: {
    closedEarly: { title: string; body: string };
    notOurPupil: { title: string; body: string };
    expired: { title: string; body: string };
    unknown: { title: string; body: string };
    /** An ended case whose ending the card does not know (a cleanup noted before endings were kept). */
    ended: { title: string; body: string };
  };
  expired: {
    title: string;
    intro: (day: string) => string;
    notClaimed: string;
    talkNotRecorded: string;
    notAcknowledged: (count: number) => string;
    unreachable: (count: number) => string;
    parentsNotRecorded: string;
    parentsNotConfirmed: string;
    advice: string;
  };
  /**
   * The words of the teacher-first procedure (README, "Two procedures"), where no talk with the
   * pupil is recorded: the coordinator informs the group teacher, who is there for the pupil.
   */
  teacherFirst: {
    shellColleagueBody: string;
    deputyEscalation: string;
    nextStepUnclaimed: string;
    nextStepOwner: (when: DayWords) => string;
    informTeacher: string;
    suggestionsTitle: string;
    nothingSuggested: string;
    absentBody: (today: string, nextDay: string) => string;
    absentOnlyOnSupportDay: (day: string) => string;
    form: {
      title: string;
      intro: string;
      support: (when: DayWords) => string;
      note: string;
      notePlaceholder: string;
      colleagues: string;
      submit: string;
      pupilNotFound: string;
      noDirectory: string;
      choose: string;
    };
    colleague: {
      intro: (coordinator: string, when: DayWords) => string;
      suggestionsTitle: (coordinator: string) => string;
      nothingSuggested: string;
      whatYouCanDo: string;
      parentsOnlyIntro: (coordinator: string) => string;
      pupilAbsent: string;
    };
    teacherNotInformed: string;
  };
  /** A mail in the Handle with Care mailbox that the bot did not take: why, never what it said. */
  mail: {
    notProcessedTitle: string;
    notProcessedBody: (reason: string) => string;
    reasons: Record<MailRefusal, string>;
    /** The answer to a mail's sender (schools with `receipts`): that it arrived, never about whom. */
    receiptSubject: string;
    receiptBody: (school: string, dayAndTime: string) => string;
    notOurPupilSubject: string;
    notOurPupilBody: (school: string, dayAndTime: string) => string;
  };
  /**
   * A mail the bot could not read with certainty, waiting for a coordinator: the neutral card
   * names no pupil; the view (served on invoke only) shows what was read, to correct and send.
   */
  mailDraft: {
    summary: string;
    title: string;
    received: (dayAndTime: string) => string;
    body: string;
    view: string;
    formTitle: string;
    formHint: (mailbox: string) => string;
    unclear: (reasons: string) => string;
    reasons: Record<UncertainReason, string>;
    send: string;
    notASignal: string;
    confirmTitle: string;
    confirmSubject: string;
    confirmBody: string;
    confirm: string;
    sentBy: (name: string) => string;
    notASignalBy: (name: string) => string;
    notASignalDone: string;
    unconfirmed: string;
    gone: string;
  };
  intake: {
    title: string;
    hint: string;
    school: string;
    name: string;
    namePlaceholder: string;
    birthDate: string;
    source: string;
    submit: string;
    fixErrors: string;
    fields: Record<'schoolId' | 'pupil.name' | 'pupil.birthDate' | 'source', string>;
    sentTitle: string;
    sentBody: (count: number, school: string) => string;
    undeliveredTitle: string;
    undeliveredBody: string;
    notAllowed: string;
  };
  help: string;
  welcome: string;
  unsupportedClient: string;
  /** After an unexpected error: neutral, with the correlation id to quote. */
  turnError: (reference: string) => string;
}

const nl: Strings = {
  appName: 'Handle with Care',
  shell: {
    title: 'Handle with Care',
    body: 'Er is een Handle with Care-taak voor je. Open de kaart om te zien om welke leerling het gaat.',
    claimedBy: (name) => `Opgepakt door ${name}.`,
    view: 'Bekijk',
    colleagueBody:
      'Er is een vertrouwelijke Handle with Care-mededeling voor je. Open de kaart om te lezen wat er is afgesproken.',
    progress: (acknowledged, reached) => `${acknowledged} van ${reached} gelezen.`,
    sending: (sent, total) => `${sent} van ${total} verstuurd…`,
    nobodyInformed: 'Niemand geïnformeerd. De stap naar de ouders staat nog open.',
    colleagueReminder: 'Herinnering: lees deze kaart graag vóór de lessen.',
    coordinatorReminder: (time) => `Herinnering: nog niet opgepakt. De lessen beginnen om ${time}.`,
    deputyEscalation:
      'Nog niet opgepakt door een coördinator. Pak het op als jij de leerling vóór de lessen kunt opzoeken.',
    handedOverToYou: (name) => `Aan jou overgedragen door ${name}.`,
    movedTo: (day) => `Verplaatst naar ${day}: de leerling was er niet.`,
    deadlineTitle: (day) => `Handle with Care: vóór de lessen op ${day}`,
    received: (dayAndTime) => `Ontvangen op ${dayAndTime}.`,
    summary: (day, time) => `Handle with Care: vóór de lessen op ${day} (ontvangen ${time})`,
    colleagueTitle: (day) => `Handle with Care: ${day}`,
    colleagueSummary: (day) => `Handle with Care: vertrouwelijke mededeling voor ${day}`,
    parentsAsked: 'Je wordt gevraagd de ouders te informeren. Open de kaart.',
    parentsReminder: 'Herinnering: laat weten of de ouders zijn geïnformeerd.',
  },
  view: {
    title: 'Handle with Care-signaal',
    pupil: 'Leerling',
    birthDate: 'Geboortedatum',
    received: 'Ontvangen',
    source: 'Van',
    deadlineLine: (when, time) =>
      when.today ? `Vandaag vóór de lessen, om ${time}` : `Vóór de lessen op ${when.day}, om ${time}`,
    unclaimed: 'Nog niet opgepakt.',
    claimedBy: (name, time) => `Opgepakt door ${name} om ${time}.`,
    claimedByYou: (time) => `Jij hebt dit signaal opgepakt om ${time}.`,
    nextStepUnclaimed:
      'Pak het signaal op als jij de leerling aan het begin van de schooldag opzoekt. De andere coördinatoren zien dan dat het is opgepakt.',
    nextStepOwner: (when) =>
      when.today
        ? 'Zoek de leerling op aan het begin van de schooldag. Bespreek samen wat de leerling vandaag nodig heeft en wie het op school mag weten.'
        : `Zoek de leerling op aan het begin van de schooldag op ${when.day}. Bespreek samen wat de leerling die dag nodig heeft en wie het op school mag weten.`,
    claim: 'Oppakken',
    notOurPupil: 'Niet onze leerling',
    refresh: 'Vernieuwen',
    privacy: (when) =>
      `Dit signaal wordt nergens opgeslagen. Aan het eind van ${when.today ? 'vandaag' : when.day} is het verwijderd.`,
    group: 'Groep',
    talked: 'Gesprek gevoerd',
    pupilAbsent: 'Leerling is er vandaag niet',
    absentOnlyOnSupportDay: (day) =>
      `‘Leerling is er vandaag niet’ kan pas op ${day}, de dag waarop je de leerling opzoekt. Er is niets veranderd.`,
    absences: (count, left) =>
      `De leerling was er ${count === 1 ? '1 keer' : `${count} keer`} niet; het signaal is verplaatst. ${left === 0 ? 'Is de leerling er weer niet, dan wordt het signaal afgesloten.' : `Nog ${left} keer verplaatsen mogelijk.`}`,
    handOver: 'Overdragen',
    handOverTo: 'Aan wie draag je het signaal over?',
    handedOverBy: (name) => `Overgedragen door ${name}.`,
    agreed: 'Afgesproken',
    nothingAgreed: 'Niets bijzonders afgesproken.',
    colleagues: 'Collega’s',
    colleagueRead: (time) => `gelezen om ${time}`,
    colleagueWaiting: 'nog niet',
    colleagueSending: 'wordt verstuurd…',
    colleagueUnreachable: 'niet bereikbaar via Teams: vertel het persoonlijk',
    unnamedColleague: 'Collega',
    nobodyInformed: 'Niemand geïnformeerd: de leerling wil niet dat iemand het weet.',
    progress: (acknowledged, reached) => `${acknowledged} van ${reached} gelezen.`,
    sending: (sent, total) => `${sent} van ${total} verstuurd…`,
    remind: 'Herinner',
    reminded: (count) => `${count === 1 ? '1 collega' : `${count} collega’s`} opnieuw gevraagd om te lezen.`,
    parentsQuestion: 'Ouders: wie informeert hen over de stappen op school?',
    parentsMissing: 'Kies wie de ouders informeert, of ‘Nu niet’.',
    parentsChoices: {
      'by-me': 'Ik informeer de ouders',
      'by-group-teacher': 'De groepsleerkracht (of een andere collega) informeert de ouders',
      'not-now': 'Nu niet (niet veilig, of Veilig Thuis doet het)',
    },
    parentsWho: 'Welke collega informeert de ouders?',
    parentsWhoPlaceholder: 'Zoek een collega',
    parentsWhoMissing: 'Kies welke collega de ouders informeert.',
    recordParents: 'Ouders vastleggen',
    parentsDone: 'Ouders geïnformeerd',
    parentsWaitingForYou:
      'Ouders: jij informeert hen. Druk op ‘Ouders geïnformeerd’ als dat gebeurd is; anders krijg je tegen het eind van de schooldag een herinnering.',
    parentsWaitingFor: (name) =>
      `Ouders: ${name} informeert hen en laat het weten met ‘Ouders geïnformeerd’. Hoorde je het al persoonlijk, druk dan zelf op ‘Ouders geïnformeerd’.`,
    parentsDoneBy: (name, time) => `Ouders: geïnformeerd door ${name}, gemeld om ${time}.`,
    parentsNotNow: 'Ouders: nu niet.',
    informsParents: 'informeert de ouders',
    informedParents: (time) => `ouders geïnformeerd, gemeld om ${time}`,
    closeEarly: 'Afsluiten',
    nextStepInforming:
      'Als alle collega’s hebben gelezen en de ouders zijn geïnformeerd (of je kiest ‘Nu niet’), wordt het signaal afgesloten en verwijderd.',
  },
  confirm: {
    back: 'Terug',
    pupilAbsent: {
      title: 'Is de leerling er vandaag niet?',
      body: (today, nextDay) =>
        `Dan gaat het signaal van ${today} naar ${nextDay}: zoek de leerling die dag vóór de lessen op.`,
      bodyLast:
        'De leerling was er al eerder niet. Het signaal wordt nu afgesloten en verwijderd. Ga na of er nog iets nodig is en regel dat persoonlijk.',
      confirm: (nextDay) => `Ja, verplaats naar ${nextDay}`,
      confirmLast: 'Ja, afsluiten',
    },
    notOurPupil: {
      title: 'Niet onze leerling?',
      body: 'Het signaal wordt dan gesloten en meteen verwijderd; dat kan niet ongedaan worden gemaakt. Laat de afzender weten dat het signaal naar een andere school moet.',
      confirm: 'Ja, niet onze leerling',
    },
  },
  talk: {
    title: 'Gesprek gevoerd',
    intro: 'Leg vast wat je met de leerling hebt afgesproken en wie het op school mag weten.',
    support: (when) =>
      when.today ? 'Wat heeft de leerling vandaag nodig?' : `Wat heeft de leerling op ${when.day} nodig?`,
    pupilNotFound:
      'De leerling staat niet (eenduidig) in de leerlingadministratie, dus de groep is niet gevonden. Kies zelf de collega’s die het mogen weten.',
    noDirectory:
      'Er is geen leerlingadministratie gekoppeld, dus er zijn geen groepsleerkrachten voorgesteld. Kies zelf de collega’s die het mogen weten.',
    note: 'Verder afgesproken (kort)',
    notePlaceholder: 'Bijvoorbeeld: mag even naar de gang als het te veel wordt',
    noteHint: (max) =>
      `Maximaal ${max} tekens. Schrijf niets over de thuissituatie: deze tekst gaat naar de collega’s die je kiest.`,
    colleagues: 'Wie mag het weten?',
    suggested: (group) => `Groepsleerkracht van ${group} (volgens de leerlingadministratie)`,
    others: 'Andere collega’s',
    othersPlaceholder: 'Zoek een collega',
    nobody: 'Niemand: de leerling wil niet dat iemand het weet',
    submit: 'Vastleggen en informeren',
    back: 'Terug',
    errors: {
      choose: 'Kies wie het mag weten, of kies ‘Niemand’.',
      both: 'Kies collega’s óf ‘Niemand’, niet allebei.',
      invalid: 'Controleer wat je hebt ingevuld.',
      tooMany: (max) => `Kies hoogstens ${max} collega’s.`,
      noteTooLong: (max) => `Houd de tekst kort: hoogstens ${max} tekens.`,
    },
  },
  colleague: {
    title: (when) => `Handle with Care: ${when.today ? 'vandaag' : when.day}`,
    intro: (coordinator) => `${coordinator} heeft met de leerling gesproken. Jij mag dit weten.`,
    whatYouCanDoTitle: 'Wat kun je doen?',
    whatYouCanDo:
      'Laat de leerling merken dat je er bent en houd je aan wat is afgesproken. Vraag niet naar thuis; geef ruimte als de leerling zelf iets wil vertellen.',
    whomToAsk: (name) => `Vragen? Neem contact op met ${name}.`,
    doNotPassOn: (when) =>
      `Vertel dit niet verder. Deze mededeling wordt nergens bewaard en verdwijnt aan het eind van ${when.today ? 'vandaag' : when.day}.`,
    acknowledge: 'Gelezen',
    acknowledgedAt: (time) => `Gelezen om ${time}. Dank je.`,
    acknowledgedAndClosed: {
      title: 'Gelezen',
      body: 'Dank je. Deze mededeling is afgerond en verwijderd.',
    },
    parentsTitle: 'De ouders',
    parentsAsk: (coordinator) =>
      `${coordinator} vraagt jou de ouders te informeren over de stappen op school. Druk op ‘Ouders geïnformeerd’ als dat gebeurd is.`,
    parentsOnlyIntro: (coordinator) =>
      `${coordinator} heeft een Handle with Care-signaal over deze leerling ontvangen en met de leerling besproken.`,
    parentsDone: 'Ouders geïnformeerd',
    parentsDoneAt: (time) => `Je hebt om ${time} laten weten dat de ouders zijn geïnformeerd. Dank je.`,
    parentsNoLonger: (coordinator) =>
      `${coordinator} informeert de ouders nu zelf. Je hoeft daar niets meer voor te doen.`,
    parentsDoneAndClosed: {
      title: 'Ouders geïnformeerd',
      body: 'Dank je. Het signaal is afgerond en verwijderd.',
    },
  },
  ended: {
    completed: {
      title: 'Afgerond',
      body: 'De collega’s hebben gelezen en de stap naar de ouders is vastgelegd. Het signaal is afgesloten en verwijderd.',
    },
    unreachable: (count) =>
      `${count === 1 ? '1 collega was' : `${count} collega’s waren`} niet via Teams te bereiken: vertel het persoonlijk, als je dat nog niet deed.`,
    pupilAbsent: {
      title: 'Afgesloten',
      body: 'De leerling was er te vaak niet. Het signaal is afgesloten en verwijderd.',
    },
  },
  sources: { police: 'Politie', municipality: 'Gemeente (leerplicht)', 'veilig-thuis': 'Veilig Thuis' },
  closed: {
    title: 'Afgerond',
    body: 'Deze Handle with Care-taak is afgerond. De gegevens zijn verwijderd.',
  },
  deleted: {
    title: 'Afgerond en verwijderd',
    body: 'Dit Handle with Care-signaal is afgerond. Alle gegevens ervan zijn verwijderd; er is niets meer te zien.',
  },
  expired: {
    title: 'Signaal verlopen en verwijderd',
    intro: (day) =>
      `Een Handle with Care-signaal voor ${day} is aan het eind van die dag verlopen. Alle gegevens ervan zijn verwijderd. Nog niet alles was gedaan:`,
    notClaimed: 'Niemand had het signaal opgepakt.',
    talkNotRecorded: 'Het gesprek met de leerling was niet vastgelegd.',
    notAcknowledged: (count) =>
      count === 1
        ? '1 collega had de mededeling niet gelezen.'
        : `${count} collega’s hadden de mededeling niet gelezen.`,
    unreachable: (count) =>
      count === 1
        ? '1 collega was niet via Teams te bereiken.'
        : `${count} collega’s waren niet via Teams te bereiken.`,
    parentsNotRecorded: 'De stap naar de ouders was niet vastgelegd.',
    parentsNotConfirmed: 'Niemand had gemeld dat de ouders waren geïnformeerd.',
    advice:
      'Ga na of er nog iets nodig is en regel dat persoonlijk. Deze melding noemt met opzet geen leerling; de bot weet er niets meer van.',
  },
  tryAgain: {
    title: 'Probeer het zo opnieuw',
    body: 'De bot kan deze taak nu even niet ophalen. Er is niets verloren gegaan en niets veranderd. Probeer het over een minuut opnieuw.',
  },
  gone: {
    closedEarly: {
      title: 'Afgesloten en verwijderd',
      body: 'Dit Handle with Care-signaal is door de coördinator afgesloten. Alle gegevens ervan zijn verwijderd.',
    },
    notOurPupil: {
      title: 'Gesloten: niet onze leerling',
      body: 'Een coördinator gaf aan dat dit niet onze leerling is. Het signaal is gesloten en alle gegevens zijn verwijderd.',
    },
    expired: {
      title: 'Verlopen en verwijderd',
      body: 'Dit Handle with Care-signaal is verlopen aan het eind van de dag waarvoor het gold. Alle gegevens ervan zijn verwijderd.',
    },
    ended: {
      title: 'Beëindigd en verwijderd',
      body: 'Dit Handle with Care-signaal is beëindigd. Alle gegevens ervan zijn verwijderd.',
    },
    unknown: {
      title: 'Onbekend signaal',
      body: 'De bot kent dit Handle with Care-signaal niet (meer). Vraag de andere coördinatoren of iemand het heeft opgepakt. Zo niet, vraag de afzender het signaal opnieuw te sturen.',
    },
  },
  notAvailable: {
    title: 'Niet beschikbaar',
    body: 'Deze taak is niet (meer) beschikbaar voor jou. Afgeronde taken worden direct verwijderd.',
  },
  teacherFirst: {
    shellColleagueBody:
      'Er is een vertrouwelijke Handle with Care-mededeling voor je. Open de kaart om te lezen wat er van je gevraagd wordt.',
    deputyEscalation:
      'Nog niet opgepakt door een coördinator. Pak het op als jij de groepsleerkracht vóór de lessen kunt informeren.',
    nextStepUnclaimed:
      'Pak het signaal op als jij de groepsleerkracht van de leerling informeert. De andere coördinatoren zien dan dat het is opgepakt.',
    nextStepOwner: (when) =>
      when.today
        ? 'Informeer zo snel mogelijk de groepsleerkracht van de leerling, in elk geval vóór de lessen. De groepsleerkracht is er vandaag voor de leerling; je kunt suggesties meegeven.'
        : `Informeer zo snel mogelijk de groepsleerkracht van de leerling, in elk geval vóór de lessen op ${when.day}. De groepsleerkracht is er die dag voor de leerling; je kunt suggesties meegeven.`,
    informTeacher: 'Groepsleerkracht informeren',
    suggestionsTitle: 'Suggesties voor de groepsleerkracht',
    nothingSuggested: 'Geen suggesties meegegeven.',
    absentBody: (today, nextDay) =>
      `Dan gaat het signaal van ${today} naar ${nextDay}: de groepsleerkracht is er die dag voor de leerling.`,
    absentOnlyOnSupportDay: (day) =>
      `‘Leerling is er vandaag niet’ kan pas op ${day}, de dag waarop de groepsleerkracht er voor de leerling is. Er is niets veranderd.`,
    form: {
      title: 'Groepsleerkracht informeren',
      intro:
        'Laat de groepsleerkracht weten dat er een Handle with Care-signaal is. De groepsleerkracht is er voor de leerling en kijkt in de klas wat nodig is; jouw suggesties helpen daarbij.',
      support: (when) =>
        `Suggesties voor ${when.today ? 'vandaag' : when.day} (niet met de leerling afgesproken; de groepsleerkracht beslist)`,
      note: 'Korte notitie voor de groepsleerkracht',
      notePlaceholder: 'Bijvoorbeeld: de leerling zit graag vooraan',
      colleagues: 'Wie informeer je?',
      submit: 'Informeren',
      pupilNotFound:
        'De leerling staat niet (eenduidig) in de leerlingadministratie, dus de groep is niet gevonden. Kies zelf de groepsleerkracht.',
      noDirectory:
        'Er is geen leerlingadministratie gekoppeld, dus er is geen groepsleerkracht voorgesteld. Kies zelf de groepsleerkracht.',
      choose: 'Kies de groepsleerkracht (of een andere collega) die je informeert.',
    },
    colleague: {
      intro: (coordinator, when) =>
        `${coordinator} heeft een Handle with Care-signaal over deze leerling ontvangen en vraagt jou om er ${when.today ? 'vandaag' : `op ${when.day}`} voor de leerling te zijn.`,
      suggestionsTitle: (coordinator) => `Suggesties van ${coordinator}`,
      nothingSuggested: 'Geen suggesties: kijk zelf wat de leerling nodig heeft.',
      whatYouCanDo:
        'Laat de leerling merken dat je er voor hem of haar bent. Geef ruimte om het verhaal te doen als de leerling dat wil; vraag niet naar thuis. Een toets kan naar een andere dag, en de leerling mag in de les even op een rustig plekje zitten om tot rust te komen.',
      parentsOnlyIntro: (coordinator) =>
        `${coordinator} heeft een Handle with Care-signaal over deze leerling ontvangen.`,
      pupilAbsent: 'Leerling is er vandaag niet',
    },
    teacherNotInformed: 'De groepsleerkracht was niet geïnformeerd.',
  },
  mail: {
    notProcessedTitle: 'Mail niet verwerkt',
    notProcessedBody: (reason) =>
      `Er staat een mail in de map ‘Niet verwerkt’ van de Handle with Care-mailbox: ${reason}. Bekijk hem zelf. Is het een signaal voor onze school, voer het dan in met **nieuw signaal** en verwijder de mail daarna.`,
    reasons: {
      'no-school': 'hij is niet aan één van onze scholen gericht',
      'unknown-sender': 'de afzender staat niet op de lijst van afzenders',
      'not-authenticated': 'hij kwam niet door de echtheidscontrole (DMARC) van het domein van de afzender',
      encrypted: 'hij is versleuteld of ondertekend (S/MIME), zodat de bot hem niet kan lezen',
      attachment: 'hij heeft een bijlage, en het signaal staat misschien daarin',
      'too-large': 'hij is te groot voor een signaal',
      uncertain: 'de bot kon de naam en de geboortedatum van één leerling niet zeker lezen',
      'several-pupils': 'er staan meer leerlingen in; voer elk signaal apart in',
      'too-late': 'de schooldag waarvoor het signaal gold, is al voorbij',
      unconfirmed: 'niemand heeft hem vóór het einde van de schooldag bevestigd',
    },
    notOurPupilSubject: 'Handle with Care-signaal: niet onze leerling',
    notOurPupilBody: (school, dayAndTime) =>
      `${school}: niet onze leerling. Stuur het signaal van ${dayAndTime} naar de juiste school.\n\nDeze mail noemt met opzet geen leerling. De school heeft het signaal en uw mail verwijderd.\n\nDit is een automatisch bericht van de Handle with Care-app van de school; een antwoord op deze mail wordt niet gelezen.`,
    receiptSubject: 'Handle with Care-signaal ontvangen',
    receiptBody: (school, dayAndTime) =>
      `Uw Handle with Care-signaal is ontvangen door ${school} op ${dayAndTime}.\n\nDeze mail noemt met opzet geen leerling. De school heeft uw mail na ontvangst verwijderd.\n\nDit is een automatisch bericht van de Handle with Care-app van de school; een antwoord op deze mail wordt niet gelezen.`,
  },
  mailDraft: {
    summary: 'Handle with Care-mail om te controleren',
    title: 'Handle with Care-mail: controleer wat de bot las',
    received: (dayAndTime) => `Binnengekomen op ${dayAndTime}`,
    body: 'De bot kon deze mail niet zeker lezen. Bekijk wat hij las, verbeter het en verstuur het als signaal, of geef aan dat het geen signaal is. Tot dan blijft de mail in de Handle with Care-mailbox.',
    view: 'Bekijk',
    formTitle: 'Handle with Care-mail controleren',
    formHint: (mailbox) =>
      `Controleer de naam en de geboortedatum met de mail zelf (Postvak IN van ${mailbox}). Na versturen verwijdert de bot de mail.`,
    unclear: (reasons) => `Niet zeker: ${reasons}.`,
    reasons: {
      'no-name': 'geen naam gevonden',
      'no-birth-date': 'geen geboortedatum gevonden',
      'several-dates': 'er staan meer datums in de mail',
      'several-pupils': 'er staan meer leerlingen in de mail',
      'no-codeword': "de woorden 'Handle with Care' ontbreken",
      'invalid-name': 'de naam is niet goed te lezen',
      'invalid-birth-date': 'de geboortedatum is niet goed te lezen',
    },
    send: 'Verstuur als signaal',
    notASignal: 'Dit is geen signaal',
    confirmTitle: 'Is dit geen signaal?',
    confirmSubject: 'Handle with Care-mail',
    confirmBody:
      'De bot verplaatst de mail naar de map ‘Niet verwerkt’ van de Handle with Care-mailbox en vergeet wat hij las. De andere coördinatoren zien dat jij dit hebt beslist.',
    confirm: 'Ja, geen signaal',
    sentBy: (name) => `${name} heeft deze mail als signaal verstuurd.`,
    notASignalBy: (name) =>
      `${name} heeft aangegeven dat deze mail geen signaal is. Hij staat in de map ‘Niet verwerkt’ van de Handle with Care-mailbox.`,
    notASignalDone:
      'De mail staat nu in de map ‘Niet verwerkt’ van de Handle with Care-mailbox. Verwijder hem daar als je hem niet meer nodig hebt.',
    unconfirmed:
      'Niemand heeft deze mail vóór het einde van de schooldag bevestigd. Hij staat nu in de map ‘Niet verwerkt’ van de Handle with Care-mailbox: bekijk hem zelf.',
    gone: 'Deze mail is al afgehandeld.',
  },
  intake: {
    title: 'Nieuw Handle with Care-signaal',
    hint: 'Alleen de naam en de geboortedatum van de leerling. Schrijf hier niets over de thuissituatie.',
    school: 'School',
    name: 'Naam van de leerling',
    namePlaceholder: 'Voornaam en achternaam',
    birthDate: 'Geboortedatum',
    source: 'Signaal van',
    submit: 'Versturen',
    fixErrors: 'Controleer de gemarkeerde velden.',
    fields: {
      schoolId: 'Kies een school.',
      'pupil.name':
        'Vul de naam van de leerling in: met letters, zonder onzichtbare tekens of leesrichtingstekens (maximaal 200 tekens).',
      'pupil.birthDate': 'Vul een geldige geboortedatum in, niet in de toekomst.',
      source: 'Kies van wie het signaal komt.',
    },
    sentTitle: 'Signaal doorgestuurd',
    sentBody: (count, school) =>
      `Het signaal staat bij ${count === 1 ? '1 coördinator' : `${count} coördinatoren`} van ${school}. Dit formulier is leeggemaakt; het signaal wordt nergens bewaard.`,
    undeliveredTitle: 'Niet afgeleverd',
    undeliveredBody:
      'Het signaal kon bij geen enkele coördinator worden afgeleverd en is niet bewaard. Probeer het zo opnieuw, of bel de coördinator.',
    notAllowed:
      'Je staat bij geen school geregistreerd als iemand die Handle with Care-signalen mag invoeren.',
  },
  help: 'Ik zet Handle with Care-signalen voor je klaar. Typ **nieuw signaal** om er zelf een in te voeren. Signalen worden nergens bewaard.',
  welcome:
    'Welkom bij Handle with Care. Als er een signaal voor jouw school binnenkomt, krijg je hier een kaart. Typ **help** voor meer.',
  unsupportedClient:
    'Deze versie van Teams kan deze kaart niet tonen. Werk Teams bij en probeer het opnieuw.',
  turnError: (reference) => `Er ging iets mis. Probeer het later opnieuw. (referentie: ${reference})`,
};

const en: Strings = {
  appName: 'Handle with Care',
  shell: {
    title: 'Handle with Care',
    body: 'There is a Handle with Care task for you. Open the card to see which pupil it is about.',
    claimedBy: (name) => `Taken on by ${name}.`,
    view: 'View',
    colleagueBody:
      'There is a confidential Handle with Care message for you. Open the card to read what was agreed.',
    progress: (acknowledged, reached) => `${acknowledged} of ${reached} read.`,
    sending: (sent, total) => `${sent} of ${total} sent…`,
    nobodyInformed: 'Nobody informed. The parents step is still open.',
    colleagueReminder: 'Reminder: please read this card before lessons.',
    coordinatorReminder: (time) => `Reminder: not taken on yet. Lessons start at ${time}.`,
    deputyEscalation:
      'Not taken on by a coordinator yet. Take it on if you can see the pupil before lessons.',
    handedOverToYou: (name) => `Handed over to you by ${name}.`,
    movedTo: (day) => `Moved to ${day}: the pupil was not at school.`,
    deadlineTitle: (day) => `Handle with Care: before lessons on ${day}`,
    received: (dayAndTime) => `Received on ${dayAndTime}.`,
    summary: (day, time) => `Handle with Care: before lessons on ${day} (received ${time})`,
    colleagueTitle: (day) => `Handle with Care: ${day}`,
    colleagueSummary: (day) => `Handle with Care: confidential message for ${day}`,
    parentsAsked: 'You are asked to inform the parents. Open the card.',
    parentsReminder: 'Reminder: please say whether the parents have been informed.',
  },
  view: {
    title: 'Handle with Care signal',
    pupil: 'Pupil',
    birthDate: 'Date of birth',
    received: 'Received',
    source: 'From',
    deadlineLine: (when, time) =>
      when.today ? `Today before lessons, at ${time}` : `Before lessons on ${when.day}, at ${time}`,
    unclaimed: 'Not taken on yet.',
    claimedBy: (name, time) => `Taken on by ${name} at ${time}.`,
    claimedByYou: (time) => `You took this signal on at ${time}.`,
    nextStepUnclaimed:
      'Take the signal on if you will see the pupil at the start of the school day. The other coordinators then see that it is taken.',
    nextStepOwner: (when) =>
      when.today
        ? 'See the pupil at the start of the school day. Agree together what the pupil needs today and who at school may know.'
        : `See the pupil at the start of the school day on ${when.day}. Agree together what the pupil needs that day and who at school may know.`,
    claim: 'Take on',
    notOurPupil: 'Not our pupil',
    refresh: 'Refresh',
    privacy: (when) =>
      `This signal is stored nowhere. It is deleted at the end of ${when.today ? 'today' : when.day}.`,
    group: 'Group',
    talked: 'Talk held',
    pupilAbsent: 'Pupil not at school today',
    absentOnlyOnSupportDay: (day) =>
      `'Pupil not at school today' is possible only on ${day}, the day you see the pupil. Nothing was changed.`,
    absences: (count, left) =>
      `The pupil was absent ${count === 1 ? 'once' : `${count} times`}; the signal has moved on. ${left === 0 ? 'If the pupil is absent again, the signal is closed.' : `It can move ${left} more time(s).`}`,
    handOver: 'Hand over',
    handOverTo: 'Hand the signal over to whom?',
    handedOverBy: (name) => `Handed over by ${name}.`,
    agreed: 'Agreed',
    nothingAgreed: 'Nothing special agreed.',
    colleagues: 'Colleagues',
    colleagueRead: (time) => `read at ${time}`,
    colleagueWaiting: 'not yet',
    colleagueSending: 'being sent…',
    colleagueUnreachable: 'not reachable in Teams: tell them in person',
    unnamedColleague: 'Colleague',
    nobodyInformed: 'Nobody informed: the pupil does not want anyone to know.',
    progress: (acknowledged, reached) => `${acknowledged} of ${reached} read.`,
    sending: (sent, total) => `${sent} of ${total} sent…`,
    remind: 'Remind',
    reminded: (count) => `Asked ${count === 1 ? '1 colleague' : `${count} colleagues`} again to read it.`,
    parentsQuestion: 'Parents: who tells them about the steps taken at school?',
    parentsMissing: "Choose who informs the parents, or 'Not now'.",
    parentsChoices: {
      'by-me': 'I will inform the parents',
      'by-group-teacher': 'The group teacher (or another colleague) will inform the parents',
      'not-now': 'Not now (not safe, or Veilig Thuis handles it)',
    },
    parentsWho: 'Which colleague informs the parents?',
    parentsWhoPlaceholder: 'Search for a colleague',
    parentsWhoMissing: 'Choose which colleague informs the parents.',
    recordParents: 'Record parents step',
    parentsDone: 'Parents informed',
    parentsWaitingForYou:
      "Parents: you inform them. Press 'Parents informed' when that is done; otherwise you get a reminder towards the end of the school day.",
    parentsWaitingFor: (name) =>
      `Parents: ${name} informs them and confirms with 'Parents informed'. If you already heard in person, press 'Parents informed' yourself.`,
    parentsDoneBy: (name, time) => `Parents: informed by ${name}, confirmed at ${time}.`,
    parentsNotNow: 'Parents: not now.',
    informsParents: 'informs the parents',
    informedParents: (time) => `parents informed, confirmed at ${time}`,
    closeEarly: 'Close',
    nextStepInforming:
      "When every colleague has read it and the parents are informed (or you choose 'Not now'), the signal is closed and deleted.",
  },
  confirm: {
    back: 'Back',
    pupilAbsent: {
      title: 'Is the pupil not at school today?',
      body: (today, nextDay) =>
        `Then the signal moves from ${today} to ${nextDay}: see the pupil that day before lessons.`,
      bodyLast:
        'The pupil was absent before. The signal is now closed and deleted. Check whether anything is still needed and arrange it in person.',
      confirm: (nextDay) => `Yes, move to ${nextDay}`,
      confirmLast: 'Yes, close it',
    },
    notOurPupil: {
      title: 'Not our pupil?',
      body: 'The signal is then closed and deleted at once; this cannot be undone. Let the sender know that the signal must go to another school.',
      confirm: 'Yes, not our pupil',
    },
  },
  talk: {
    title: 'Talk held',
    intro: 'Record what you agreed with the pupil and who at school may know.',
    support: (when) =>
      when.today ? 'What does the pupil need today?' : `What does the pupil need on ${when.day}?`,
    pupilNotFound:
      'The pupil is not (unambiguously) in the pupil records, so the group was not found. Choose the colleagues who may know yourself.',
    noDirectory:
      'No pupil records are connected, so no group teachers are suggested. Choose the colleagues who may know yourself.',
    note: 'Also agreed (short)',
    notePlaceholder: 'For example: may step out into the corridor when it gets too much',
    noteHint: (max) =>
      `At most ${max} characters. Write nothing about the home situation: this text goes to the colleagues you choose.`,
    colleagues: 'Who may know?',
    suggested: (group) => `Group teacher of ${group} (according to the pupil records)`,
    others: 'Other colleagues',
    othersPlaceholder: 'Search for a colleague',
    nobody: 'Nobody: the pupil does not want anyone to know',
    submit: 'Record and inform',
    back: 'Back',
    errors: {
      choose: "Choose who may know, or choose 'Nobody'.",
      both: "Choose colleagues or 'Nobody', not both.",
      invalid: 'Please check what you entered.',
      tooMany: (max) => `Choose at most ${max} colleagues.`,
      noteTooLong: (max) => `Keep the text short: at most ${max} characters.`,
    },
  },
  colleague: {
    title: (when) => `Handle with Care: ${when.today ? 'today' : when.day}`,
    intro: (coordinator) => `${coordinator} has talked with the pupil. You may know this.`,
    whatYouCanDoTitle: 'What can you do?',
    whatYouCanDo:
      "Let the pupil notice that you are there, and keep to what was agreed. Don't ask about home; make room if the pupil wants to tell something.",
    whomToAsk: (name) => `Questions? Contact ${name}.`,
    doNotPassOn: (when) =>
      `Do not pass this on. This message is stored nowhere and disappears at the end of ${when.today ? 'today' : when.day}.`,
    acknowledge: 'Read',
    acknowledgedAt: (time) => `Read at ${time}. Thank you.`,
    acknowledgedAndClosed: { title: 'Read', body: 'Thank you. This message is completed and deleted.' },
    parentsTitle: 'The parents',
    parentsAsk: (coordinator) =>
      `${coordinator} asks you to inform the parents about the steps taken at school. Press 'Parents informed' when that is done.`,
    parentsOnlyIntro: (coordinator) =>
      `${coordinator} received a Handle with Care signal about this pupil and talked it through with the pupil.`,
    parentsDone: 'Parents informed',
    parentsDoneAt: (time) => `You confirmed at ${time} that the parents were informed. Thank you.`,
    parentsNoLonger: (coordinator) =>
      `${coordinator} now informs the parents. You need not do anything for that.`,
    parentsDoneAndClosed: {
      title: 'Parents informed',
      body: 'Thank you. The signal is completed and deleted.',
    },
  },
  ended: {
    completed: {
      title: 'Completed',
      body: 'The colleagues have read it and the parents step is recorded. The signal is closed and deleted.',
    },
    unreachable: (count) =>
      `${count === 1 ? '1 colleague was' : `${count} colleagues were`} not reachable in Teams: tell them in person, if you have not yet.`,
    pupilAbsent: {
      title: 'Closed',
      body: 'The pupil was absent too often. The signal is closed and deleted.',
    },
  },
  sources: {
    police: 'Police',
    municipality: 'Municipality (school attendance)',
    'veilig-thuis': 'Veilig Thuis',
  },
  closed: { title: 'Completed', body: 'This Handle with Care task is completed. Its data has been deleted.' },
  deleted: {
    title: 'Completed and deleted',
    body: 'This Handle with Care signal is completed. All its data has been deleted; there is nothing left to see.',
  },
  expired: {
    title: 'Signal expired and deleted',
    intro: (day) =>
      `A Handle with Care signal for ${day} expired at the end of that day. All its data has been deleted. Not everything was done:`,
    notClaimed: 'Nobody had taken the signal on.',
    talkNotRecorded: 'The talk with the pupil had not been recorded.',
    notAcknowledged: (count) =>
      count === 1 ? '1 colleague had not read the message.' : `${count} colleagues had not read the message.`,
    unreachable: (count) =>
      count === 1
        ? '1 colleague could not be reached in Teams.'
        : `${count} colleagues could not be reached in Teams.`,
    parentsNotRecorded: 'The parents step had not been recorded.',
    parentsNotConfirmed: 'Nobody had confirmed that the parents were informed.',
    advice:
      'Check whether anything is still needed and arrange it in person. This notice names no pupil on purpose; the bot no longer knows anything of it.',
  },
  tryAgain: {
    title: 'Please try again shortly',
    body: 'The bot cannot fetch this task right now. Nothing was lost or changed. Please try again in a minute.',
  },
  gone: {
    closedEarly: {
      title: 'Closed and deleted',
      body: 'The coordinator closed this Handle with Care signal. All its data has been deleted.',
    },
    notOurPupil: {
      title: 'Closed: not our pupil',
      body: 'A coordinator said this is not our pupil. The signal is closed and all its data has been deleted.',
    },
    expired: {
      title: 'Expired and deleted',
      body: 'This Handle with Care signal expired at the end of the day it was for. All its data has been deleted.',
    },
    ended: {
      title: 'Ended and deleted',
      body: 'This Handle with Care signal has ended. All its data has been deleted.',
    },
    unknown: {
      title: 'Unknown signal',
      body: 'The bot does not know this Handle with Care signal (any more). Ask the other coordinators whether someone took it on. If not, ask the sender to send the signal again.',
    },
  },
  notAvailable: {
    title: 'Not available',
    body: 'This task is not (or no longer) available to you. Completed tasks are deleted at once.',
  },
  teacherFirst: {
    shellColleagueBody:
      'There is a confidential Handle with Care message for you. Open the card to read what you are asked to do.',
    deputyEscalation:
      'Not taken on by a coordinator yet. Take it on if you can inform the group teacher before lessons.',
    nextStepUnclaimed:
      "Take the signal on if you will inform the pupil's group teacher. The other coordinators then see that it is taken.",
    nextStepOwner: (when) =>
      when.today
        ? "Inform the pupil's group teacher as soon as possible, before lessons at the latest. The group teacher is there for the pupil today; you can add suggestions."
        : `Inform the pupil's group teacher as soon as possible, before lessons on ${when.day} at the latest. The group teacher is there for the pupil that day; you can add suggestions.`,
    informTeacher: 'Inform the group teacher',
    suggestionsTitle: 'Suggestions for the group teacher',
    nothingSuggested: 'No suggestions given.',
    absentBody: (today, nextDay) =>
      `The signal then moves from ${today} to ${nextDay}: the group teacher is there for the pupil that day.`,
    absentOnlyOnSupportDay: (day) =>
      `'Pupil not at school today' is possible only on ${day}, the day the group teacher is there for the pupil. Nothing was changed.`,
    form: {
      title: 'Inform the group teacher',
      intro:
        'Let the group teacher know there is a Handle with Care signal. The group teacher is there for the pupil and sees in class what is needed; your suggestions help.',
      support: (when) =>
        `Suggestions for ${when.today ? 'today' : when.day} (not agreed with the pupil; the group teacher decides)`,
      note: 'Short note for the group teacher',
      notePlaceholder: 'For example: the pupil likes to sit at the front',
      colleagues: 'Whom do you inform?',
      submit: 'Inform',
      pupilNotFound:
        'The pupil is not (unambiguously) in the pupil administration, so the group was not found. Choose the group teacher yourself.',
      noDirectory:
        'No pupil administration is connected, so no group teacher is suggested. Choose the group teacher yourself.',
      choose: 'Choose the group teacher (or another colleague) you inform.',
    },
    colleague: {
      intro: (coordinator, when) =>
        `${coordinator} received a Handle with Care signal about this pupil and asks you to be there for the pupil ${when.today ? 'today' : `on ${when.day}`}.`,
      suggestionsTitle: (coordinator) => `Suggestions from ${coordinator}`,
      nothingSuggested: 'No suggestions: see for yourself what the pupil needs.',
      whatYouCanDo:
        'Let the pupil know you are there for them. Give room to tell their story if they want to; do not ask about home. A test can move to another day, and the pupil may sit in a quiet spot in class for a while to calm down.',
      parentsOnlyIntro: (coordinator) =>
        `${coordinator} received a Handle with Care signal about this pupil.`,
      pupilAbsent: 'Pupil not at school today',
    },
    teacherNotInformed: 'The group teacher had not been informed.',
  },
  mail: {
    notProcessedTitle: 'Mail not processed',
    notProcessedBody: (reason) =>
      `There is a mail in the folder 'Niet verwerkt' of the Handle with Care mailbox: ${reason}. Please look at it yourself. If it is a signal for our school, enter it with **new signal** and then delete the mail.`,
    reasons: {
      'no-school': 'it is not addressed to one of our schools',
      'unknown-sender': 'its sender is not on the list of senders',
      'not-authenticated': "it did not pass the sender domain's authenticity check (DMARC)",
      encrypted: 'it is encrypted or signed (S/MIME), so the bot cannot read it',
      attachment: 'it has an attachment, which may hold the signal',
      'too-large': 'it is too large for a signal',
      uncertain: "the bot could not read one pupil's name and date of birth with certainty",
      'several-pupils': 'it names several pupils; enter each signal on its own',
      'too-late': 'the school day the signal was for has passed',
      unconfirmed: 'nobody confirmed it before the end of the school day',
    },
    notOurPupilSubject: 'Handle with Care signal: not our pupil',
    notOurPupilBody: (school, dayAndTime) =>
      `${school}: not our pupil. Please send the signal of ${dayAndTime} to the right school.\n\nThis mail names no pupil on purpose. The school deleted the signal and your mail.\n\nThis is an automatic message from the school's Handle with Care app; a reply to it is not read.`,
    receiptSubject: 'Handle with Care signal received',
    receiptBody: (school, dayAndTime) =>
      `Your Handle with Care signal was received by ${school} on ${dayAndTime}.\n\nThis mail names no pupil on purpose. The school deleted your mail once it was received.\n\nThis is an automatic message from the school's Handle with Care app; a reply to it is not read.`,
  },
  mailDraft: {
    summary: 'Handle with Care mail to check',
    title: 'Handle with Care mail: check what the bot read',
    received: (dayAndTime) => `Received on ${dayAndTime}`,
    body: 'The bot could not read this mail with certainty. Look at what it read, correct it and send it as a signal, or say it is not a signal. Until then the mail stays in the Handle with Care mailbox.',
    view: 'View',
    formTitle: 'Check a Handle with Care mail',
    formHint: (mailbox) =>
      `Check the name and the date of birth against the mail itself (Inbox of ${mailbox}). Once sent, the bot deletes the mail.`,
    unclear: (reasons) => `Not certain: ${reasons}.`,
    reasons: {
      'no-name': 'no name found',
      'no-birth-date': 'no date of birth found',
      'several-dates': 'the mail holds several dates',
      'several-pupils': 'the mail names several pupils',
      'no-codeword': "the words 'Handle with Care' are missing",
      'invalid-name': 'the name cannot be read well',
      'invalid-birth-date': 'the date of birth cannot be read well',
    },
    send: 'Send as a signal',
    notASignal: 'This is not a signal',
    confirmTitle: 'Not a signal?',
    confirmSubject: 'Handle with Care mail',
    confirmBody:
      "The bot moves the mail to the folder 'Niet verwerkt' of the Handle with Care mailbox and forgets what it read. The other coordinators see that you decided this.",
    confirm: 'Yes, not a signal',
    sentBy: (name) => `${name} sent this mail as a signal.`,
    notASignalBy: (name) =>
      `${name} said this mail is not a signal. It is in the folder 'Niet verwerkt' of the Handle with Care mailbox.`,
    notASignalDone:
      "The mail is now in the folder 'Niet verwerkt' of the Handle with Care mailbox. Delete it there when you no longer need it.",
    unconfirmed:
      "Nobody confirmed this mail before the end of the school day. It is now in the folder 'Niet verwerkt' of the Handle with Care mailbox: please look at it yourself.",
    gone: 'This mail has been dealt with already.',
  },
  intake: {
    title: 'New Handle with Care signal',
    hint: "Only the pupil's name and date of birth. Do not write anything about the home situation.",
    school: 'School',
    name: "Pupil's name",
    namePlaceholder: 'First name and surname',
    birthDate: 'Date of birth',
    source: 'Signal from',
    submit: 'Send',
    fixErrors: 'Please check the marked fields.',
    fields: {
      schoolId: 'Choose a school.',
      'pupil.name':
        "Enter the pupil's name: with letters, without invisible or text-direction characters (at most 200 characters).",
      'pupil.birthDate': 'Enter a valid date of birth, not in the future.',
      source: 'Choose where the signal comes from.',
    },
    sentTitle: 'Signal passed on',
    sentBody: (count, school) =>
      `The signal is with ${count === 1 ? '1 coordinator' : `${count} coordinators`} of ${school}. This form has been cleared; the signal is stored nowhere.`,
    undeliveredTitle: 'Not delivered',
    undeliveredBody:
      'The signal could not be delivered to any coordinator and has not been kept. Try again shortly, or call the coordinator.',
    notAllowed: 'You are not registered at any school as someone who may enter Handle with Care signals.',
  },
  help: 'I bring Handle with Care signals to you. Type **new signal** to enter one yourself. Signals are stored nowhere.',
  welcome:
    'Welcome to Handle with Care. When a signal for your school comes in, you get a card here. Type **help** for more.',
  unsupportedClient: 'This version of Teams cannot show this card. Please update Teams and try again.',
  turnError: (reference) => `Something went wrong. Please try again later. (reference: ${reference})`,
};

const byLanguage: Record<Language, Strings> = { nl, en };

/** Teams sends locales such as 'nl-NL' or 'en-US'; anything not English is answered in Dutch. */
export function languageOf(locale: string | undefined): Language {
  return locale?.toLowerCase().startsWith('en') ? 'en' : 'nl';
}

export function stringsFor(locale: string | undefined): Strings {
  return byLanguage[languageOf(locale)];
}

// A DateTimeFormat costs 50–90 µs to make and nothing to reuse; there are a few per school.
const formats = new Map<string, Intl.DateTimeFormat>();

function formatOf(
  locale: string,
  timeZone: string,
  options: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${options.weekday ? 'day' : 'time'}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    formats.set(key, format);
  }
  return format;
}

/** 'maandag 23 november' / 'Monday 23 November', in the school's time zone. */
export function formatDay(instant: Date, timeZone: string, locale: string | undefined): string {
  const language = languageOf(locale);
  // The same few days (a day's lesson start, for every case of it) are named on every card.
  const key = `${language}|${timeZone}|${instant.getTime()}`;
  const known = namedDays.get(key);
  if (known !== undefined) return known;
  const named = formatOf(language === 'nl' ? 'nl-NL' : 'en-GB', timeZone, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  }).format(instant);
  if (namedDays.size >= 512) namedDays.clear();
  namedDays.set(key, named);
  return named;
}

const namedDays = new Map<string, string>();

export function formatTime(instant: Date, timeZone: string): string {
  return formatOf('nl-NL', timeZone, { hour: '2-digit', minute: '2-digit', hour12: false }).format(instant);
}

export function formatDateTime(instant: Date, timeZone: string, locale: string | undefined): string {
  return `${formatDay(instant, timeZone, locale)}, ${formatTime(instant, timeZone)}`;
}

/** A birth date as a Dutch reader expects it: 12-04-2016 (or 12/04/2016 in English). */
export function formatBirthDate(isoDate: string, locale: string | undefined): string {
  const [y, m, d] = isoDate.split('-');
  return languageOf(locale) === 'nl' ? `${d}-${m}-${y}` : `${d}/${m}/${y}`;
}
