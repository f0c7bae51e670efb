/**
 * Authentication: people through Cloudflare Access (src/http/access.ts), machines with bearer
 * tokens. Tokens come from the ADMIN_TOKENS secret as a JSON array of `{ name, token, scopes }`;
 * the name is the actor recorded in the history. With neither tokens nor Access configured every
 * protected route refuses (fail closed). Tokens are compared through their SHA-256 digests with a
 * constant-time comparison, against every configured token.
 */
import { z } from 'zod';
import type { IRequest } from 'itty-router';
import type { Env } from '../env';
import { accessPrincipal } from './access';
import { HttpError } from './responses';
import { SCOPES, type Principal, type Scope } from './principal';

const tokensSchema = z
  .array(
    z.object({
      name: z.string().min(1).max(64),
      token: z.string().min(8).max(512),
      scopes: z.array(z.enum(SCOPES)).min(1),
    }),
  )
  .max(100);

/** A routed request after `scoped` has run. */
export type AuthenticatedRequest = IRequest & { principal: Principal };

interface StoredToken {
  principal: Principal;
  digest: ArrayBuffer;
}

let cached: { secret: string; tokens: Promise<StoredToken[]> } | null = null;

function loadTokens(secret: string | undefined): Promise<StoredToken[]> {
  if (!secret) return Promise.resolve([]);
  if (cached?.secret !== secret) {
    cached = { secret, tokens: digestTokens(secret) };
  }
  return cached.tokens;
}

async function digestTokens(secret: string): Promise<StoredToken[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(secret);
  } catch {
    console.error('ADMIN_TOKENS is not valid JSON; refusing every token');
    return [];
  }
  const parsed = tokensSchema.safeParse(raw);
  if (!parsed.success) {
    console.error('ADMIN_TOKENS does not match [{ name, token, scopes }]; refusing every token');
    return [];
  }
  return Promise.all(
    parsed.data.map(async (t) => ({ principal: { name: t.name, scopes: t.scopes, via: 'token' as const }, digest: await sha256(t.token) })),
  );
}

/** The caller, or a 401. Every configured token is compared, so timing does not reveal which matched. */
export async function authenticate(request: Request, secret: string | undefined): Promise<Principal> {
  const tokens = await loadTokens(secret);
  if (tokens.length === 0) throw new HttpError(401, 'unauthorized', 'no API tokens are configured on this deployment');
  const header = request.headers.get('Authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new HttpError(401, 'unauthorized', 'send Authorization: Bearer <token>');
  const presented = await sha256(match[1]!);
  let found: Principal | null = null;
  for (const token of tokens) {
    if (crypto.subtle.timingSafeEqual(presented, token.digest) && !found) found = token.principal;
  }
  if (!found) throw new HttpError(401, 'unauthorized', 'invalid token');
  return found;
}

/** The caller: a person signed in through Cloudflare Access, else an API token's principal. */
export async function identify(request: Request, env: Env): Promise<Principal> {
  return (await accessPrincipal(request, env)) ?? authenticate(request, env.ADMIN_TOKENS);
}

/** itty-router middleware: authenticates, records the caller on the request, checks the scope. */
export function scoped<R extends AuthenticatedRequest = AuthenticatedRequest>(scope: Scope) {
  return async (request: R, ...[env]: [env: Env, ctx: ExecutionContext]): Promise<void> => {
    request.principal = await identify(request, env);
    requireScope(request.principal, scope);
  };
}

export function requireScope(principal: Principal, scope: Scope): void {
  if (principal.scopes.includes(scope)) return;
  const who = principal.role ? `the "${principal.role}" role` : 'this token';
  throw new HttpError(403, 'forbidden', `${who} lacks the "${scope}" scope`);
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}
