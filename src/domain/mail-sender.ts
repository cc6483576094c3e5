import type { School } from './school';

/** Why a mail is left for a person, in the folder 'Niet verwerkt'. Never anything it said. */
export const mailRefusals = [
  'no-school',
  'unknown-sender',
  'not-authenticated',
  'encrypted',
  'attachment',
  'too-large',
  'uncertain',
  'several-pupils',
  'too-late',
  'unconfirmed',
] as const;
export type MailRefusal = (typeof mailRefusals)[number];
import type { SignalSource } from './signal';

/**
 * Which school a mail in a mailbox is for: the school whose recipient address (its alias in a
 * board-wide mailbox, or the mailbox's own address) the mail was sent to. Undefined when none, or
 * when the mail went to the addresses of two schools at once: then a person decides.
 */
export function schoolForMail(
  schools: readonly School[],
  mailbox: string,
  recipients: readonly string[],
): School | undefined {
  const box = mailbox.toLowerCase();
  const to = new Set(recipients.map((r) => r.toLowerCase()));
  const inBox = schools.filter((s) => s.mail?.mailbox === box);
  const addressed = inBox.filter((s) => to.has(s.mail?.recipient ?? box));
  if (addressed.length === 1) return addressed[0];
  // A mailbox of one school takes what reaches it (Bcc, a distribution list) for that school.
  if (addressed.length === 0 && inBox.length === 1 && inBox[0]?.mail?.recipient === undefined)
    return inBox[0];
  return undefined;
}

/** The domain of an address, lowercase; '' when it has none. */
function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).toLowerCase();
}

/**
 * The source a mail's sender stands for, when the school allows them: their exact address, or
 * their domain itself (a subdomain is another sender). Undefined for anyone else.
 */
export function allowedSourceOf(school: School, from: string): SignalSource | undefined {
  const address = from.toLowerCase();
  const domain = domainOf(address);
  const senders = school.mail?.allowedSenders ?? [];
  const byAddress = senders.find((s) => 'address' in s && s.address === address);
  if (byAddress) return byAddress.source;
  return senders.find((s) => 'domain' in s && s.domain === domain)?.source;
}

/**
 * Whether the receiving server (Exchange Online) found the mail authentic for its From domain:
 * DMARC passed for that domain, or Microsoft's composite authentication passed.
 *
 * Only the topmost Authentication-Results header counts: it is the one Exchange Online added on
 * receipt. A sender can put any header below it in the mail it sends, so later ones are not read.
 */
export function passedAuthentication(authenticationResults: string | undefined, from: string): boolean {
  const header = authenticationResults?.split('\n')[0]?.trim();
  if (!header) return false;
  // 'method=result' pairs, with their properties, separated by ';' (RFC 8601); comments in ().
  const results = header
    .replace(/\([^()]*\)/g, ' ')
    .split(';')
    .map((part) => part.trim().toLowerCase());
  const compauth = results.some((r) => /^compauth\s*=\s*pass\b/.test(r));
  const domain = domainOf(from);
  const dmarc = results.some(
    (r) =>
      /^dmarc\s*=\s*pass\b/.test(r) &&
      new RegExp(`\\bheader\\.from\\s*=\\s*${escape(domain)}(\\s|$)`).test(r),
  );
  return compauth || (domain !== '' && dmarc);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
