/**
 * Limits on what a client key (a public credential) may ask: body and context size, and a request
 * rate per key and client IP. The rate is counted per isolate in a fixed one-minute window, so a
 * determined client spread over many isolates or locations gets more; put a Cloudflare rate-limiting
 * rule in front of the route for a global limit.
 */
import { HttpError } from './responses';

export const CLIENT_LIMITS = {
  /** Bytes of an OFREP request body sent with a client key (server tokens: MAX_BODY_BYTES). */
  bodyBytes: 16 * 1024,
  /** Attributes in an evaluation context sent with a client key. */
  contextAttributes: 50,
  /** Client-side flags per deployment, so a bulk answer to a browser stays small. */
  clientSideFlags: 200,
} as const;

const WINDOW_MS = 60_000;
/** Windows remembered per isolate; beyond that the oldest are forgotten first. */
const MAX_TRACKED = 10_000;

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one request; a 429 with `retryAfter` seconds once `limit` is passed in this window. */
  take(key: string, limit: number, now = Date.now()): void {
    let window = this.windows.get(key);
    if (!window || now - window.start >= WINDOW_MS) {
      this.windows.delete(key);
      if (this.windows.size >= MAX_TRACKED) this.forget(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count > limit) {
      const retryAfter = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
      throw new RateLimited(limit, retryAfter);
    }
  }

  private forget(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= WINDOW_MS || this.windows.size >= MAX_TRACKED) this.windows.delete(key);
      else break; // insertion order: the rest started later
    }
  }
}

export class RateLimited extends HttpError {
  constructor(
    limit: number,
    readonly retryAfter: number,
  ) {
    super(429, 'rate_limited', `over ${limit} requests per minute for this client key; retry after ${retryAfter} s`);
  }
}
