// The admin API client: one place that knows URLs, headers and the error shape.
// Every call sends the session's bearer token, if there is one, and this origin's cookies (behind
// Cloudflare Access the CF_Authorization cookie signs a person in); errors become ApiError with
// the API's { error: { code, message, details } } fields.

const TOKEN_KEY = 'flag-coordinator.token';

/** The token lives in sessionStorage only: it is gone when the tab or browser closes. */
export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the request never reached the server)
   * @param {string} code the API's error code, e.g. "validation_failed", "version_mismatch"
   * @param {string} message human-readable message from the API
   * @param {unknown} details validation issues ([{ path, message }]) or, for 412, { current }
   */
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Validation issues as [{ path, message }], whatever else `details` holds. */
  get issues() {
    return Array.isArray(this.details)
      ? this.details.filter((d) => d && typeof d === 'object' && 'message' in d).map((d) => ({ path: String(d.path ?? ''), message: String(d.message) }))
      : [];
  }
}

/** Listeners told when a request answers 401, so the app can return to the sign-in screen. */
const unauthorizedListeners = new Set();
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * @param {string} method
 * @param {string} path starting with /admin
 * @param {{ body?: unknown, ifMatch?: number | string, token?: string, query?: Record<string, unknown>, signIn?: boolean }} [options]
 *   signIn: this call checks who is signed in, so a 401 is an answer, not a lost session
 */
export async function request(method, path, options = {}) {
  const token = options.token ?? tokenStore.get();
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.ifMatch !== undefined && options.ifMatch !== null) headers['If-Match'] = String(options.ifMatch);

  let url = path;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }

  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError(0, 'network_error', `Could not reach the server (${err instanceof Error ? err.message : String(err)}).`);
  }

  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const error = data && typeof data === 'object' && data.error ? data.error : {};
    const apiError = new ApiError(
      response.status,
      String(error.code ?? `http_${response.status}`),
      String(error.message ?? (response.statusText || `Request failed with status ${response.status}`)),
      error.details,
    );
    if (response.status === 401 && !options.signIn) for (const listener of unauthorizedListeners) listener(apiError);
    throw apiError;
  }
  return data ?? {};
}

const flagPath = (id) => `/admin/flags/${encodeURIComponent(id)}`;
const segmentPath = (id) => `/admin/segments/${encodeURIComponent(id)}`;

export const api = {
  /** Who the caller is: { name, email, role, scopes, via }; with `token`, checks it without storing it. */
  me: (token) => request('GET', '/admin/me', token ? { token, signIn: true } : { signIn: true }),

  /** One page of the list: { flags, next_cursor, total }. `query`: limit, cursor, q, status, archived, stale, permanent, sort, order. */
  listFlags: (query = {}) => request('GET', '/admin/flags', { query }),
  /** archive | mark_permanent | unmark_permanent | set_owner on up to 500 flags: { results: [{ id, ok, status, version?, error? }] }. */
  bulkFlags: (action, ids, { owner, reason } = {}) => request('POST', '/admin/flags/bulk', { body: withReason(owner === undefined ? { action, ids } : { action, ids, owner }, reason) }),
  staleFlags: (days) => request('GET', '/admin/flags/stale', { query: { days } }),
  createFlag: (body) => request('POST', '/admin/flags', { body }),
  getFlag: (id) => request('GET', flagPath(id)),

  /** Partial update guarded by the version the user was looking at. */
  patchFlag: (id, version, patch) => request('PATCH', flagPath(id), { body: patch, ifMatch: version }),
  /** `applyAt` (ISO) schedules it; a write held for approval or for its time answers { change_request }. */
  rollout: (id, version, percentage, reason, applyAt) =>
    request('POST', `${flagPath(id)}/rollout`, { body: withReason(applyAt ? { percentage, apply_at: applyAt } : { percentage }, reason), ifMatch: version }),
  /** The kill switch never waits on a version check: stopping a bad feature wins over any edit. */
  kill: (id, reason) => request('POST', `${flagPath(id)}/kill`, { body: withReason({}, reason) }),
  archive: (id, version, reason) => request('DELETE', flagPath(id), { body: withReason({}, reason), ifMatch: version }),
  history: (id, { limit, before } = {}) => request('GET', `${flagPath(id)}/history`, { query: { limit, before } }),
  revert: (id, currentVersion, version, reason) =>
    request('POST', `${flagPath(id)}/revert`, { body: withReason({ version }, reason), ifMatch: currentVersion }),
  health: (id) => request('GET', `${flagPath(id)}/health`),
  /** Whether the current version reached the readers (propagation receipts). */
  propagation: (id) => request('GET', `${flagPath(id)}/propagation`),
  /** The experiment's read-out (docs/experiments.md). */
  experiment: (id) => request('GET', `${flagPath(id)}/experiment`),

  // Protected flags and change requests (issue 16).
  setProtection: (id, version, on) => request('PUT', `${flagPath(id)}/protection`, { body: { protected: on }, ifMatch: version }),
  /** One flag's requests, from its flag object; `status`: e.g. "pending,scheduled". */
  flagChangeRequests: (id, status) => request('GET', `${flagPath(id)}/change-requests`, { query: { status } }),
  /** Every flag's requests: `query`: status, flag, limit. */
  changeRequests: (query = {}) => request('GET', '/admin/change-requests', { query }),
  /** approve | reject | cancel: { change_request, flag }. */
  actOnRequest: (requestId, action, reason) =>
    request('POST', `/admin/change-requests/${encodeURIComponent(requestId)}/${action}`, { body: withReason({}, reason) }),

  // Rollout plans (issue 6): PUT sets a draft; start / pause / resume / abort / advance steer it.
  setPlan: (id, version, plan, reason) => request('PUT', `${flagPath(id)}/plan`, { body: withReason(plan, reason), ifMatch: version }),
  planCommand: (id, version, command, reason) =>
    request('POST', `${flagPath(id)}/plan/${command}`, { body: withReason({}, reason), ifMatch: version }),

  // Segments: named condition sets that rules use with op "in_segment".
  listSegments: () => request('GET', '/admin/segments'),
  createSegment: (body) => request('POST', '/admin/segments', { body }),
  getSegment: (id) => request('GET', segmentPath(id)),
  patchSegment: (id, version, patch) => request('PATCH', segmentPath(id), { body: patch, ifMatch: version }),
  /** Archives the segment; 409 with details.flags while flags or other segments use it. */
  deleteSegment: (id, version, reason) => request('DELETE', segmentPath(id), { body: withReason({}, reason), ifMatch: version }),
  segmentHistory: (id, { limit, before } = {}) => request('GET', `${segmentPath(id)}/history`, { query: { limit, before } }),
};

function withReason(body, reason) {
  const trimmed = typeof reason === 'string' ? reason.trim() : '';
  return trimmed ? { ...body, reason: trimmed } : body;
}
