import { createHttpServer } from '../../src/http/http-server';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as restify from 'restify';
import { createLogger } from '../../src/logging/logger';
import { registerIntakeRoutes, type IntakeDeps, type SenderIdentity } from '../../src/intake/intake-routes';
import type { EntraAuthOptions } from '../../src/intake/intake-auth';
import * as jose from 'jose';
import type { SignalInput } from '../../src/domain/signal';

// Everything below is invented for the tests.
export const TENANT = '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const OTHER_TENANT = 'ffffffff-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
export const AUDIENCE = 'api://hwc-intake-test';
export const SENDER_CLIENT = '5a5a5a5a-1111-4222-8333-444444444444';
export const UNLISTED_CLIENT = '6b6b6b6b-1111-4222-8333-444444444444';
export const API_KEY_ALL = 'local-test-key-all-schools-01';
export const API_KEY_NOORD = 'local-test-key-noordster-only-02';
export const SCHOOLS = ['de-noordster', 'oranjeschool'];
export const TODAY = '2025-06-16';
export const PUPIL = { name: 'Fenna Zwartbroek', birthDate: '2014-03-09' };
export const PUPIL_DATE_DUTCH = '09-03-2014';

export function validSignal(overrides: Partial<SignalInput> = {}): SignalInput {
  return { schoolId: 'oranjeschool', pupil: { ...PUPIL }, source: 'veilig-thuis', ...overrides };
}

export interface Call {
  signal: SignalInput;
  ctx: { correlationId: string; sender: SenderIdentity };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** A string or object (JSON-encoded) sent with Content-Length. */
  body?: unknown;
  /** Sent with Transfer-Encoding: chunked and no Content-Length. */
  chunks?: string[];
  /** Default: JSON with the all-schools API key. */
  auth?: 'none' | { apiKey: string } | { bearer: string };
}

export interface Jwks {
  url: string;
  kid: string;
  privateKey: jose.CryptoKey;
  failing: boolean;
  close(): Promise<void>;
}

/** A JWKS endpoint on 127.0.0.1 holding one RS256 public key. */
export async function startJwks(): Promise<Jwks> {
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256');
  const kid = 'test-signing-key-1';
  const jwk = { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const state = { failing: false };
  const server = http.createServer((_req, res) => {
    if (state.failing) {
      res.writeHead(500);
      res.end();
      return;
    }
    // restify patches http.ServerResponse, so writeHead() is not chained here.
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/discovery/v2.0/keys`,
    kid,
    privateKey,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function entraOptions(jwks: Jwks): EntraAuthOptions {
  return {
    tenantId: TENANT,
    audience: AUDIENCE,
    issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    jwksUrl: jwks.url,
    requiredRole: 'Signals.Send',
  };
}

export interface TokenOptions {
  claims?: Record<string, unknown>;
  issuer?: string;
  audience?: string;
  /** Seconds from now. */
  expiresIn?: number;
  key?: jose.CryptoKey;
  alg?: string;
}

export async function signToken(jwks: Jwks, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ tid: TENANT, roles: ['Signals.Send'], azp: SENDER_CLIENT, ...options.claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: jwks.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? `https://login.microsoftonline.com/${TENANT}/v2.0`)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(SENDER_CLIENT)
    .setIssuedAt(now - 10)
    .setNotBefore(now - 10)
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(options.key ?? jwks.privateKey);
}

export interface Harness {
  port: number;
  calls: Call[];
  /** Every log line written (pino JSON), restify's own included. */
  logLines: string[];
  /** Every response body this harness received. */
  bodies: string[];
  /** Replace to change what the fake receiveSignal does. */
  receive: (signal: SignalInput, ctx: Call['ctx']) => Promise<{ signalId: string; deliveredTo: number }>;
  request(options?: RequestOptions): Promise<Reply>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  jwks?: Jwks;
  limits?: IntakeDeps['limits'];
  /** Entra senders allowed, per school; API keys always pass this check. */
  allowedClients?: string[];
  /** Runs on the server before the intake routes are registered (e.g. to add a server-wide plugin). */
  configure?: (server: restify.Server) => void;
  /** What this instance shares with others (e.g. on Redis); default: its own, in memory. */
  shared?: IntakeDeps['shared'];
}

/** A real restify server on 127.0.0.1 with the intake routes and a fake receiveSignal. */
export async function startIntake(options: HarnessOptions = {}): Promise<Harness> {
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => logLines.push(line) },
  });
  const server = createHttpServer(logger);
  const allowed = new Set(options.allowedClients ?? [SENDER_CLIENT]);
  options.configure?.(server);
  let counter = 0;
  const harness: Harness = {
    port: 0,
    calls: [],
    logLines,
    bodies: [],
    receive: async () => ({ signalId: `sig-${++counter}`, deliveredTo: 2 }),
    request: (requestOptions) => send(harness, requestOptions),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  registerIntakeRoutes(server, {
    receiveSignal: (signal, ctx) => {
      harness.calls.push({ signal, ctx });
      return harness.receive(signal, ctx);
    },
    signalRules: () => ({ today: TODAY, isKnownSchool: (id) => SCHOOLS.includes(id) }),
    isSenderAllowed: (sender) => sender.kind === 'api-key' || allowed.has(sender.id),
    auth: {
      apiKeys: [
        { label: 'key#1', key: API_KEY_ALL, schools: 'all' },
        { label: 'key#2', key: API_KEY_NOORD, schools: ['de-noordster'] },
      ],
      entra: options.jwks ? entraOptions(options.jwks) : undefined,
    },
    logger,
    limits: options.limits,
    ...(options.shared ? { shared: options.shared } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  harness.port = (server.address() as AddressInfo).port;
  return harness;
}

function send(harness: Harness, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  const auth = options.auth ?? { apiKey: API_KEY_ALL };
  if (auth !== 'none' && 'apiKey' in auth) headers['X-API-Key'] = auth.apiKey;
  if (auth !== 'none' && 'bearer' in auth) headers['Authorization'] = `Bearer ${auth.bearer}`;
  Object.assign(headers, options.headers);
  for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name];
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.from(
      typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
      'utf8',
    );
  } else if (!options.chunks && (options.method ?? 'POST') === 'POST') {
    payload = Buffer.from(JSON.stringify(validSignal()), 'utf8');
  }
  if (payload) headers['Content-Length'] = String(payload.length);

  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: harness.port,
        method: options.method ?? 'POST',
        path: options.path ?? '/api/signals',
        headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          harness.bodies.push(text);
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON: the assertions will say so
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (options.chunks) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else {
      req.end(payload);
    }
  });
}

export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
