import type * as restify from 'restify';

// The Teams app's details link to these pages (manifest developer.privacyUrl and termsOfUseUrl).
const page = (title: string, body: string) => `<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body>${body}</body></html>`;

const privacy = page(
  'Handle with Care – privacy',
  `<h1>Handle with Care – privacy</h1>
<p>Deze Teams-app brengt een Handle with Care-signaal (alleen de naam en geboortedatum van een
leerling) bij de zorgcoördinatoren van de school. Het signaal wordt niet bewaard: zolang de school
ermee bezig is, staat het versleuteld in de opslag van de bot, en uiterlijk aan het einde van de
schooldag waarop de leerling ondersteuning krijgt is het verwijderd. Komt het per mail, dan
verwijdert de bot ook de mail. Berichten in Teams-chats noemen geen leerling;
de inhoud wordt alleen getoond aan wie de kaart opent en daartoe bevoegd is. Logboeken bevatten
geen gegevens van leerlingen.</p>
<p>Vragen? Neem contact op met de school of het schoolbestuur dat deze app gebruikt.</p>
<h2>In English</h2>
<p>This Teams app brings a Handle with Care signal (only a pupil's name and date of birth) to the
school's care coordinators. The signal is not kept: while the school acts on it, it is held
encrypted in the bot's store, and it is deleted at the end of the school day on which the pupil is
supported, at the latest. When it arrives by mail, the bot deletes the mail too. Messages
in Teams chats name no pupil; the content is shown only to authorized people who open the card.
Logs contain no pupil data. Questions: contact the school or school board that uses this app.</p>`,
);

const terms = page(
  'Handle with Care – gebruiksvoorwaarden',
  `<h1>Handle with Care – gebruiksvoorwaarden</h1>
<p>Deze app wordt aangeboden door het schoolbestuur dat haar in zijn Microsoft 365-omgeving heeft
geïnstalleerd, voor gebruik door zijn medewerkers bij de Handle with Care-werkwijze. Gebruik haar
alleen voor dat doel en deel wat u ziet alleen met wie dat volgens de afspraken mag weten.</p>
<h2>In English</h2>
<p>This app is provided by the school board that installed it in its Microsoft 365 tenant, for use
by its staff in the Handle with Care procedure. Use it only for that purpose, and share what you
see only with those who may know it under the agreements made.</p>`,
);

export function registerPublicPages(server: restify.Server): void {
  for (const [path, html] of [
    ['/privacy', privacy],
    ['/terms', terms],
  ] as const) {
    server.get(path, (_req: restify.Request, res: restify.Response, next: restify.Next) => {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'public, max-age=3600',
      });
      res.end(html);
      next();
    });
  }
}
