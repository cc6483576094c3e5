import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The most proxy hops TRUST_PROXY_HOPS may name; a chain longer than this is a misconfiguration. */
export const MAX_TRUSTED_PROXY_HOPS = 10;

/**
 * One address as a rate-limit key: without the port a proxy may append (App Service writes
 * `1.2.3.4:5678` and `[2001:db8::1]:5678`), in one spelling per address. Undefined when the text is
 * not an IP address at all, so that no word in a header ever becomes a bucket of its own.
 */
export function normalizeAddress(text: string): string | undefined {
  let value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed) value = bracketed[1] ?? '';
  else if (/^[^:]+:\d{1,5}$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6) return undefined;
  // One spelling per IPv6 address (2001:DB8:0::7 and 2001:db8::7 are one client), and an IPv4
  // client of a dual-stack socket (::ffff:1.2.3.4) is the IPv4 address it is.
  const canonical = new URL(`http://[${value.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const [high, low] = [parseInt(mapped[1] ?? '0', 16), parseInt(mapped[2] ?? '0', 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/**
 * The client's address, from the connection, or, behind `trustedHops` proxies, from the
 * X-Forwarded-For entries they appended. Each proxy appends the address it was connected from, so
 * the entry `trustedHops` from the right was written by the outermost trusted proxy: everything
 * to its left came from the client and may be forged. Without trusted hops the header is ignored.
 */
export function clientAddressFrom(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedHops: number,
): string | undefined {
  const fromSocket = socketAddress === undefined ? undefined : normalizeAddress(socketAddress);
  if (trustedHops < 1 || forwardedFor === undefined) return fromSocket;
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  // No entry: the request did not come through the proxy (a probe inside the network).
  if (entries.length === 0) return fromSocket;
  // Fewer entries than hops: every entry there is was still appended by a trusted proxy.
  return normalizeAddress(entries[Math.max(0, entries.length - trustedHops)] ?? '');
}

const addresses = new WeakMap<IncomingMessage, string | undefined>();

/** Called once per request by the server (createHttpServer), which knows the trusted hops. */
export function rememberClientAddress(req: IncomingMessage, trustedHops: number): void {
  addresses.set(
    req,
    clientAddressFrom(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedHops),
  );
}

/**
 * The client's address, for everything that needs it (the failed-authentication budgets).
 * Undefined when it is not known. On a server that createHttpServer did not make, the connection's
 * address: the header is never trusted without the setting.
 */
export function clientAddress(req: IncomingMessage): string | undefined {
  if (addresses.has(req)) return addresses.get(req);
  return req.socket.remoteAddress === undefined ? undefined : normalizeAddress(req.socket.remoteAddress);
}
