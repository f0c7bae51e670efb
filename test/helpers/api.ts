/** Calls the coordinator Worker in-process, as an HTTP client would. */
import { env, exports } from 'cloudflare:workers';
import type { FlagBundle, FlagSnapshot } from '../../src/flags/schema';

export const TOKENS = {
  admin: 'test-admin-token',
  viewer: 'test-read-token',
  reporter: 'test-report-token',
} as const;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

export async function api<T = any>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? TOKENS.admin : options.token;
  if (token) headers['Authorization'] = `Bearer ${token}`;
  let payload: string | undefined = options.rawBody;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await exports.default.fetch(`https://flags.test${path}`, { method, headers, body: payload });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

export async function createFlag(flag: Record<string, unknown>): Promise<any> {
  const response = await api('POST', '/admin/flags', flag);
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.flag;
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function kvSnapshot(flagId: string): Promise<FlagSnapshot | null> {
  return env.FLAGS_KV.get<FlagSnapshot>(`flag:${flagId}`, 'json');
}

export async function kvBundle(): Promise<FlagBundle | null> {
  return env.FLAGS_KV.get<FlagBundle>('flags:bundle', 'json');
}

/** Waits until the per-flag KV key holds exactly `version`. */
export function kvVersion(flagId: string, version: number, timeoutMs = 5_000): Promise<FlagSnapshot> {
  return waitFor(async () => {
    const snapshot = await kvSnapshot(flagId);
    return snapshot && snapshot.version === version ? snapshot : undefined;
  }, timeoutMs, `KV flag:${flagId} at version ${version}`);
}

/** Waits until the bundle holds `flagId` at `version` (or without it, for `null`). */
export function bundleVersion(flagId: string, version: number | null, timeoutMs = 5_000): Promise<FlagBundle> {
  return waitFor(async () => {
    const bundle = await kvBundle();
    if (!bundle) return undefined;
    const found = bundle.flags[flagId];
    if (version === null) return found ? undefined : bundle;
    return found && found.version === version ? bundle : undefined;
  }, timeoutMs, `bundle with ${flagId} at ${version}`);
}
