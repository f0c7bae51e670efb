/**
 * The change pipeline: every change to a flag, whoever asks for it, is decided here.
 *
 * `decide(current, command, context)` is pure. From the stored configuration, one command and the
 * time it returns the next configuration with its history entry and the effects to queue, no
 * change at all (`null`: the flag stays as it is), or a refusal. The flag object stores the
 * decision (config, history and outbox) in one transaction; it holds no rule of its own.
 *
 * Extending it:
 *  - a new command: a member of `Command` and its entry in `proposers`;
 *  - a new effect: a member of `Effect`, added in `effectsOf`, and its case in the flag object's
 *    `queue` (src/do/flag-object.ts);
 *  - a new config field needs nothing here (see `flagFields` in schema.ts).
 */
import { archived, changedFields, killed, newFlag, patched, reverted, withRollout, type FlagAction } from './changes';
import type { HistoryEntry } from './history';
import { eventFor, type FlagEvent } from './notifications';
import type { PlanCommand, PlanDefinition } from './plan/body';
import type { GuardrailVerdict } from './experiment/guardrails';
import { afterOutsideChange, controlPlan, guardrailReaction, healthReaction, PLAN_ACTOR, scheduledStep, setPlan } from './plan/transitions';
import type { Report } from './reports';
import { fail, ok, type Result } from './result';
import type { CreateFlagInput, FlagConfig, FlagPatch } from './schema';
import { breachedRule, incidentFacts, type WindowCounts } from './window';

/** The actor of an automatic kill by the auto-kill policy. */
export const AUTO_KILL_ACTOR = 'auto-kill';

/** What may be asked of a flag. */
export type Command =
  | { kind: 'create'; input: CreateFlagInput }
  | { kind: 'patch'; patch: FlagPatch }
  | { kind: 'rollout'; percentage: number }
  | { kind: 'kill' }
  | { kind: 'archive' }
  /** `target`: the stored version to restore, or null when there is none. */
  | { kind: 'revert'; version: number; target: FlagConfig | null }
  /** Reports were counted: the window as it now stands may trip the auto-kill or the rollout plan. */
  | { kind: 'health'; counts: WindowCounts; report: Report }
  | { kind: 'plan_set'; definition: PlanDefinition }
  | { kind: 'plan_control'; command: PlanCommand }
  /** The alarm: a running plan whose hold has elapsed takes its step (or reacts to ill health). */
  | { kind: 'plan_tick'; counts: WindowCounts; guardrails?: GuardrailVerdict }
  /** Experiment data arrived: the running plan's stage guardrails as they now stand. */
  | { kind: 'guardrail'; verdict: GuardrailVerdict };

/** Who asks, why, and when (ms). Automatic commands name their own actor. */
export interface ChangeContext {
  actor: string;
  reason?: string | undefined;
  now: number;
  /** The change request this change applies (its history entry names it, its author and approver). */
  request?: AppliedRequest | undefined;
}

/** What the history records of an applied change request. */
export interface AppliedRequest {
  id: string;
  author: string;
  approved_by?: string | undefined;
  apply_at?: string | undefined;
}

/** A side effect of a stored change, queued in the same transaction and delivered afterwards. */
export type Effect =
  /** Publish the newest snapshot (KV) and summary (catalog). */
  | { kind: 'publish' }
  /** Tell the team (Slack, webhook). */
  | { kind: 'notify'; event: FlagEvent }
  /** Empty the failure window: a re-enabled flag is not killed again by the last incident's failures. */
  | { kind: 'reset_window' };

export interface Decision {
  after: FlagConfig;
  history: HistoryEntry;
  effects: Effect[];
}

/** What a command proposes, before the rules every change shares are applied. */
interface Proposal {
  action: FlagAction;
  after: FlagConfig;
  /** Defaults to the context's actor. */
  actor?: string;
  reason?: string | undefined;
  details?: Record<string, unknown> | undefined;
}

type Proposer<C extends Command> = (flag: FlagConfig, command: C, context: ChangeContext) => Result<Proposal | null>;

