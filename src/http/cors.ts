/**
 * CORS for the OFREP routes only (admin and report routes never answer it). Which origin, if any,
 * a response may name is decided by the OFREP router (src/routes/ofrep.ts): an origin a client key
 * allows. No cookies are involved, so credentials are never allowed.
 */

export const PREFLIGHT_MAX_AGE_SECONDS = 7200;
const ALLOWED_METHODS = 'POST, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, If-None-Match';
/** Beyond the CORS-safelisted ones: the bulk answer's ETag, and a 429's Retry-After. */
const EXPOSED_HEADERS = 'ETag, Retry-After';

/** The answer to a preflight from an allowed origin. */
export function preflightResponse(origin: string): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Allow-Headers': ALLOWED_HEADERS,
      'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_SECONDS),
      Vary: 'Origin',
    },
  });
}

/** `response` with the headers that let a page at `origin` read it; without, when `origin` is null. */
export function withCors(response: Response, origin: string | null): Response {
  const headers = new Headers(response.headers);
  // Answers differ by origin, so caches must keep them apart even when this one names none.
  if (!/\borigin\b/i.test(headers.get('Vary') ?? '')) headers.append('Vary', 'Origin');
  if (origin !== null) {
    headers.set('Access-Control-Allow-Origin', origin);
    headers.set('Access-Control-Expose-Headers', EXPOSED_HEADERS);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
