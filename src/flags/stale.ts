/**
 * Stale flags: candidates for clean-up before they become tech debt. A live flag is stale when it
 * has sat fully on or fully off, unchanged, for longer than the threshold, or when nothing has
 * evaluated it for that long (a flag never evaluated counts from its creation). A flag marked
 * `permanent` (an ops kill switch, a long-lived config) is never stale.
 */
import type { FlagSummary } from './status';

export const DEFAULT_STALE_DAYS = 30;

export type StaleReason = 'unchanged_fully_on' | 'unchanged_fully_off' | 'not_evaluated';

export interface StaleFlag extends FlagSummary {
  last_evaluated_at: string | null;
  stale_reasons: StaleReason[];
}

/** The instant before which an unchanged or unused flag counts as stale. */
export function staleCutoffMs(nowMs: number, days: number): number {
  return nowMs - days * 24 * 60 * 60 * 1000;
}

export function staleReasons(flag: FlagSummary, lastEvaluatedMs: number | null, nowMs: number, days: number): StaleReason[] {
  if (flag.permanent) return [];
  const cutoff = staleCutoffMs(nowMs, days);
  const reasons: StaleReason[] = [];
  const unchanged = Date.parse(flag.updated_at) < cutoff;
  if (unchanged && flag.status === 'on') reasons.push('unchanged_fully_on');
  if (unchanged && (flag.status === 'off' || flag.status === 'killed')) reasons.push('unchanged_fully_off');
  const lastUse = lastEvaluatedMs ?? Date.parse(flag.created_at);
  if (lastUse < cutoff) reasons.push('not_evaluated');
  return reasons;
}
