/**
 * A Cloudflare Access team for the workerd tests. Its RSA keys are made in the test with jose; its
 * key set is served at `<team domain>/cdn-cgi/access/certs` by the outbound-fetch interception the
 * notification receiver already installs (the team domain is an `.invalid` host, so nothing leaves
 * the isolate, and each certs fetch is counted). Tokens are signed the way Access signs them.
 *
 * Requests go straight to the Worker's fetch handler with an env that turns Access on, so the rest
 * of the suite keeps running with API tokens only.
 */
import { env } from 'cloudflare:workers';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import worker from '../../src/index';
import type { Env } from '../../src/env';
import { installReceiver, type Delivery } from './receiver';

export const AUDIENCE = '5b9f6a0c3e8d4f2a9b1c7e6d5a4f3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a';

export const ROLES = {
  admin: ['ada@acme.test', 'ann@acme.test'],
  editor: ['*@acme.test'],
  viewer: ['vic@partner.test'],
};

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half as the certs endpoint lists it. */
  jwk: JWK;
}

export async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface TokenOptions {
  /** Signs with this key (default: the first published key). */
  key?: SigningKey;
  /** The `kid` header (default: the signing key's). */
  kid?: string;
  issuer?: string;
  audience?: string | string[];
  /** Seconds from now. */
  expiresIn?: number;
  notBeforeIn?: number;
}

export interface CallOptions {
  /** Sent as `Cf-Access-Jwt-Assertion`. */
  jwt?: string;
  /** Sent as the `CF_Authorization` cookie. */
  cookie?: string;
  body?: unknown;
  headers?: Record<string, string>;
  env?: Partial<Env>;
}

let teams = 0;

export class AccessTeam {
  /** Each team has its own domain, so each starts with an empty key-set cache in the Worker. */
  readonly domain = `https://team-${++teams}-${Date.now().toString(36)}.cloudflareaccess.invalid`;
  readonly certsUrl = `${this.domain}/cdn-cgi/access/certs`;
  /** The keys the certs endpoint lists; change it to rotate. */
  published: SigningKey[] = [];
  private readonly receiver = installReceiver((delivery) =>
    delivery.url === this.certsUrl ? Response.json({ keys: this.published.map((key) => key.jwk) }) : new Response('ok'),
  );

  static async create(): Promise<AccessTeam> {
    const team = new AccessTeam();
    team.published = [await signingKey('key-1')];
    return team;
  }

  /** How many times the Worker fetched the key set. */
  get certFetches(): number {
    return this.receiver.deliveries.filter((delivery) => delivery.url === this.certsUrl).length;
  }

  /** What the Worker posted to the notification receivers (Slack, webhook). */
  get notifications(): Delivery[] {
    return this.receiver.deliveries.filter((delivery) => delivery.url !== this.certsUrl);
  }

  restore(): void {
    this.receiver.restore();
  }

  env(overrides: Partial<Env> = {}): Env {
    return { ...env, ACCESS_TEAM_DOMAIN: this.domain, ACCESS_AUD: AUDIENCE, ACCESS_ROLES: JSON.stringify(ROLES), ...overrides };
  }

  /** An application token for `email` (or for `claims`, to leave the email out). */
  async token(email: string | JWTPayload, options: TokenOptions = {}): Promise<string> {
    const key = options.key ?? this.published[0]!;
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = typeof email === 'string' ? { email, type: 'app', identity_nonce: 'nonce' } : email;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid })
      .setIssuer(options.issuer ?? this.domain)
      .setAudience(options.audience ?? [AUDIENCE])
      .setSubject('7335d417-61da-459d-899c-0a01c76a2f94')
      .setIssuedAt(now)
      .setNotBefore(now + (options.notBeforeIn ?? 0))
      .setExpirationTime(now + (options.expiresIn ?? 3600));
    return jwt.sign(key.privateKey);
  }

  /** Calls the Worker with Access configured, as the edge would forward a request. */
  async call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<{ status: number; body: T; text: string }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.jwt !== undefined) headers['Cf-Access-Jwt-Assertion'] = options.jwt;
    if (options.cookie !== undefined) headers['Cookie'] = `theme=dark; CF_Authorization=${options.cookie}`;
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    const request = new Request(`https://flags.test${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, this.env(options.env), ctx);
    await waitOnExecutionContext(ctx);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, text };
  }
}

/** A JWT whose header says `alg: none`, with no signature. */
export function unsignedToken(claims: JWTPayload, kid: string): string {
  const encode = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  return `${encode({ alg: 'none', kid })}.${encode(claims)}.`;
}
