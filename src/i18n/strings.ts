import type { SignalSource } from '../domain/signal';

export type Language = 'nl' | 'en';

/** Everything a user reads. Dutch is the product's first language; English mirrors it. */
export interface Strings {
  appName: string;
  shell: { title: string; body: string; claimedBy: (name: string) => string; view: string };
  view: {
    title: string;
    pupil: string;
    birthDate: string;
    received: string;
    source: string;
    deadline: string;
    deadlineValue: (weekdayDate: string, time: string) => string;
    unclaimed: string;
    claimedBy: (name: string, time: string) => string;
    claimedByYou: (time: string) => string;
    nextStepUnclaimed: string;
    nextStepOwner: string;
    claim: string;
    notOurPupil: string;
    refresh: string;
    privacy: string;
  };
  sources: Record<SignalSource, string>;
  closed: { title: string; body: string };
  notAvailable: { title: string; body: string };
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
  },
  view: {
    title: 'Handle with Care-signaal',
    pupil: 'Leerling',
    birthDate: 'Geboortedatum',
    received: 'Ontvangen',
    source: 'Van',
    deadline: 'Uiterlijk',
    deadlineValue: (day, time) => `vóór de lessen op ${day}, ${time}`,
    unclaimed: 'Nog niet opgepakt.',
    claimedBy: (name, time) => `Opgepakt door ${name} om ${time}.`,
    claimedByYou: (time) => `Jij hebt dit signaal opgepakt om ${time}.`,
    nextStepUnclaimed:
      'Pak het signaal op als jij de leerling aan het begin van de schooldag opzoekt. De andere coördinatoren zien dan dat het is opgepakt.',
    nextStepOwner:
      'Zoek de leerling op aan het begin van de schooldag. Bespreek samen wat de leerling vandaag nodig heeft en wie het op school mag weten.',
    claim: 'Oppakken',
    notOurPupil: 'Niet onze leerling',
    refresh: 'Vernieuwen',
    privacy: 'Dit signaal wordt nergens opgeslagen. Na de steundag is het verwijderd.',
  },
  sources: { police: 'Politie', municipality: 'Gemeente (leerplicht)', 'veilig-thuis': 'Veilig Thuis' },
  closed: {
    title: 'Afgerond',
    body: 'Deze Handle with Care-taak is afgerond. De gegevens zijn verwijderd.',
  },
  notAvailable: {
    title: 'Niet beschikbaar',
    body: 'Deze taak is niet (meer) beschikbaar voor jou. Afgeronde taken worden direct verwijderd.',
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
      'pupil.name': 'Vul de naam van de leerling in (maximaal 200 tekens).',
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
  },
  view: {
    title: 'Handle with Care signal',
    pupil: 'Pupil',
    birthDate: 'Date of birth',
    received: 'Received',
    source: 'From',
    deadline: 'Due',
    deadlineValue: (day, time) => `before lessons on ${day}, ${time}`,
    unclaimed: 'Not taken on yet.',
    claimedBy: (name, time) => `Taken on by ${name} at ${time}.`,
    claimedByYou: (time) => `You took this signal on at ${time}.`,
    nextStepUnclaimed:
      'Take the signal on if you will see the pupil at the start of the school day. The other coordinators then see that it is taken.',
    nextStepOwner:
      'See the pupil at the start of the school day. Agree together what the pupil needs today and who at school may know.',
    claim: 'Take on',
    notOurPupil: 'Not our pupil',
    refresh: 'Refresh',
    privacy: 'This signal is stored nowhere. It is deleted when the support day ends.',
  },
  sources: {
    police: 'Police',
    municipality: 'Municipality (school attendance)',
    'veilig-thuis': 'Veilig Thuis',
  },
  closed: { title: 'Completed', body: 'This Handle with Care task is completed. Its data has been deleted.' },
  notAvailable: {
    title: 'Not available',
    body: 'This task is not (or no longer) available to you. Completed tasks are deleted at once.',
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
      'pupil.name': "Enter the pupil's name (at most 200 characters).",
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

/** 'maandag 23 november' / 'Monday 23 November', in the school's time zone. */
export function formatDay(instant: Date, timeZone: string, locale: string | undefined): string {
  const language = languageOf(locale);
  return new Intl.DateTimeFormat(language === 'nl' ? 'nl-NL' : 'en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    timeZone,
  }).format(instant);
}

export function formatTime(instant: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('nl-NL', {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone,
  }).format(instant);
}

export function formatDateTime(instant: Date, timeZone: string, locale: string | undefined): string {
  return `${formatDay(instant, timeZone, locale)}, ${formatTime(instant, timeZone)}`;
}

/** A birth date as a Dutch reader expects it: 12-04-2016 (or 12/04/2016 in English). */
export function formatBirthDate(isoDate: string, locale: string | undefined): string {
  const [y, m, d] = isoDate.split('-');
  return languageOf(locale) === 'nl' ? `${d}-${m}-${y}` : `${d}/${m}/${y}`;
}