/** One proposer per command kind (creation aside: it is the one command without a current flag). */
const proposers: { [K in Exclude<Command['kind'], 'create'>]: Proposer<Extract<Command, { kind: K }>> } = {
  patch(flag, { patch }, { reason, now }) {
    const next = patched(flag, patch, isoOf(now));
    if (!next.ok) return next;
    const changed = changedFields(flag, next.value);
    // A patch that changes nothing is answered with the flag as it is, not a new version.
    if (changed.length === 0) return ok(null);
    const action = changed.length === 1 && changed[0] === 'rollout_percentage' ? 'rollout_update' : 'update';
    return ok({ action, after: next.value, reason });
  },
  rollout(flag, { percentage }, { reason, now }) {
    return ok({ action: 'rollout_update', after: withRollout(flag, percentage, isoOf(now)), reason });
  },
  kill(flag, _command, { reason, now }) {
    // Killing a killed flag changes nothing: no new version, no second notification.
    if (!flag.enabled && flag.rollout_percentage === 0) return ok(null);
    return ok({ action: 'kill', after: killed(flag, isoOf(now)), reason });
  },
  archive(flag, _command, { reason, now }) {
    return ok({ action: 'archive', after: archived(flag, isoOf(now)), reason });
  },
  revert(flag, { version, target }, { reason, now }) {
    if (!target) return fail(404, 'not_found', `flag "${flag.id}" has no version ${version}`, [{ path: 'version', message: 'no such version' }]);
    const next = reverted(flag, target, isoOf(now));
    if (!next.ok) return next;
    return ok({ action: 'revert', after: next.value, reason: reason ?? `revert to version ${version}`, details: { reverted_to: version } });
  },
  health(flag, { counts, report }, { now }) {
    const policy = flag.auto_kill;
    const rule = flag.enabled ? breachedRule(policy, counts) : null;
    if (rule) {
      const details = incidentFacts(rule, policy, counts, report);
      return ok({ action: 'auto_kill', after: killed(flag, isoOf(now)), actor: AUTO_KILL_ACTOR, reason: `policy breached: ${rule}`, details });
    }
    // A running rollout plan reacts to an unhealthy window at once (pause, roll back or kill).
    const reaction = healthReaction(flag, counts, now);
    return ok(reaction && { ...reaction, actor: PLAN_ACTOR });
  },
  plan_set(flag, { definition }, { actor, now }) {
    return setPlan(flag, definition, now, actor);
  },
  plan_control(flag, { command }, { actor, reason, now }) {
    return controlPlan(flag, command, now, actor, reason);
  },
  plan_tick(flag, { counts, guardrails }, { now }) {
    const step = scheduledStep(flag, flag.auto_kill, counts, now, guardrails);
    return ok(step && { ...step, actor: PLAN_ACTOR });
  },
  guardrail(flag, { verdict }, { now }) {
    const reaction = guardrailReaction(flag, verdict, now);
    return ok(reaction && { ...reaction, actor: PLAN_ACTOR });
  },
};

/** Decides one command against the flag as stored (`null` when it does not exist yet). */
export function decide(current: FlagConfig | null, command: Command, context: ChangeContext): Result<Decision | null> {
  if (command.kind === 'create') {
    if (current) {
      const state = current.archived ? 'an archived flag' : 'a flag';
      return fail(409, 'flag_exists', `${state} with id "${command.input.id}" already exists`);
    }
    const created = newFlag(command.input, isoOf(context.now));
    return created.ok ? ok(finish(null, { action: 'create', after: created.value, reason: context.reason }, context)) : created;
  }
  if (!current) return fail(404, 'not_found', 'flag not found');
  const propose = proposers[command.kind] as Proposer<Command>;
  const proposal = propose(current, command, context);
  if (!proposal.ok || !proposal.value) return proposal as Result<null>;
  return ok(finish(current, proposal.value, context));
}

/**
 * The rules every change shares: the rollout plan's reaction to a change made outside it (a
 * kill aborts it, a manual percentage pauses it), the status facts kept in the config, the
 * history entry and the effects.
 */
function finish(before: FlagConfig | null, proposal: Proposal, context: ChangeContext): Decision {
  const { action, reason } = proposal;
  const actor = proposal.actor ?? context.actor;
  const outside = action.startsWith('plan_') ? { after: proposal.after } : afterOutsideChange(before, proposal.after, actor, context.now);
  const after = withStatusFacts(action, outside.after, proposal.details);
  const planChanged = JSON.stringify(before?.plan) !== JSON.stringify(after.plan);
  const planned = outside.note ? { ...proposal.details, plan: outside.note } : proposal.details;
  const details = context.request ? { ...planned, change_request: context.request } : planned;
  const history: HistoryEntry = {
    version: after.version,
    action,
    actor,
    reason: reason ?? null,
    before,
    after,
    details: { changed: [...changedFields(before, after), ...(planChanged ? ['plan'] : [])], ...details },
    created_at: after.updated_at,
  };
  return { after, history, effects: effectsOf(history, details) };
}

/**
 * Facts the status and the health view read, versioned with the config so a revert and the
 * history see them: whether a kill (not an edit) turned the flag off, and the newest incident.
 */
function withStatusFacts(action: FlagAction, after: FlagConfig, details: Record<string, unknown> | undefined): FlagConfig {
  const next = { ...after };
  if (after.enabled) delete next.killed_by_switch;
  else if (action === 'kill' || action === 'auto_kill') next.killed_by_switch = true;
  if (action === 'auto_kill') next.last_incident = { ...details, version: after.version, at: after.updated_at };
  return next;
}

function effectsOf(entry: HistoryEntry, details: Record<string, unknown> | undefined): Effect[] {
  const { action, before, after, actor, reason } = entry;
  const effects: Effect[] = [{ kind: 'publish' }];
  const event = eventFor(action, before, after, actor, reason, details);
  if (event) effects.push({ kind: 'notify', event });
  if (before && !before.enabled && after.enabled) effects.push({ kind: 'reset_window' });
  return effects;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
