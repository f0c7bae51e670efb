/**
 * Cloudflare Access sign-in for people. With ACCESS_TEAM_DOMAIN and ACCESS_AUD set, a request that
 * carries an Access application token (the `Cf-Access-Jwt-Assertion` header Access adds at the
 * edge, or the `CF_Authorization` cookie) is verified with `jose` against the team's published
 * keys: RS256 only, `iss` = the team domain, `aud` containing ACCESS_AUD, `exp`/`nbf` with a small
 * leeway. The token's `email` is the person and the actor in the history; ACCESS_ROLES gives
 * their role (src/http/roles.ts). Failures are 401s that say what was wrong, never which keys.
 *
 * Bearer tokens take precedence: a machine behind Access (an Access service token) also sends
 * `Authorization`, and is then the token's principal.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Env } from '../env';
import type { Principal } from './principal';
import { HttpError } from './responses';
import { parseRoles, roleFor, ROLE_SCOPES, type RoleMap } from './roles';

export const ACCESS_HEADER = 'Cf-Access-Jwt-Assertion';
export const ACCESS_COOKIE = 'CF_Authorization';

/** Seconds of clock skew allowed on `exp` and `nbf`. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Access tokens are about 1 KiB; anything far larger is refused before parsing. */
const MAX_TOKEN_LENGTH = 16 * 1024;
/**
 * The team's key set is cached per isolate for 10 minutes; a token naming an unknown `kid` (Access
 * rotated its key) refetches it, at most once per 30 seconds so forged `kid`s cannot hammer it.
 */
const KEYS_MAX_AGE_MS = 10 * 60_000;
const KEYS_COOLDOWN_MS = 30_000;
const KEYS_TIMEOUT_MS = 5_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

interface AccessConfig {
  /** The team domain's origin, e.g. `https://acme.cloudflareaccess.com`: also the expected `iss`. */
  teamDomain: string;
  audience: string;
  roles: RoleMap;
}

type ConfigState = { kind: 'off' } | { kind: 'on'; config: AccessConfig } | { kind: 'broken'; reason: string };

const OFF: ConfigState = { kind: 'off' };
let cachedConfig: { key: string; state: ConfigState } | null = null;
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** Whether this deployment means to sign people in through Access (even if misconfigured). */
export function accessConfigured(env: Env): boolean {
  return accessConfig(env).kind !== 'off';
}

/**
 * The person an Access token signs in, or null when the request is for the API tokens to decide:
 * it sends `Authorization`, or it carries no Access token and Access is not configured.
 */
export async function accessPrincipal(request: Request, env: Env): Promise<Principal | null> {
  if (request.headers.has('Authorization')) return null;
  const token = accessToken(request);
  const state = accessConfig(env);
  if (token === null) {
    if (state.kind === 'off') return null;
    throw unauthorized('no Cloudflare Access sign-in reached the Worker (is this path behind the Access application?); or send Authorization: Bearer <token>');
  }
  if (state.kind === 'off') throw unauthorized('Cloudflare Access sign-in is not configured on this deployment; send Authorization: Bearer <token>');
  if (state.kind === 'broken') throw unauthorized('Cloudflare Access sign-in is misconfigured on this deployment');

  const { config } = state;
  const payload = await verify(token, config);
  const email = payload['email'];
  if (typeof email !== 'string' || email.length > 254 || !/^[^@\s]+@[^@\s]+$/.test(email)) {
    throw unauthorized('the Access token carries no email; people sign in through Access, machines use an API token');
  }
  const role = roleFor(email, config.roles);
  if (role === null) throw new HttpError(403, 'forbidden', `${email} has no role on this deployment`);
  if (!SAFE_METHODS.has(request.method)) requireSameOrigin(request);
  return { name: email, scopes: ROLE_SCOPES[role], via: 'access', role };
}

