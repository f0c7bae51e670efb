/**
 * Outcomes of domain operations. Durable Object RPC methods return these as plain values (a thrown
 * error loses its shape across RPC), and the HTTP layer turns a failure into its status and JSON.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'flag_exists'
  | 'flag_archived'
  | 'conflict'
  | 'version_mismatch'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'invalid_json'
  | 'unavailable';

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `rules.0.conditions.1.values`. */
  path: string;
  message: string;
}

export interface Failure {
  ok: false;
  status: 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 503;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export type Result<T> = { ok: true; value: T } | Failure;

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export function fail(status: Failure['status'], code: ErrorCode, message: string, details?: unknown): Failure {
  return details === undefined ? { ok: false, status, code, message } : { ok: false, status, code, message, details };
}

export function invalid(issues: FieldIssue[]): Failure {
  const fields = issues.map((i) => i.path || '(body)').join(', ');
  return fail(400, 'validation_failed', `invalid field(s): ${fields}`, issues);
}

/** Turns zod issues (or our own) into field issues with dotted paths. */
export function toFieldIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix = ''): FieldIssue[] {
  return issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.'),
    message: issue.message,
  }));
}

/** A 412 when `If-Match` named another version than the current one; null when it matches or is absent. */
export function versionMismatch(noun: 'flag' | 'segment', current: { version: number }, expected: number | undefined): Failure | null {
  if (expected === undefined || expected === current.version) return null;
  return fail(412, 'version_mismatch', `${noun} is at version ${current.version}, not ${expected}`, { current });
}
