import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { htmlToLines, MAX_HTML_DEPTH } from '../../src/domain/mail-text';
import {
  MAX_MAIL_TEXT_CHARS,
  readSignalMail,
  uncertainReasons,
  type MailReading,
  type MailText,
  type UncertainReason,
} from '../../src/domain/signal-mail';

// Every name, address and phone number here and in test/fixtures/mails is invented.

const today = '2026-11-30';
const rules = { today };

function text(content: string, subject = 'Handle with Care'): MailText {
  return { subject, body: { contentType: 'text', content } };
}

function html(content: string, subject = 'Handle with Care'): MailText {
  return { subject, body: { contentType: 'html', content } };
}

const certain = (name: string, birthDate: string): MailReading => ({
  kind: 'certain',
  pupil: { name, birthDate },
});

const uncertain = (
  reasons: UncertainReason[],
  candidate: { name?: string; birthDate?: string } = {},
): MailReading => ({ kind: 'uncertain', reasons, candidate });

const read = (mail: MailText) => readSignalMail(mail, rules);

// ---------------------------------------------------------------------------------------------
// The invented mails in test/fixtures/mails

interface Fixture {
  file: string;
  about: string;
  mail: MailText;
  expected: MailReading;
}

const fixtureDir = join(__dirname, '..', 'fixtures', 'mails');