/** The header Access adds at the edge, else the cookie it sets in the browser. */
function accessToken(request: Request): string | null {
  const header = request.headers.get(ACCESS_HEADER)?.trim();
  if (header) return header;
  for (const part of (request.headers.get('Cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === ACCESS_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

async function verify(token: string, config: AccessConfig): Promise<JWTPayload> {
  if (token.length > MAX_TOKEN_LENGTH) throw unauthorized('the Access token is malformed');
  try {
    const { payload } = await jwtVerify(token, keySet(config.teamDomain), {
      algorithms: ['RS256'],
      issuer: config.teamDomain,
      audience: config.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    });
    return payload;
  } catch (error) {
    throw verificationError(error);
  }
}

function keySet(teamDomain: string): ReturnType<typeof createRemoteJWKSet> {
  let set = keySets.get(teamDomain);
  if (!set) {
    set = createRemoteJWKSet(new URL('/cdn-cgi/access/certs', teamDomain), {
      cacheMaxAge: KEYS_MAX_AGE_MS,
      cooldownDuration: KEYS_COOLDOWN_MS,
      timeoutDuration: KEYS_TIMEOUT_MS,
    });
    keySets.set(teamDomain, set);
  }
  return set;
}

/** A jose failure as the caller's 401 (or a 503 when the team's keys cannot be fetched). */
function verificationError(error: unknown): HttpError {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return unauthorized('the Access token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = String((error as { claim?: unknown }).claim ?? '');
      if (claim === 'aud') return unauthorized('the Access token is for another application ("aud" does not include ACCESS_AUD)');
      if (claim === 'iss') return unauthorized('the Access token was issued by another team ("iss" is not ACCESS_TEAM_DOMAIN)');
      if (claim === 'nbf') return unauthorized('the Access token is not valid yet ("nbf")');
      return unauthorized(`the Access token's "${claim}" claim is missing or invalid`);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthorized('the Access token signature does not verify');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return unauthorized('the Access token was signed by a key ("kid") the team does not publish');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return unauthorized('the Access token must be signed with RS256');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_NOT_SUPPORTED':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return unauthorized('the Access token is malformed');
    default:
      // The key set could not be fetched or read (timeout, network, not 200, not a key set).
      console.error('could not fetch the Cloudflare Access signing keys', error instanceof Error ? error.message : String(error));
      return new HttpError(503, 'access_unavailable', 'could not fetch the Cloudflare Access signing keys; try again');
  }
}

/**
 * A browser sends the Access cookie with every request to the origin, a cross-site form post too,
 * and the edge turns it into the header. Changes are therefore refused unless they come from a
 * page of this origin (Fetch Metadata, else the Origin header).
 */
function requireSameOrigin(request: Request): void {
  const site = request.headers.get('Sec-Fetch-Site');
  const origin = request.headers.get('Origin');
  const crossSite = site !== null ? site !== 'same-origin' && site !== 'none' : origin !== null && origin !== new URL(request.url).origin;
  if (crossSite) throw new HttpError(403, 'forbidden', 'changes through a Cloudflare Access sign-in must come from this origin');
}

function accessConfig(env: Env): ConfigState {
  const { ACCESS_TEAM_DOMAIN: domain, ACCESS_AUD: audience, ACCESS_ROLES: roles } = env;
  if (!domain?.trim() && !audience?.trim()) return OFF;
  const key = JSON.stringify([domain, audience, roles]);
  if (cachedConfig?.key !== key) {
    const state = parseConfig(domain, audience, roles);
    if (state.kind === 'broken') console.error(`Cloudflare Access is misconfigured (${state.reason}); refusing every Access sign-in`);
    cachedConfig = { key, state };
  }
  return cachedConfig.state;
}

function parseConfig(domain: string | undefined, audience: string | undefined, rolesText: string | undefined): ConfigState {
  const teamDomain = teamOrigin(domain ?? '');
  if (teamDomain === null) {
    return { kind: 'broken', reason: 'ACCESS_TEAM_DOMAIN must be an https:// origin such as https://acme.cloudflareaccess.com (http:// only on a loopback address)' };
  }
  if (!audience?.trim()) return { kind: 'broken', reason: 'ACCESS_AUD (the Access application audience tag) is not set' };
  const roles = parseRoles(rolesText);
  if (!roles.ok) return { kind: 'broken', reason: roles.reason };
  return { kind: 'on', config: { teamDomain, audience: audience.trim(), roles: roles.roles } };
}

/** The team domain's origin; http:// only for a loopback host (local tests against a key server). */
function teamOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  if (url.protocol === 'https:') return url.origin;
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname);
  return url.protocol === 'http:' && loopback ? url.origin : null;
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, 'unauthorized', message);
}
