/**
 * Pure state transitions of a flag. Each returns the next configuration (version + 1) or a
 * failure; the flag object stores the result, its history entry and its side effects together.
 */
import { EDITABLE_FIELDS, REVERTED_FIELDS, type CreateFlagInput, type FlagConfig, type FlagPatch } from './schema';
import { invalid, ok, toFieldIssues, type Result } from './result';
import { validateFlagConfig } from './validate';

/** Names of the actions recorded in the history. */
export type FlagAction =
  | 'create'
  | 'update'
  | 'rollout_update'
  | 'kill'
  | 'auto_kill'
  | 'archive'
  | 'revert'
  | 'plan_set'
  | 'plan_start'
  | 'plan_step'
  | 'plan_pause'
  | 'plan_resume'
  | 'plan_rollback'
  | 'plan_abort';

export function newFlag(input: CreateFlagInput, nowIso: string): Result<FlagConfig> {
  const { reason: _reason, ...fields } = input;
  const flag: FlagConfig = { ...stripUndefined(fields), version: 1, archived: false, created_at: nowIso, updated_at: nowIso } as FlagConfig;
  return checked(flag);
}

export function patched(flag: FlagConfig, patch: FlagPatch, nowIso: string): Result<FlagConfig> {
  const { reason: _reason, auto_kill, ...fields } = patch;
  const next = withFields(flag, fields);
  if (auto_kill) next.auto_kill = withFields(flag.auto_kill, auto_kill);
  return checked(bump(next, nowIso));
}

export function withRollout(flag: FlagConfig, percentage: number, nowIso: string): FlagConfig {
  return bump({ ...flag, rollout_percentage: percentage }, nowIso);
}

/** The article's kill: enabled false, rollout 0. */
export function killed(flag: FlagConfig, nowIso: string): FlagConfig {
  return bump({ ...flag, enabled: false, rollout_percentage: 0 }, nowIso);
}

export function archived(flag: FlagConfig, nowIso: string): FlagConfig {
  return bump({ ...flag, archived: true }, nowIso);
}

/** Restores the editable fields of `target` (an earlier version), protection aside, as a new version. */
export function reverted(flag: FlagConfig, target: FlagConfig, nowIso: string): Result<FlagConfig> {
  const restored = Object.fromEntries(REVERTED_FIELDS.map((key) => [key, target[key] ?? null]));
  return checked(bump(withFields(flag, restored), nowIso));
}

/** The editable fields that differ between two versions (for history and notifications). */
export function changedFields(before: FlagConfig | null, after: FlagConfig): string[] {
  if (!before) return [...EDITABLE_FIELDS].filter((k) => after[k] !== undefined);
  return EDITABLE_FIELDS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

/** `target` with the given fields set; `null` removes a field, `undefined` leaves it alone. */
function withFields<T extends object>(target: T, fields: Record<string, unknown>): T {
  const next = { ...target } as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  return next as unknown as T;
}

function bump(flag: FlagConfig, nowIso: string): FlagConfig {
  return { ...flag, version: flag.version + 1, updated_at: nowIso };
}

function checked(flag: FlagConfig): Result<FlagConfig> {
  const issues = validateFlagConfig(flag);
  return issues.length > 0 ? invalid(toFieldIssues(issues)) : ok(flag);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
