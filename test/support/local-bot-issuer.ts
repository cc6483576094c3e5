import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/**
 * A local stand-in for the Bot Framework channel token issuer (the service behind
 * `https://login.botframework.com/v1/.well-known/openidconfiguration`), listening on 127.0.0.1.
 *
 * Point `createBotAdapter({ openIdMetadataUrl: issuer.openIdMetadataUrl, tokenIssuer: issuer.issuer })`
 * at it and send the bot requests with `Authorization: Bearer ${await issuer.mintToken({ audience: appId })}`.
 *
 * What botbuilder 4.23 (JwtTokenExtractor / OpenIdMetadata) needs from it:
 * - the metadata document only for its `jwks_uri`;
 * - RSA keys in the JWKS with `kid`, `n`, `e` (it builds a PEM from modulus and exponent);
 * - if a key carries `endorsements`, the activity's `channelId` must be one of them (so tokens for
 *   `msteams` activities need `endorsements: ['msteams']`, like the real keys have);
 * - the token's `iss` must equal the configured ToBotFromChannelTokenIssuer, `aud` the bot's app id,
 *   `serviceurl` the activity's serviceUrl; RS256; exp/nbf are checked with 5 minutes of clock tolerance.
 *
 * The same key also stands in for the Emulator's issuers (botAuthConfig points the Emulator metadata
 * at the channel override), so a token minted here with `issuer: 'https://sts.windows.net/…/'` is
 * what botbuilder would take for an Emulator token; the bot's own hardening must refuse it.
 */
export interface LocalBotIssuerOptions {
  /** Value of the `iss` claim and of the metadata's `issuer`; defaults to the server's own URL. */
  issuer?: string;
  /** Endorsements published with the signing key; defaults to `['msteams']`. */
  endorsements?: string[];
  /** Key id of the published key; defaults to a fixed test value. */
  kid?: string;
}

export interface MintTokenOptions {
  /** The bot's app id (`aud`). */
  audience: string;
  /** Overrides `iss` (e.g. to test a wrong issuer). */
  issuer?: string;
  /**
   * Seconds from now until `exp`; negative for an already expired token. Default 3600. Note that
   * botbuilder allows 5 minutes of clock skew, so an expired token must be older than that.
   */
  expiresIn?: number;
  /** Leaves `exp` out altogether (jsonwebtoken then checks no expiry; the bot must refuse it). */
  withoutExpiry?: boolean;
  /** Seconds from now for `nbf` (default 0); positive for a token that is not valid yet. */
  notBefore?: number;
  /** The `serviceurl` claim; the bot requires it to equal the activity's serviceUrl. */
  serviceUrl?: string;
  /** 'good' signs with the published key; 'other-key' with a key that is not published (same `kid`). */
  signWith?: 'good' | 'other-key';
  /** Overrides the `kid` header (e.g. a kid the JWKS does not have). */
  kid?: string;
  /** Extra claims, merged last. */
  claims?: Record<string, unknown>;
}

export interface IssuerRequest {
  method: string;
  path: string;
}

export class LocalBotIssuer {
  /** Every request this issuer received, in order. */
  readonly requests: IssuerRequest[] = [];

  private server: Server | undefined;
  private baseUrl: string | undefined;
  private goodKey: CryptoKey | undefined;
  private otherKey: CryptoKey | undefined;
  private jwk: JWK | undefined;
  private readonly kid: string;
  private readonly endorsements: string[];

  constructor(private readonly options: LocalBotIssuerOptions = {}) {
    this.kid = options.kid ?? 'local-bot-issuer-key-1';
    this.endorsements = options.endorsements ?? ['msteams'];
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    if (!this.baseUrl) throw new Error('LocalBotIssuer: not started');
    return this.baseUrl;
  }

  /** The URL to configure as ToBotFromChannelOpenIdMetadataUrl. */
  get openIdMetadataUrl(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  get jwksUri(): string {
    return `${this.url}/keys`;
  }

  /** The URL to configure as ToBotFromChannelTokenIssuer. */
  get issuer(): string {
    return this.options.issuer ?? this.url;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const good = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    this.goodKey = good.privateKey;
    this.otherKey = other.privateKey;
    this.jwk = {
      ...(await exportJWK(good.publicKey)),
      kid: this.kid,
      use: 'sig',
      alg: 'RS256',
      endorsements: this.endorsements,
    } as JWK;

    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }

  /** A token shaped like the one the Bot Connector sends to a bot. */
  async mintToken(options: MintTokenOptions): Promise<string> {
    if (!this.goodKey || !this.otherKey) throw new Error('LocalBotIssuer: not started');
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {};
    if (options.serviceUrl !== undefined) payload.serviceurl = options.serviceUrl;
    Object.assign(payload, options.claims ?? {});
    const jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? this.kid })
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience)
      .setNotBefore(now + (options.notBefore ?? 0));
    if (!options.withoutExpiry) jwt.setExpirationTime(now + (options.expiresIn ?? 3600));
    return jwt.sign(options.signWith === 'other-key' ? this.otherKey : this.goodKey);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    this.requests.push({ method: req.method ?? 'GET', path });
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer: this.issuer,
        authorization_endpoint: `${this.url}/authorize`,
        jwks_uri: this.jwksUri,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (req.method === 'GET' && path === '/keys') {
      return json(res, 200, { keys: [this.jwk] });
    }
    return json(res, 404, { error: 'not found' });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
