/**
 * Talking to the coordinator from inside workerd, for the workerd tests (test/helpers/*) and the
 * bench Worker (bench/worker/helpers.ts) alike: its HTTP API through the Worker's loopback
 * binding, its KV values, polling, and the notification receivers it posts to. Free of vitest and
 * `cloudflare:test`, so the bench can use it.
 */
import { env, exports } from 'cloudflare:workers';
import { KV_KEYS, type FlagBundle, type FlagSnapshot } from '../../src/flags/model';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** Bearer token; the client's own by default, `null` for none. */
  token?: string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

export interface ApiClient {
  api<T = any>(method: string, path: string, body?: unknown, options?: CallOptions): Promise<ApiResponse<T>>;
  /** Creates a flag; anything but a 201 throws. */
  createFlag(flag: Record<string, unknown>): Promise<any>;
}

/** The Worker's own HTTP entry, as an HTTP client reaches it. */
export function mainEntry(): { fetch(input: string, init?: RequestInit): Promise<Response> } {
  return (exports as unknown as { default: { fetch(input: string, init?: RequestInit): Promise<Response> } }).default;
}

/** An HTTP client of the coordinator at `origin` (any host: the call never leaves the isolate). */
export function apiClient(origin: string, token: string): ApiClient {
  async function api<T = any>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
    let payload: string | undefined = options.rawBody;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] ??= 'application/json';
    }
    const response = await mainEntry().fetch(`${origin}${path}`, { method, headers, body: payload });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
  }
  async function createFlag(flag: Record<string, unknown>): Promise<any> {
    const response = await api('POST', '/admin/flags', flag);
    if (response.status !== 201) throw new Error(`create ${String(flag['id'])} failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.flag;
  }
  return { api, createFlag };
}

/** Polls `check` every `everyMs` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000, what = 'condition', everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await scheduler.wait(everyMs);
  }
}

const flagsKv = () => (env as unknown as { FLAGS_KV: KVNamespace }).FLAGS_KV;

/** The article's per-flag KV key as application Workers read it. */
export function kvSnapshot(flagId: string): Promise<FlagSnapshot | null> {
  return flagsKv().get<FlagSnapshot>(KV_KEYS.flag(flagId), 'json');
}

/** The bundle as application Workers read it. */
export function kvBundle(): Promise<FlagBundle | null> {
  return flagsKv().get<FlagBundle>(KV_KEYS.bundle, 'json');
}

export interface Delivery {
  url: string;
  body: string;
  headers: Headers;
}

/**
 * Answers the `.invalid` notification hosts of the Worker's config in-process (the Durable Objects
 * run in this isolate, so their outbox deliveries come here): each delivery is handed to
 * `receive`, whose answer the object gets. Every other request goes out as before.
 */
export function interceptReceivers(receive: (delivery: Delivery) => Promise<Response> | Response): void {
  const original = globalThis.fetch;
  const intercepted = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (!new URL(request.url).hostname.endsWith('.invalid')) return original(input, init);
    return receive({ url: request.url, body: await request.text(), headers: request.headers });
  };
  globalThis.fetch = intercepted as typeof fetch;
}
