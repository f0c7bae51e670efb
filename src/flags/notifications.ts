/**
 * Which changes notify the team, and what they say. Kills (manual or automatic), turning a flag
 * off, re-enables,
 * rollout changes (a rollout plan's steps and roll-backs among them) and paused rollout plans
 * notify; other edits only go to the history. Change requests notify when they are made,
 * approved, rejected or cancelled, and when a scheduled one fails (`requestEvent`).
 */
import type { FlagAction } from './changes';
import type { ChangeRequest } from './change-requests';
import type { FlagConfig } from './schema';

/** What happened to a change request. */
export type RequestEventKind = 'requested' | 'approved' | 'rejected' | 'cancelled' | 'failed';

export interface FlagEvent {
  event:
    | 'flag.killed'
    | 'flag.auto_killed'
    | 'flag.disabled'
    | 'flag.enabled'
    | 'flag.rollout_changed'
    | 'flag.plan_paused'
    | `flag.change_${RequestEventKind}`;
  flag_id: string;
  version: number;
  actor: string;
  reason: string | null;
  before: { enabled: boolean; rollout_percentage: number } | null;
  after: { enabled: boolean; rollout_percentage: number };
  details?: Record<string, unknown>;
  /** The change request a `flag.change_*` event is about. */
  change_request?: Pick<ChangeRequest, 'id' | 'author' | 'status' | 'change' | 'apply_at' | 'approved_by' | 'decided_by' | 'note'>;
  at: string;
  /** Human-readable line, the Slack message. */
  text: string;
  /**
   * `<flag_id>:<version>:<event>` (`<request id>:<event>` for a change request's), also sent as the `Idempotency-Key` header. Delivery is at least
   * once (a crash between a delivery and its record re-sends it): receivers de-duplicate on this.
   */
  idempotency_key: string;
}

export function eventFor(
  action: FlagAction,
  before: FlagConfig | null,
  after: FlagConfig,
  actor: string,
  reason: string | null,
  details?: Record<string, unknown>,
): FlagEvent | null {
  const event = eventOf(action, before, after, actor, reason, details);
  return event && withIdempotencyKey(event);
}

/** The event with its key; events queued before keys existed get theirs when they are delivered. */
export function withIdempotencyKey(event: Omit<FlagEvent, 'idempotency_key'>): FlagEvent {
  const subject = event.change_request ? event.change_request.id : `${event.flag_id}:${event.version}`;
  return { ...event, idempotency_key: `${subject}:${event.event}` };
}

const REQUEST_WORDS: Record<RequestEventKind, string> = {
  requested: '📝 Change requested',
  approved: '✅ Change approved',
  rejected: '❌ Change rejected',
  cancelled: '↩️ Change cancelled',
  failed: '⚠️ Scheduled change failed',
};

/** The event of a change request's step; `flag` is the flag as it stands. */
export function requestEvent(kind: RequestEventKind, request: ChangeRequest, flag: FlagConfig, actor: string, atIso: string): FlagEvent {
  const state = { enabled: flag.enabled, rollout_percentage: flag.rollout_percentage };
  const { id, author, status, change, apply_at, approved_by, decided_by, note } = request;
  const when = apply_at && kind !== 'failed' ? `, to apply at ${apply_at}` : '';
  const why = note ? `: ${note}` : request.reason && kind === 'requested' ? ` (${request.reason})` : '';
  return withIdempotencyKey({
    event: `flag.change_${kind}`,
    flag_id: flag.id,
    version: flag.version,
    actor,
    reason: kind === 'requested' ? request.reason : (note ?? null),
    before: state,
    after: state,
    change_request: { id, author, status, change, ...defined({ apply_at, approved_by, decided_by, note }) },
    at: atIso,
    text: `${REQUEST_WORDS[kind]} on "${flag.id}" (${change.kind}, ${id}) by ${actor}${when}${why}`,
  });
}

function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function eventOf(
  action: FlagAction,
  before: FlagConfig | null,
  after: FlagConfig,
  actor: string,
  reason: string | null,
  details?: Record<string, unknown>,
): Omit<FlagEvent, 'idempotency_key'> | null {
  if (!before) return null;
  const base = {
    flag_id: after.id,
    version: after.version,
    actor,
    reason,
    before: { enabled: before.enabled, rollout_percentage: before.rollout_percentage },
    after: { enabled: after.enabled, rollout_percentage: after.rollout_percentage },
    at: after.updated_at,
    ...(details ? { details } : {}),
  };
  const why = reason ? ` (${reason})` : '';
  if (action === 'auto_kill') {
    return { ...base, event: 'flag.auto_killed', text: `🚨 Auto-disabled "${after.id}": ${describe(details)}${why}` };
  }
  if (action === 'plan_pause') {
    const why = after.plan?.paused_reason ?? reason;
    return { ...base, event: 'flag.plan_paused', text: `⏸️ Rollout plan of "${after.id}" paused at ${after.rollout_percentage}%${why ? `: ${why}` : ''}` };
  }
  if (action === 'kill') {
    return { ...base, event: 'flag.killed', text: `🔴 Flag "${after.id}" KILLED by ${actor}${why}` };
  }
  if (before.enabled && !after.enabled) {
    return { ...base, event: 'flag.disabled', text: `⚪ Flag "${after.id}" turned off by ${actor}${why}` };
  }
  if (!before.enabled && after.enabled) {
    return { ...base, event: 'flag.enabled', text: `🟢 Flag "${after.id}" enabled by ${actor} at ${after.rollout_percentage}%${why}` };
  }
  if (before.rollout_percentage !== after.rollout_percentage) {
    return {
      ...base,
      event: 'flag.rollout_changed',
      text: `📊 Flag "${after.id}" rollout changed: ${before.rollout_percentage}% → ${after.rollout_percentage}% by ${actor}${why}`,
    };
  }
  return null;
}

function describe(details: Record<string, unknown> | undefined): string {
  if (!details) return 'policy breached';
  const failures = details['failures'];
  const seconds = details['window_seconds'];
  return `${String(failures)} failures in ${String(seconds)}s`;
}
