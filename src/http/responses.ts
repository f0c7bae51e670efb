/** JSON responses and the error envelope `{ error: { code, message, details? } }`. */
import type { ErrorCode, Failure } from '../flags/result';

export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return jsonText(JSON.stringify(body), status, headers);
}

/** A JSON answer whose text is already made (OFREP's bulk answer is assembled from cached parts). */
export function jsonText(text: string, status = 200, headers: HeadersInit = {}): Response {
  return new Response(text, {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}

export function errorResponse(status: number, code: ErrorCode | string, message: string, details?: unknown): Response {
  return json({ error: details === undefined ? { code, message } : { code, message, details } }, status);
}

/** Thrown inside handlers to end a request with a 4xx; the router's catch turns it into JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  static from(failure: Failure): HttpError {
    return new HttpError(failure.status, failure.code, failure.message, failure.details);
  }
}
