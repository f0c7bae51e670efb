/**
 * Which changes notify the team, and what they say. Kills (manual or automatic), turning a flag
 * off, re-enables,
 * rollout changes (a rollout plan's steps and roll-backs among them) and paused rollout plans
 * notify; other edits only go to the history.
 */
import type { FlagAction } from './changes';
import type { FlagConfig } from './schema';

export interface FlagEvent {
  event: 'flag.killed' | 'flag.auto_killed' | 'flag.disabled' | 'flag.enabled' | 'flag.rollout_changed' | 'flag.plan_paused';
  flag_id: string;
  version: number;
  actor: string;
  reason: string | null;
  before: { enabled: boolean; rollout_percentage: number } | null;
  after: { enabled: boolean; rollout_percentage: number };
  details?: Record<string, unknown>;
  at: string;
  /** Human-readable line, the Slack message. */
  text: string;
  /**
   * `<flag_id>:<version>:<event>`, also sent as the `Idempotency-Key` header. Delivery is at least
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
  return { ...event, idempotency_key: `${event.flag_id}:${event.version}:${event.event}` };
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