function loadFixture(file: string): Fixture {
  const raw = readFileSync(join(fixtureDir, file), 'utf8');
  const split = raw.indexOf('\n---\n');
  assert.ok(split > 0, `${file} has no '---' line`);
  const fields = new Map<string, string>();
  for (const line of raw.slice(0, split).split('\n')) {
    const colon = line.indexOf(':');
    fields.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  const body = raw.slice(split + 5);
  const name = fields.get('name');
  const birthDate = fields.get('birth-date');
  let expected: MailReading;
  if (fields.get('expect') === 'certain') {
    assert.ok(name && birthDate, `${file}: a certain reading needs a name and a birth-date`);
    expected = certain(name, birthDate);
  } else {
    assert.equal(fields.get('expect'), 'uncertain', `${file}: expect is certain or uncertain`);
    const reasons = (fields.get('reasons') ?? '').split(',').map((r) => r.trim()) as UncertainReason[];
    for (const reason of reasons)
      assert.ok(uncertainReasons.includes(reason), `${file}: unknown reason ${reason}`);
    expected = uncertain(reasons, {
      ...(name !== undefined ? { name } : {}),
      ...(birthDate !== undefined ? { birthDate } : {}),
    });
  }
  return {
    file,
    about: fields.get('about') ?? file,
    mail: {
      subject: fields.get('subject') ?? '',
      body: { contentType: file.endsWith('.html.mail') ? 'html' : 'text', content: body },
    },
    expected,
  };
}

const fixtures = readdirSync(fixtureDir)
  .filter((file) => file.endsWith('.text.mail') || file.endsWith('.html.mail'))
  .sort()
  .map(loadFixture);

describe('reading a Handle with Care signal from a mail', () => {
  describe('the invented mails in test/fixtures/mails', () => {
    it('are at least twenty, both plain text and HTML', () => {
      assert.ok(fixtures.length >= 20, `only ${fixtures.length} mails`);
      assert.ok(fixtures.some((f) => f.mail.body.contentType === 'html'));
      assert.ok(fixtures.some((f) => f.mail.body.contentType === 'text'));
    });

    for (const fixture of fixtures) {
      it(`${fixture.about} (${fixture.file})`, () => {
        assert.deepEqual(read(fixture.mail), fixture.expected);
      });
    }

    it('never put the sender, the forwarder or other text of the mail in the reading', () => {
      const others = ['Sanne', 'Dijkhuizen', 'Marieke', 'Spanjaard', 'Hofstede', 'Wolterbeek', 'Lindenhof'];
      for (const fixture of fixtures) {
        const reading = JSON.stringify(read(fixture.mail));
        for (const other of others) {
          assert.ok(!reading.includes(other), `${fixture.file}: the reading holds '${other}'`);
        }
      }
    });
  });

  describe('the date of birth', () => {
    const forms: [string, string][] = [
      ['12-04-2016', '2016-04-12'],
      ['12/04/2016', '2016-04-12'],
      ['12.04.2016', '2016-04-12'],
      ['12 april 2016', '2016-04-12'],
      ['12 apr. 2016', '2016-04-12'],
      ['12 apr 2016', '2016-04-12'],
      ['12 April 2016', '2016-04-12'],
      ['2016-04-12', '2016-04-12'],
      ['1-4-2016', '2016-04-01'],
      ['01-04-2016', '2016-04-01'],
      ['3 mrt. 2016', '2016-03-03'],
      ['3 maart 2016', '2016-03-03'],
      ['17 mei 2016', '2016-05-17'],
      ['5 okt 2015', '2015-10-05'],
      ['5 October 2015', '2015-10-05'],
      ['zaterdag 1 oktober 2016', '2016-10-01'],
    ];
    for (const [written, date] of forms) {
      it(`reads '${written}' as ${date}`, () => {
        assert.deepEqual(
          read(text(`Naam: Noor Kwakernaak\nGeboortedatum: ${written}`)),
          certain('Noor Kwakernaak', date),
        );
      });
    }

    it('reads numeric dates day first, never month first (04-12-2016 is 4 December)', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeboortedatum: 04-12-2016')),
        certain('Noor Kwakernaak', '2016-12-04'),
      );
    });

    it('refuses a month-first date that only works the American way (04-13-2016)', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeboortedatum: 04-13-2016')),
        uncertain(['invalid-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });

    it('refuses a two-digit year as unreadable', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeboortedatum: 12-04-16')),
        uncertain(['invalid-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });

    it('accepts a date of birth of today and of exactly 30 years ago, and not a day before that', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeb.: 30-11-2026')),
        certain('Noor Kwakernaak', today),
      );
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeb.: 30-11-1996')),
        certain('Noor Kwakernaak', '1996-11-30'),
      );
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeb.: 29-11-1996')),
        uncertain(['invalid-birth-date'], { name: 'Noor Kwakernaak' }),
      );
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeb.: 01-12-2026')),
        uncertain(['invalid-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });

    it('reads 29 February in a leap year and refuses it in another', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeboortedatum: 29-02-2016')),
        certain('Noor Kwakernaak', '2016-02-29'),
      );
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeboortedatum: 29-02-2015')),
        uncertain(['invalid-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });

    const labels = [
      'Geboortedatum:',
      'Geboortedatum leerling:',
      'Geboortedatum van het kind:',
      'Geb. datum:',
      'Geb.datum:',
      'Geb.:',
      'Geboren:',
      'Geboren op',
      'geboren',
      'Date of birth:',
      'Birth date:',
      'DOB:',
      'Geboortedatum\t',
      'Geboortedatum |',
    ];
    for (const label of labels) {
      it(`takes the date after '${label.replace('\t', '\\t')}' as the date of birth`, () => {
        assert.deepEqual(
          read(text(`Naam: Noor Kwakernaak\n${label} 12-04-2016`)),
          certain('Noor Kwakernaak', '2016-04-12'),
        );
      });
    }

    it('takes a date after the name on the same line when it is labelled ("…, geboren op …")', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak, geboren op 12-04-2016')),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak Geboortedatum: 12-04-2016')),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });

    it('does not take the date of a parent for the pupil’s ("Geboortedatum moeder:")', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nGeboortedatum moeder: 03-03-1990\nGeboortedatum: 12-04-2016')),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });

    it('counts the same date written twice (in the subject and the body) once', () => {
      assert.deepEqual(
        read(
          text('Naam: Noor Kwakernaak\nGeboortedatum: 12 april 2016', 'Handle with Care, geb. 12-04-2016'),
        ),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });

    it('offers an unlabelled date as the candidate only when it is the one plausible date', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\n(12-04-2016)')),
        uncertain(['no-birth-date'], { name: 'Noor Kwakernaak', birthDate: '2016-04-12' }),
      );
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\n(12-04-2016 of 13-04-2016)')),
        uncertain(['no-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });

    it('does not offer an unlabelled date of the last two years (the incident, the mail)', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nVannacht, 29-11-2026, is de politie ter plaatse geweest.')),
        uncertain(['no-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });

    it('does not offer the date of a mail header or an "Op … schreef" line', () => {
      for (const line of [
        'Verzonden: maandag 12 april 2021 07:12',
        'Sent: 12 April 2021 07:12',
        'Datum: 12-04-2021',
        'Op 12-04-2021 om 07:12 schreef Sanne Dijkhuizen <s@veiligthuis.example>:',
      ]) {
        assert.deepEqual(
          read(text(`Naam: Noor Kwakernaak\n${line}`)),
          uncertain(['no-birth-date'], { name: 'Noor Kwakernaak' }),
          line,
        );
      }
    });
  });

  describe("the pupil's name", () => {
    const labels = [
      'Naam:',
      'Naam leerling:',
      'Naam van de leerling:',
      'Leerling:',
      'Naam kind:',
      'Kind:',
      'Naam jeugdige:',
      'Volledige naam:',
      'NAAM:',
      'Name:',
      'Pupil:',
      "Child's name:",
      'Naam\t',
      'Naam |',
      '- Naam:',
      '1. Naam:',
    ];
    for (const label of labels) {
      it(`takes the name after '${label.replace('\t', '\\t')}'`, () => {
        assert.deepEqual(
          read(text(`${label} Noor Kwakernaak\nGeboortedatum: 12-04-2016`)),
          certain('Noor Kwakernaak', '2016-04-12'),
        );
      });
    }

    const commaForms: [string, string][] = [
      ['Kwakernaak, Noor', 'Noor Kwakernaak'],
      ['Vries, Jan de', 'Jan de Vries'],
      ['de Vries, Jan', 'Jan de Vries'],
      ['Vries de, Jan', 'Jan de Vries'],
      ['Heijden-Olthof, Sem van der', 'Sem van der Heijden-Olthof'],
      ['van der Heijden-Olthof, Sem', 'Sem van der Heijden-Olthof'],
      ['Hof, Tijn in ’t', 'Tijn in ’t Hof'],
      ['Brugge, Daan Pieter ter', 'Daan Pieter ter Brugge'],
      ['Brinkhorst, R.', 'R. Brinkhorst'],
    ];
    for (const [written, name] of commaForms) {
      it(`turns '${written}' into '${name}'`, () => {
        assert.deepEqual(
          read(text(`Naam: ${written}\nGeboortedatum: 12-04-2016`)),
          certain(name, '2016-04-12'),
        );
      });
    }

    it('keeps the particles and capitals as written when the name is not turned round', () => {
      assert.deepEqual(
        read(text('Naam: Daan Ter Brugge\nGeboortedatum: 12-04-2016')),
        certain('Daan Ter Brugge', '2016-04-12'),
      );
    });

    it('stores a decomposed name (NFD) composed (NFC)', () => {
      const decomposed = 'Zoe\u0308 Rui\u0308z'; // Zoë Ruïz, written with combining diaeresis
      const reading = read(text(`Naam: ${decomposed}\nGeboortedatum: 12-04-2016`));
      assert.deepEqual(reading, certain('Zo\u00EB Ru\u00EFz', '2016-04-12'));
    });

    it('keeps names in other scripts, with a zero-width non-joiner where Persian spells one', () => {
      assert.deepEqual(
        read(text('Naam: Αλεξάνδρα Παπαδοπούλου\nGeboortedatum: 12-04-2016')),
        certain('Αλεξάνδρα Παπαδοπούλου', '2016-04-12'),
      );
      assert.deepEqual(
        read(text('Naam: مهسا علی\u200Cپور\nGeboortedatum: 12-04-2016')),
        certain('مهسا علی\u200Cپور', '2016-04-12'),
      );
    });

    it('combines Voornaam, Tussenvoegsel and Achternaam, also when the particle is in the surname', () => {
      assert.deepEqual(
        read(
          text(
            'Voornaam: Sem\nTussenvoegsel: van der\nAchternaam: Heijden-Olthof\nGeboortedatum: 12-04-2016',
          ),
        ),
        certain('Sem van der Heijden-Olthof', '2016-04-12'),
      );
      assert.deepEqual(
        read(
          text(
            'Voornaam: Sem\nTussenvoegsel: van der\nAchternaam: van der Heijden\nGeboortedatum: 12-04-2016',
          ),
        ),
        certain('Sem van der Heijden', '2016-04-12'),
      );
      assert.deepEqual(
        read(text('First name: Liv\nLast name: Vermaat\nDate of birth: 12-04-2016')),
        certain('Liv Vermaat', '2016-04-12'),
      );
    });

    it('counts the parts and the full name of the same pupil as one', () => {
      assert.deepEqual(
        read(text('Naam: Liv Vermaat\nVoornaam: Liv\nAchternaam: Vermaat\nGeboortedatum: 12-04-2016')),
        certain('Liv Vermaat', '2016-04-12'),
      );
    });

    it('finds no name in a first name alone', () => {
      assert.deepEqual(
        read(text('Voornaam: Liv\nGeboortedatum: 12-04-2016')),
        uncertain(['no-name'], { birthDate: '2016-04-12' }),
      );
    });

    it('counts the same name in other capitals once', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nLeerling: NOOR KWAKERNAAK\nGeboortedatum: 12-04-2016')),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });

    it('does not take a label that names someone else (Naam moeder, Naam school, Uw naam)', () => {
      assert.deepEqual(
        read(
          text(
            'Naam moeder: Ingrid Wolterbeek\nNaam school: Basisschool De Lindenhof\nUw naam: Marieke Spanjaard\nGeboortedatum: 12-04-2016',
          ),
        ),
        uncertain(['no-name'], { birthDate: '2016-04-12' }),
      );
    });

    it('takes the value from the line right under a label on its own line, not from further down', () => {
      assert.deepEqual(
        read(text('Naam:\nNoor Kwakernaak\nGeboortedatum:\n12-04-2016')),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
      assert.deepEqual(
        read(text('Geboortedatum: 12-04-2016\nNaam:\n\nSanne Dijkhuizen')),
        uncertain(['no-name'], { birthDate: '2016-04-12' }),
      );
      assert.deepEqual(
        read(text('Naam:\nGeboortedatum: 12-04-2016\nSanne Dijkhuizen')),
        uncertain(['no-name'], { birthDate: '2016-04-12' }),
      );
    });

    it('does not take an unlabelled name, such as the sender’s in the greeting', () => {
      assert.deepEqual(
        read(
          text(
            'Beste school, het gaat om Noor Kwakernaak.\nGeboortedatum: 12-04-2016\n\nGroet,\nSanne Dijkhuizen',
          ),
        ),
        uncertain(['no-name'], { birthDate: '2016-04-12' }),
      );
    });

    const notNames: [string, string][] = [
      ['a name typed in lower case', 'noor kwakernaak'],
      ['a name with digits', 'Noor Kwakernaak (groep 5)'],
      ['a value that runs into a sentence', 'Noor Kwakernaak werd opgevangen'],
      ['an e-mail address', 'noor@kwakernaak.example'],
      ['a name with a right-to-left override', 'Noor \u202EKwakernaak'],
      ['a name with a zero-width space', 'Noor\u200B Kwakernaak'],
      [
        'more than ten words',
        'Noor Anna Maria Sophie Johanna Elisabeth Wilhelmina Catharina Petronella Geertruida Kwakernaak',
      ],
    ];
    for (const [what, value] of notNames) {
      it(`refuses ${what} as the name, and does not offer it as the candidate`, () => {
        assert.deepEqual(
          read(text(`Naam: ${value}\nGeboortedatum: 12-04-2016`)),
          uncertain(['invalid-name'], { birthDate: '2016-04-12' }),
        );
      });
    }

    it('reports several pupils for two different names, and offers neither', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nNaam: Mees Oosterhuis\nGeboortedatum: 12-04-2016')),
        uncertain(['several-pupils'], { birthDate: '2016-04-12' }),
      );
      assert.deepEqual(
        read(text('Voornaam: Noor\nVoornaam: Mees\nAchternaam: Kwakernaak\nGeboortedatum: 12-04-2016')),
        uncertain(['several-pupils'], { birthDate: '2016-04-12' }),
      );
    });

    it('reports a refused name next to a good one as invalid, not as a second pupil', () => {
      assert.deepEqual(
        read(text('Naam: Noor Kwakernaak\nLeerling: zie bijlage\nGeboortedatum: 12-04-2016')),
        uncertain(['invalid-name'], { name: 'Noor Kwakernaak', birthDate: '2016-04-12' }),
      );
    });
  });

  describe('the codeword', () => {
    const accepted = [
      'Handle with Care',
      'handle with care',
      'HANDLE WITH CARE',
      'Handle-with-Care',
      'Handle_with_Care',
      '#HandleWithCare',
      'Handle  with  Care-signaal',
      'HWC-signaal',
      'HWC signaal',
      'hwc-melding',
    ];
    for (const codeword of accepted) {
      it(`accepts '${codeword}' in the body`, () => {
        assert.deepEqual(
          read(text(`${codeword}\nNaam: Noor Kwakernaak\nGeboortedatum: 12-04-2016`, 'Signaal')),
          certain('Noor Kwakernaak', '2016-04-12'),
        );
      });
    }

    for (const notCodeword of ['HWC', 'Handle with', 'Care', 'Handle with Kare', 'handled with care']) {
      it(`does not take '${notCodeword}' for the codeword`, () => {
        assert.deepEqual(
          read(text(`${notCodeword}\nNaam: Noor Kwakernaak\nGeboortedatum: 12-04-2016`, 'Signaal')),
          uncertain(['no-codeword'], { name: 'Noor Kwakernaak', birthDate: '2016-04-12' }),
        );
      });
    }

    it('accepts the codeword in a forwarded mail’s header', () => {
      assert.deepEqual(
        read(
          text(
            'Onderwerp: Handle with Care\n\nNaam: Noor Kwakernaak\nGeboortedatum: 12-04-2016',
            'Fwd: signaal',
          ),
        ),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });
  });

  describe('every reason at once', () => {
    it('lists every reason that applies, in a fixed order', () => {
      assert.deepEqual(
        read(
          text(
            'Naam: Noor Kwakernaak\nNaam: Mees Oosterhuis\nNaam: noor\nGeb.: 12-04-2016\nGeb.: 31-02-2016\nGeb.: 05-06-2014',
            'x',
          ),
        ),
        uncertain(['several-dates', 'several-pupils', 'no-codeword', 'invalid-name', 'invalid-birth-date']),
      );
      assert.deepEqual(read(text('', '')), uncertain(['no-name', 'no-birth-date', 'no-codeword']));
    });
  });

  describe('HTML', () => {
    it('reads a label and its value in two table cells, also with an empty cell between them', () => {
      assert.deepEqual(
        read(
          html(
            '<table><tr><td><b>Naam</b></td><td>&nbsp;</td><td>Noor Kwakernaak</td></tr><tr><td>Geboortedatum:</td><td></td><td>12-04-2016</td></tr></table>',
          ),
        ),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });

    it('does not read text in a script, a style, a comment, the head or a hidden element', () => {
      for (const hidden of [
        '<script>Naam: Mees Oosterhuis</script>',
        '<style>Naam: Mees Oosterhuis</style>',
        '<!-- Naam: Mees Oosterhuis -->',
        '<!--[if mso]>Naam: Mees Oosterhuis<![endif]-->',
        '<head><title>Naam: Mees Oosterhuis</title></head>',
        '<div hidden>Naam: Mees Oosterhuis</div>',
        '<div style="DISPLAY : none">Naam: Mees Oosterhuis</div>',
        '<span style="mso-hide:all">Naam: Mees Oosterhuis</span>',
        '<template><p>Naam: Mees Oosterhuis</p></template>',
      ]) {
        assert.deepEqual(
          read(html(`${hidden}<p>Naam: Noor Kwakernaak</p><p>Geboortedatum: 12-04-2016</p>`)),
          certain('Noor Kwakernaak', '2016-04-12'),
          hidden,
        );
      }
    });

    it('does not let a script end early on a fake closing tag inside a string', () => {
      assert.deepEqual(
        read(
          html(
            '<script>var s = "</scr" + "ipt><p>Naam: Mees Oosterhuis</p>";</script><p>Naam: Noor Kwakernaak</p><p>Geb.: 12-04-2016</p>',
          ),
        ),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
    });

    it('turns table cells into lines with the cells apart, and rows with multi-line cells into lines', () => {
      assert.deepEqual(
        htmlToLines(
          '<table><tr><td>Naam</td><td>Noor</td></tr><tr><td><p>a</p><p>b</p></td><td>c</td></tr></table>',
          1e6,
          1e5,
        ),
        ['Naam\tNoor', 'a', 'b', 'c'],
      );
    });

    it('reads a table nested in a layout table', () => {
      assert.deepEqual(
        htmlToLines(
          '<table><tr><td><img src="logo"></td><td><p>Hallo</p><table><tr><td>Naam</td><td>Noor</td></tr></table></td></tr></table>',
          1e6,
          1e5,
        ),
        ['Hallo', 'Naam\tNoor'],
      );
    });

    it('reads Outlook paragraphs as lines and a paragraph of only &nbsp; as an empty line', () => {
      const outlook =
        '<p class=MsoNormal>Handle&nbsp;with&nbsp;Care<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Naam:<o:p></o:p></p><p class=MsoNormal>Noor Kwakernaak<o:p></o:p></p>';
      assert.deepEqual(htmlToLines(outlook, 1e6, 1e5), ['Handle with Care', '', 'Naam:', 'Noor Kwakernaak']);
      assert.deepEqual(
        read(html(`${outlook}<p>Geboortedatum: 12-04-2016</p>`, '')),
        certain('Noor Kwakernaak', '2016-04-12'),
      );
      assert.deepEqual(
        read(html('<p>Geboortedatum: 12-04-2016</p><p>Naam:</p><p>&nbsp;</p><p>Sanne Dijkhuizen</p>')),
        uncertain(['no-name'], { birthDate: '2016-04-12' }),
      );
    });

    it('decodes character references and keeps line breaks in <pre>', () => {
      assert.deepEqual(
        htmlToLines('<p>Zo&euml; &amp; Ru&#xEF;z&nbsp;&lt;x&gt;</p><pre>a\n  b</pre>', 1e6, 1e5),
        ['Zoë & Ruïz <x>', '', 'a', 'b'],
      );
    });

    it('reads a body marked as HTML that has no tags', () => {
      assert.deepEqual(
        read(html('Naam: Noor Kwakernaak &lt;3<br>Geboortedatum: 12-04-2016')),
        uncertain(['invalid-name'], { birthDate: '2016-04-12' }),
      );
    });
  });

  describe('bounded work', () => {
    const signal = 'Naam: Noor Kwakernaak\nGeboortedatum: 12-04-2016\n';
    const twentyMegabytes = 20 * 1024 * 1024;

    it('returns for a 20 MB plain-text mail, reading its start', () => {
      const content = signal + 'Handle with Care. '.repeat(twentyMegabytes / 18);
      assert.ok(content.length >= twentyMegabytes);
      assert.deepEqual(read(text(content, '')), certain('Noor Kwakernaak', '2016-04-12'));
    });

    it('returns for a 20 MB HTML mail, reading its start', () => {
      const content = `<p>Naam: Noor Kwakernaak</p><p>Geb.: 12-04-2016</p>${'<div>Naam</div>'.repeat(twentyMegabytes / 15)}`;
      assert.deepEqual(read(html(content)), certain('Noor Kwakernaak', '2016-04-12'));
    });

    it('returns for 20 MB of elements nested in each other, reading up to the depth it allows', () => {
      const content = `<p>Naam: Noor Kwakernaak</p><p>Geb.: 12-04-2016</p>${'<div><span>'.repeat(twentyMegabytes / 11)}`;
      assert.deepEqual(read(html(content)), certain('Noor Kwakernaak', '2016-04-12'));
      const deeper = `${'<div>'.repeat(MAX_HTML_DEPTH + 1)}<p>Naam: Noor Kwakernaak</p>`;
      assert.deepEqual(htmlToLines(deeper, 1e6, 1e5), []);
    });

    const hostile: [string, string][] = [
      ['one long line of label words', 'naam: kind: leerling '.repeat(1e6)],
      ['digits and dots', '1.1.'.repeat(5e6)],
      ['date-like digits', '12-04-'.repeat(4e6)],
      ['repeated codeword starts', 'handle with '.repeat(2e6)],
      ['quote marks', '>'.repeat(twentyMegabytes)],
      ['commas in a name', `Naam: ${'Noor, '.repeat(4e6)}`],
      ['white space', `${' \t'.repeat(1e7)}x`],
    ];
    for (const [what, content] of hostile) {
      it(`returns for 20 MB of ${what}`, () => {
        const reading = read(text(content));
        assert.equal(reading.kind, 'uncertain');
      });
    }

    it('returns for 20 MB of unclosed tags, attributes and comments', () => {
      for (const content of [
        '<'.repeat(twentyMegabytes),
        `<a title="${'x'.repeat(twentyMegabytes)}`,
        `<!--${'x'.repeat(twentyMegabytes)}`,
        '<table><tr><td>'.repeat(twentyMegabytes / 15),
      ]) {
        assert.deepEqual(read(html(content)), uncertain(['no-name', 'no-birth-date']));
      }
    });

    it('does not read past the first 100,000 characters of the text', () => {
      const padding = 'Bla bla.\n'.repeat(Math.ceil(MAX_MAIL_TEXT_CHARS / 9));
      assert.deepEqual(
        read(text(`Naam: Noor Kwakernaak\n${padding}Geboortedatum: 12-04-2016`)),
        uncertain(['no-birth-date'], { name: 'Noor Kwakernaak' }),
      );
      assert.deepEqual(
        read(html(`<p>Naam: Noor Kwakernaak</p><p>${padding}</p><p>Geboortedatum: 12-04-2016</p>`)),
        uncertain(['no-birth-date'], { name: 'Noor Kwakernaak' }),
      );
    });
  });

  describe('what it returns and throws', () => {
    it('returns a reading, without throwing, for a mail whose parts are missing or not text', () => {
      const broken = [
        { subject: null, body: { contentType: 'text', content: 'Naam: Noor Kwakernaak' } },
        { subject: 'Handle with Care', body: { contentType: 'html', content: undefined } },
        { subject: 42, body: null },
        {
          subject: 'Handle with Care',
          body: { contentType: 'rtf', content: 'Naam: Noor Kwakernaak\nGeb.: 12-04-2016' },
        },
      ] as unknown as MailText[];
      assert.deepEqual(
        read(broken[0]!),
        uncertain(['no-birth-date', 'no-codeword'], { name: 'Noor Kwakernaak' }),
      );
      assert.deepEqual(read(broken[1]!), uncertain(['no-name', 'no-birth-date']));
      assert.deepEqual(read(broken[2]!), uncertain(['no-name', 'no-birth-date', 'no-codeword']));
      assert.deepEqual(read(broken[3]!), certain('Noor Kwakernaak', '2016-04-12'));
    });

    it('refuses a today that is not a date, without any text of the mail in the message', () => {
      for (const bad of ['30-11-2026', '2026-02-30', '', 'today']) {
        assert.throws(
          () => readSignalMail(text('Naam: Noor Kwakernaak'), { today: bad }),
          (error: Error) => error.message === 'readSignalMail: rules.today must be a date as YYYY-MM-DD',
        );
      }
    });

    it('returns a candidate with a name and a date only, and no empty fields', () => {
      const reading = read(text('Naam: Noor Kwakernaak', 'Handle with Care'));
      assert.deepEqual(reading, uncertain(['no-birth-date'], { name: 'Noor Kwakernaak' }));
      assert.ok(reading.kind === 'uncertain' && !('birthDate' in reading.candidate));
    });
  });
});
