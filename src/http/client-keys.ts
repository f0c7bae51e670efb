/**
 * Client keys: credentials made to be public (shipped in a web page or a mobile app). A client key
 * may only evaluate over OFREP, only flags marked `client_side: true`, and only from the origins it
 * lists. They come from CLIENT_KEYS, a JSON array of `{ name, key, origins, rate_limit_per_minute? }`
 * configured beside ADMIN_TOKENS. A key is public, but it is still compared in constant time
 * against every configured key, like a token.
 */
import { z } from 'zod';
import { HttpError } from './responses';

/** `scheme://host[:port]`, where the host may start with `*.` (any subdomain) and the port may be `*`. */
const ORIGIN_PATTERN = /^([a-z][a-z0-9+.-]*):\/\/(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}|\*))?$/;
/** A serialised Origin header (no path, no trailing slash). */
const ORIGIN = /^([a-z][a-z0-9+.-]*):\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

const keysSchema = z
  .array(
    z
      .object({
        name: z.string().min(1).max(64),
        key: z.string().min(8).max(512),
        origins: z
          .array(z.string().transform((o) => o.toLowerCase()).pipe(z.string().regex(ORIGIN_PATTERN, 'an origin such as https://app.example.com, http://localhost:* or https://*.example.com')))
          .min(1)
          .max(100),
        /** Requests per minute per key and client IP, counted per isolate. */
        rate_limit_per_minute: z.number().int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMIT_PER_MINUTE),
      })
      .strict(),
  )
  .max(100)
  .refine((keys) => new Set(keys.map((k) => k.name)).size === keys.length, 'client key names must be unique');

export interface ClientKey {
  name: string;
  origins: readonly string[];
  rateLimitPerMinute: number;
}

interface StoredKey {
  key: ClientKey;
  digest: ArrayBuffer;
}

let cached: { secret: string; keys: Promise<StoredKey[]> } | null = null;

function loadKeys(secret: string | undefined): Promise<StoredKey[]> {
  if (!secret) return Promise.resolve([]);
  if (cached?.secret !== secret) cached = { secret, keys: digestKeys(secret) };
  return cached.keys;
}

async function digestKeys(secret: string): Promise<StoredKey[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(secret);
  } catch {
    console.error('CLIENT_KEYS is not valid JSON; refusing every client key');
    return [];
  }
  const parsed = keysSchema.safeParse(raw);
  if (!parsed.success) {
    console.error('CLIENT_KEYS does not match [{ name, key, origins, rate_limit_per_minute? }]; refusing every client key');
    return [];
  }
  return Promise.all(
    parsed.data.map(async (k) => ({
      key: { name: k.name, origins: k.origins, rateLimitPerMinute: k.rate_limit_per_minute },
      digest: await sha256(k.key),
    })),
  );
}

/** The client key the request's bearer credential is, or null (it may still be a server token). */
export async function matchClientKey(request: Request, secret: string | undefined): Promise<ClientKey | null> {
  const keys = await loadKeys(secret);
  if (keys.length === 0) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get('Authorization') ?? '');
  if (!match) return null;
  const presented = await sha256(match[1]!);
  let found: ClientKey | null = null;
  for (const stored of keys) {
    if (crypto.subtle.timingSafeEqual(presented, stored.digest) && !found) found = stored.key;
  }
  return found;
}

/** Ends the request with a 403 unless the key lists the request's origin. */
export function requireAllowedOrigin(key: ClientKey, origin: string | null): void {
  if (origin === null) throw new HttpError(403, 'origin_not_allowed', 'a client key is only accepted with an Origin header it lists');
  if (!originAllowed(key.origins, origin)) throw new HttpError(403, 'origin_not_allowed', `client key "${key.name}" is not allowed from this origin`);
}

/**
 * Whether any configured client key allows `origin`. A preflight carries no Authorization header,
 * so it is answered for the union of every key's origins; the actual request is then checked
 * against the key it presents.
 */
export async function anyKeyAllows(secret: string | undefined, origin: string | null): Promise<boolean> {
  if (origin === null) return false;
  return (await loadKeys(secret)).some((stored) => originAllowed(stored.key.origins, origin));
}

export function originAllowed(patterns: readonly string[], origin: string): boolean {
  const parsed = ORIGIN.exec(origin.toLowerCase());
  if (!parsed) return false; // includes the opaque origin "null"
  const [, scheme, host, port = ''] = parsed as unknown as [string, string, string, string | undefined];
  return patterns.some((pattern) => {
    const [, pScheme, wildcardHost, pHost, pPort] = ORIGIN_PATTERN.exec(pattern) as unknown as [string, string, string | undefined, string, string | undefined];
    if (pScheme !== scheme) return false;
    if (wildcardHost ? !host.endsWith(`.${pHost}`) : host !== pHost) return false;
    return pPort === '*' || (pPort ?? '') === port;
  });
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}
