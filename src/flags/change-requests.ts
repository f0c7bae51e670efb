/**
 * Change requests: a change held instead of applied, because the flag is protected and its author
 * may not approve (it waits for an approver), or because it carries `apply_at` (it waits for its
 * time, then the flag's alarm applies it). Pure: the flag object stores requests and applies
 * them through the change pipeline (pipeline.ts), one new version each.
 *
 * Life of a request: `pending` (awaits approval) → `scheduled` (approved or needing no approval,
 * awaits `apply_at`) → `applied`; or `rejected`, `cancelled`, or `failed` (a scheduled change
 * whose flag moved past its `base_version`, or which the pipeline refused, at its time).
 */
import type { PlanCommand, PlanDefinition } from './plan/body';
import { fail, type Failure } from './result';
import type { FlagConfig, FlagPatch } from './schema';

/** A change that may be held: every admin write but creation and a kill. */
export type RequestedChange =
  | { kind: 'patch'; patch: FlagPatch }
  | { kind: 'rollout'; percentage: number }
  | { kind: 'archive' }
  | { kind: 'revert'; version: number }
  | { kind: 'plan_set'; definition: PlanDefinition }
  | { kind: 'plan_control'; command: PlanCommand };

export const REQUEST_STATUSES = ['pending', 'scheduled', 'applied', 'rejected', 'cancelled', 'failed'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** What may be done to a request, by whom: see `refusal`. */
export type RequestAction = 'approve' | 'reject' | 'cancel';

export interface ChangeRequest {
  /** `<flag>~<n>`, n counting the flag's requests from 1. */
  id: string;
  flag: string;
  author: string;
  /** The flag's version the change was made against: it applies only to that version. */
  base_version: number;
  change: RequestedChange;
  reason: string | null;
  status: RequestStatus;
  /** Whether an approver must approve it (the flag was protected and the author may not approve). */
  needs_approval: boolean;
  apply_at?: string;
  approved_by?: string;
  /** Who rejected or cancelled it. */
  decided_by?: string;
  /** The rejection's or cancellation's reason, or why it failed. */
  note?: string;
  /** The version the change produced. */
  applied_version?: number;
  created_at: string;
  updated_at: string;
  /** Grows with every change of the request: the catalog's index keeps the highest. */
  revision: number;
}

/** Who acts on a request. */
export interface RequestActor {
  actor: string;
  /** Holds `flags:approve`. */
  mayApprove: boolean;
}

/** The longest a change may be scheduled ahead. */
export const MAX_SCHEDULE_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

export function requestId(flag: string, n: number): string {
  return `${flag}~${n}`;
}

/** `<flag>~<n>` → its parts, or null when it is not a request id. */
export function parseRequestId(id: string): { flag: string; n: number } | null {
  const match = /^(.+)~([1-9]\d{0,11})$/.exec(id);
  return match ? { flag: match[1]!, n: Number(match[2]) } : null;
}

/**
 * Whether a write must wait for approval: the flag is protected and the author may not approve.
 * Stopping is never held: a kill does not come here, nor does pausing or aborting a rollout plan.
 */
export function needsApproval(flag: FlagConfig, change: RequestedChange, author: RequestActor): boolean {
  if (!flag.protected || author.mayApprove) return false;
  return !(change.kind === 'plan_control' && (change.command === 'pause' || change.command === 'abort'));
}

/** A 400 naming `apply_at` unless it lies ahead, and not too far. */
export function applyAtRefusal(applyAtMs: number, nowMs: number): Failure | null {
  if (applyAtMs > nowMs && applyAtMs - nowMs <= MAX_SCHEDULE_AHEAD_MS) return null;
  const message = applyAtMs <= nowMs ? 'must lie in the future' : 'must be at most 366 days ahead';
  return fail(400, 'validation_failed', `invalid field(s): apply_at`, [{ path: 'apply_at', message }]);
}

/** Why `who` may not `action` this request now, or null when they may. */
export function refusal(request: ChangeRequest, action: RequestAction, who: RequestActor): Failure | null {
  const open: readonly RequestStatus[] = action === 'cancel' ? ['pending', 'scheduled'] : ['pending'];
  if (!open.includes(request.status)) return fail(409, 'conflict', `change request ${request.id} is ${request.status}`, { status: request.status });
  if (action === 'cancel') {
    if (who.actor === request.author || who.mayApprove) return null;
    return fail(403, 'forbidden', 'only the author or an approver (flags:approve) may cancel a change request');
  }
  if (!who.mayApprove) return fail(403, 'forbidden', `only an approver (flags:approve) may ${action} a change request`);
  if (who.actor === request.author) return fail(403, 'forbidden', `nobody may ${action} their own change request`);
  return null;
}

/** The request after `action` (the flag object records the applied version when it applies). */
export function decided(request: ChangeRequest, action: RequestAction, who: RequestActor, note: string | undefined, nowIso: string): ChangeRequest {
  const next: ChangeRequest = { ...request, updated_at: nowIso, revision: request.revision + 1 };
  if (action === 'approve') return { ...next, status: 'scheduled', approved_by: who.actor };
  return { ...next, status: action === 'reject' ? 'rejected' : 'cancelled', decided_by: who.actor, ...(note ? { note } : {}) };
}

/** Whether a `scheduled` request is due at `nowMs` (one without `apply_at` always is). */
export function isDue(request: ChangeRequest, nowMs: number): boolean {
  return request.apply_at === undefined || Date.parse(request.apply_at) <= nowMs;
}

export function applied(request: ChangeRequest, version: number, nowIso: string): ChangeRequest {
  return { ...request, status: 'applied', applied_version: version, updated_at: nowIso, revision: request.revision + 1 };
}

export function failed(request: ChangeRequest, note: string, nowIso: string): ChangeRequest {
  return { ...request, status: 'failed', note, updated_at: nowIso, revision: request.revision + 1 };
}

/** Why a request cannot apply to the flag as it now stands, or null when it can. */
export function staleness(request: ChangeRequest, flag: FlagConfig | null): string | null {
  if (!flag) return 'the flag no longer exists';
  if (flag.archived) return 'the flag is archived';
  if (flag.version !== request.base_version) return `the flag moved from version ${request.base_version} to ${flag.version}`;
  return null;
}
