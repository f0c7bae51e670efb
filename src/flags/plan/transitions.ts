/**
 * Rollout plans, the transitions: a flag's percentage raised stage by stage while the flag stays healthy.
 *
 * Pure: every transition of a plan (set, start, step, pause, resume, roll back, abort, kill). Each
 * returns the flag's next configuration (version + 1, the plan state inside it as `plan`) with the
 * history action, reason and details; the flag object stores it like any other change, so a plan
 * change is one history entry, one KV publish and (where it says so) one notification.
 *
 * Semantics (see docs/rollout-plans.md):
 *  - a stage's hold is how long the flag stays at its percentage before the next stage; the last
 *    stage's hold is optional: 0 completes the plan on arrival, otherwise the plan keeps watching
 *    health for that long and then completes;
 *  - a step happens when the hold has elapsed and the flag is healthy; one step per check, and the
 *    next hold counts from the time of the step, so a late alarm never skips a stage;
 *  - unhealthy → `pause` (notify), `rollback` (previous stage, 0% from the first, then pause) or
 *    `kill` (the article's kill, plan aborted);
 *  - any kill, disable or archive aborts the plan; a manual change of the percentage (or a new
 *    split, which overrides it) pauses it;
 *  - resume continues from the last stage whose percentage is at or below the flag's current
 *    percentage (the current stage unless someone changed the percentage by hand; stage 0 when
 *    the flag is below it), sets the flag to that stage's percentage, and restarts its hold.
 */
import { killed, type FlagAction } from '../changes';
import type { GuardrailVerdict } from '../experiment/guardrails';
import { fail, ok, type Result } from '../result';
import type { AutoKillPolicy, FlagConfig } from '../schema';
import type { WindowCounts } from '../window';
import type { PlanCommand, PlanDefinition, PlanStage, RolloutPlan } from './body';
import { planHealth, type HealthVerdict } from './health';

/** The actor of every automatic plan change. */
export const PLAN_ACTOR = 'rollout-plan';

/** One plan change: the next configuration and what the history records. */
export interface PlanChange {
  action: FlagAction;
  after: FlagConfig;
  reason: string;
  details: Record<string, unknown>;
}

/** The time (ms) the alarm must next look at the plan, or null. */
export function nextPlanCheck(flag: FlagConfig): number | null {
  const plan = flag.plan;
  if (!plan || plan.status !== 'running' || !plan.next_step_at || flag.archived) return null;
  return Date.parse(plan.next_step_at);
}

/** `PUT /admin/flags/:id/plan`: a new draft. A running or paused plan must be aborted first. */
export function setPlan(flag: FlagConfig, definition: PlanDefinition, nowMs: number, actor: string): Result<PlanChange> {
  const current = flag.plan;
  if (current && isActive(current)) {
    return fail(409, 'conflict', `flag "${flag.id}" has a ${current.status} rollout plan: abort it before replacing it`);
  }
  const iso = isoOf(nowMs);
  const plan: RolloutPlan = {
    stages: definition.stages,
    health: definition.health,
    on_unhealthy: definition.on_unhealthy,
    ...(definition.template ? { template: definition.template } : {}),
    status: 'draft',
    stage_index: 0,
    stage_started_at: null,
    next_step_at: null,
    paused_reason: null,
    aborted_reason: null,
    started_at: null,
    ended_at: null,
    updated_at: iso,
  };
  const percentages = plan.stages.map((s) => `${s.percentage}%`).join(' → ');
  return ok({
    action: 'plan_set',
    after: bump(flag, { plan }, nowMs),
    reason: definition.reason ?? `rollout plan set by ${actor}: ${percentages}`,
    details: { plan_event: 'set', stage_count: plan.stages.length, stages: percentages, on_unhealthy: plan.on_unhealthy, ...(plan.template ? { template: plan.template } : {}) },
  });
}

/** The admin commands: start, pause, resume, abort, advance. */
export function controlPlan(flag: FlagConfig, command: PlanCommand, nowMs: number, actor: string, reason?: string): Result<PlanChange> {
  const plan = flag.plan;
  if (!plan) return fail(409, 'conflict', `flag "${flag.id}" has no rollout plan: PUT one first`);
  const refuse = (allowed: string) => fail(409, 'conflict', `cannot ${command} a ${plan.status} rollout plan (only ${allowed})`);
  const because = reason ? `: ${reason}` : '';
  switch (command) {
    case 'start': {
      if (plan.status !== 'draft' && plan.status !== 'aborted') return refuse('a draft or aborted one');
      if (flag.split) return splitRefusal(flag);
      const entered = enterStage(flag, { ...plan, started_at: isoOf(nowMs), aborted_reason: null, ended_at: null }, 0, 'running', nowMs, { enable: true });
      return ok({
        action: 'plan_start',
        after: entered.after,
        reason: reason ?? `rollout plan started by ${actor}`,
        details: { plan_event: 'start', ...entered.details },
      });
    }
    case 'pause': {
      if (plan.status !== 'running') return refuse('a running one');
      const paused = pausedPlan(plan, `paused by ${actor}${because}`, nowMs);
      return ok({ action: 'plan_pause', after: bump(flag, { plan: paused }, nowMs), reason: reason ?? `rollout plan paused by ${actor}`, details: { plan_event: 'pause', ...stageFacts(paused) } });
    }
    case 'resume': {
      if (plan.status !== 'paused') return refuse('a paused one');
      if (!flag.enabled) return fail(409, 'conflict', `flag "${flag.id}" is disabled: start the plan again instead`);
      if (flag.split) return splitRefusal(flag);
      const index = resumeStage(plan.stages, flag.rollout_percentage);
      const entered = enterStage(flag, plan, index, 'running', nowMs);
      return ok({
        action: 'plan_resume',
        after: entered.after,
        reason: reason ?? `rollout plan resumed by ${actor}`,
        details: { plan_event: 'resume', resumed_from: plan.paused_reason, ...entered.details },
      });
    }
    case 'abort': {
      if (!isActive(plan)) return refuse('a running or paused one');
      const aborted = abortedPlan(plan, `aborted by ${actor}${because}`, nowMs);
      return ok({ action: 'plan_abort', after: bump(flag, { plan: aborted }, nowMs), reason: reason ?? `rollout plan aborted by ${actor}`, details: { plan_event: 'abort', ...stageFacts(aborted) } });
    }
    case 'advance': {
      if (!isActive(plan)) return refuse('a running or paused one');
      if (!flag.enabled) return fail(409, 'conflict', `flag "${flag.id}" is disabled`);
      const step = stepped(flag, plan, nowMs);
      return ok({ action: 'plan_step', after: step.after, reason: reason ?? `advanced by ${actor}`, details: { plan_event: step.event, trigger: 'manual', ...step.details } });
    }
  }
}

/**
 * What the alarm does with a running plan whose next step is due: unhealthy → the plan's
 * `on_unhealthy`; healthy → one step (or completion). Null when nothing is due.
 */
export function scheduledStep(flag: FlagConfig, autoKill: AutoKillPolicy, counts: WindowCounts, nowMs: number, guardrails?: GuardrailVerdict): PlanChange | null {
  const plan = flag.plan;
  const due = nextPlanCheck(flag);
  if (!plan || due === null || due > nowMs || !flag.enabled) return null;
  const health = planHealth(plan, autoKill, counts);
  if (!health.healthy) return unhealthyChange(flag, health, nowMs);
  const harm = guardrails && guardrailReaction(flag, guardrails, nowMs);
  if (harm) return harm;
  const step = stepped(flag, plan, nowMs);
  const to = plan.stages[plan.stage_index + 1];
  return {
    action: 'plan_step',
    after: step.after,
    reason: step.event === 'complete' ? 'rollout plan completed' : `stage ${plan.stage_index + 2} of ${plan.stages.length}: ${to?.percentage}%`,
    details: { plan_event: step.event, trigger: 'schedule', ...step.details, ...healthFacts(health) },
  };
}

/** The guardrail metrics of the stage a running plan is at (none when it sets none). */
export function stageGuardrails(flag: FlagConfig): readonly string[] {
  const plan = flag.plan;
  if (!plan || plan.status !== 'running') return [];
  return plan.stages[plan.stage_index]?.guardrails ?? [];
}

/**
 * A running plan whose stage's guardrails show harm (the sequential interval says a variant is
 * worse than the control on a guardrail metric) reacts as `on_unhealthy` says. A guardrail naming
 * no metric of the experiment is a configuration error: the plan pauses, whatever the policy.
 * Null when there is no harm.
 */
export function guardrailReaction(flag: FlagConfig, verdict: GuardrailVerdict, nowMs: number): PlanChange | null {
  const plan = flag.plan;
  if (!plan || plan.status !== 'running' || !flag.enabled || flag.archived) return null;
  if (verdict.unknown_metrics.length > 0) {
    const what = `guardrail metric(s) ${verdict.unknown_metrics.map((m) => `"${m}"`).join(', ')} not in the flag's experiment`;
    return react(flag, 'pause', what, { guardrail: 'unknown_metric', unknown_metrics: verdict.unknown_metrics }, nowMs);
  }
  const breach = verdict.breaches[0];
  if (!breach) return null;
  const [low, high] = breach.sequential_ci.map((x) => `${round(x * 100)}%`);
  const what = `guardrail "${breach.metric}": variant "${breach.variant}" is worse than the control (sequential interval ${low} to ${high}, goal ${breach.goal})`;
  return react(flag, plan.on_unhealthy, what, { guardrail: breach.metric, guardrail_variant: breach.variant, sequential_ci: breach.sequential_ci, breaches: verdict.breaches.length }, nowMs);
}

/**
 * After failures are counted: a running plan whose flag is now unhealthy reacts at once, without
 * waiting for the end of its hold. Null while healthy (or when no plan is running).
 */
export function healthReaction(flag: FlagConfig, counts: WindowCounts, nowMs: number): PlanChange | null {
  const plan = flag.plan;
  if (!plan || plan.status !== 'running' || !flag.enabled || flag.archived) return null;
  const health = planHealth(plan, flag.auto_kill, counts);
  return health.healthy ? null : unhealthyChange(flag, health, nowMs);
}

/**
 * The plan's side of a change made outside the plan (an edit, a rollout, a kill, a revert, an
 * archive): a kill or disable aborts an active plan; a manual change of the percentage pauses a
 * running one (and re-words a paused one's reason). Returns the configuration to store.
 */
export function afterOutsideChange(before: FlagConfig | null, after: FlagConfig, actor: string, nowMs: number): { after: FlagConfig; note?: string } {
  const plan = after.plan;
  if (!before || !plan || !isActive(plan)) return { after };
  if (!after.enabled || after.archived) {
    const what = after.archived ? 'flag archived' : actor === 'auto-kill' ? 'flag killed automatically' : `flag disabled by ${actor}`;
    return { after: { ...after, plan: abortedPlan(plan, what, nowMs) }, note: `rollout plan aborted: ${what}` };
  }
  let why: string | null = null;
  if (after.rollout_percentage !== before.rollout_percentage) {
    why = `rollout changed manually by ${actor}: ${before.rollout_percentage}% → ${after.rollout_percentage}%`;
  } else if (after.split && JSON.stringify(after.split) !== JSON.stringify(before.split)) {
    why = `split set by ${actor}: it overrides rollout_percentage`;
  }
  return why ? { after: { ...after, plan: pausedPlan(plan, why, nowMs) }, note: `rollout plan paused: ${why}` } : { after };
}

// ------------------------------------------------------------------ internals

function splitRefusal(flag: FlagConfig): Result<never> {
  return fail(409, 'conflict', `flag "${flag.id}" serves a split, which overrides rollout_percentage: remove the split first`);
}

function isActive(plan: RolloutPlan): boolean {
  return plan.status === 'running' || plan.status === 'paused';
}

function unhealthyChange(flag: FlagConfig, health: HealthVerdict, nowMs: number): PlanChange {
  const plan = flag.plan!;
  const window = flag.auto_kill.window_seconds;
  const what = describeHealth(health, flag.auto_kill, plan, window);
  return react(flag, plan.on_unhealthy, what, { ...healthFacts(health), window_seconds: window }, nowMs);
}

/** The plan's reaction to ill health or harm: kill, roll back one stage, or pause. */
function react(flag: FlagConfig, policy: RolloutPlan['on_unhealthy'], what: string, healthDetails: Record<string, unknown>, nowMs: number): PlanChange {
  const plan = flag.plan!;
  const facts = { ...healthDetails, on_unhealthy: plan.on_unhealthy };
  if (policy === 'kill') {
    const aborted = abortedPlan(plan, `flag killed: unhealthy (${what})`, nowMs);
    const after = { ...killed(flag, isoOf(nowMs)), plan: aborted };
    // `failures`, `window_seconds` and `rule` are what the auto-kill notification reports.
    return { action: 'auto_kill', after, reason: `rollout plan: unhealthy (${what})`, details: { plan_event: 'kill', ...stageFacts(aborted), ...facts, max_failures: flag.auto_kill.max_failures } };
  }
  if (policy === 'rollback') {
    const index = plan.stage_index - 1;
    const percentage = index >= 0 ? plan.stages[index]!.percentage : 0;
    const why = `unhealthy (${what}): rolled back from ${flag.rollout_percentage}% to ${percentage}%`;
    const paused: RolloutPlan = { ...pausedPlan(plan, why, nowMs), stage_index: Math.max(0, index), stage_started_at: isoOf(nowMs) };
    const after = bump(flag, { rollout_percentage: percentage, plan: paused }, nowMs);
    return { action: 'plan_rollback', after, reason: `rollout plan ${why}`, details: { plan_event: 'rollback', from_percentage: flag.rollout_percentage, ...stageFacts(paused), to_percentage: percentage, ...facts } };
  }
  const paused = pausedPlan(plan, `unhealthy (${what})`, nowMs);
  return { action: 'plan_pause', after: bump(flag, { plan: paused }, nowMs), reason: `rollout plan paused: unhealthy (${what})`, details: { plan_event: 'pause', ...stageFacts(paused), ...facts } };
}

/** The next stage, or completion from the last one. */
function stepped(flag: FlagConfig, plan: RolloutPlan, nowMs: number): { after: FlagConfig; event: 'step' | 'complete'; details: Record<string, unknown> } {
  const from = flag.rollout_percentage;
  if (plan.stage_index >= plan.stages.length - 1) {
    const done = completedPlan(plan, nowMs);
    return { after: bump(flag, { plan: done }, nowMs), event: 'complete', details: { from_percentage: from, ...stageFacts(done) } };
  }
  const entered = enterStage(flag, plan, plan.stage_index + 1, plan.status === 'paused' ? 'paused' : 'running', nowMs);
  const event = entered.after.plan?.status === 'completed' ? 'complete' : 'step';
  return { after: entered.after, event, details: { from_percentage: from, ...entered.details } };
}

/**
 * Sets the flag to stage `index`'s percentage. A last stage with no hold completes the plan on
 * arrival; otherwise a running plan's next step is one hold from now.
 */
function enterStage(
  flag: FlagConfig,
  plan: RolloutPlan,
  index: number,
  status: 'running' | 'paused',
  nowMs: number,
  { enable = false } = {},
): { after: FlagConfig; details: Record<string, unknown> } {
  const stage = plan.stages[index]!;
  const last = index === plan.stages.length - 1;
  let next: RolloutPlan = {
    ...plan,
    status,
    stage_index: index,
    stage_started_at: isoOf(nowMs),
    next_step_at: status === 'running' ? isoOf(nowMs + stage.hold_seconds * 1000) : null,
    paused_reason: status === 'paused' ? plan.paused_reason : null,
    updated_at: isoOf(nowMs),
  };
  if (last && stage.hold_seconds === 0) next = completedPlan(next, nowMs);
  const after = bump(flag, { rollout_percentage: stage.percentage, ...(enable ? { enabled: true } : {}), plan: next }, nowMs);
  return { after, details: stageFacts(next) };
}

/** Resume at the last stage at or below the flag's percentage (stage 0 when it is below them all). */
function resumeStage(stages: readonly PlanStage[], percentage: number): number {
  let index = 0;
  stages.forEach((stage, i) => {
    if (stage.percentage <= percentage) index = i;
  });
  return index;
}

function pausedPlan(plan: RolloutPlan, reason: string, nowMs: number): RolloutPlan {
  return { ...plan, status: 'paused', next_step_at: null, paused_reason: reason, updated_at: isoOf(nowMs) };
}

function abortedPlan(plan: RolloutPlan, reason: string, nowMs: number): RolloutPlan {
  const iso = isoOf(nowMs);
  return { ...plan, status: 'aborted', next_step_at: null, paused_reason: null, aborted_reason: reason, ended_at: iso, updated_at: iso };
}

function completedPlan(plan: RolloutPlan, nowMs: number): RolloutPlan {
  const iso = isoOf(nowMs);
  return { ...plan, status: 'completed', next_step_at: null, paused_reason: null, ended_at: iso, updated_at: iso };
}

/** Flat facts for the history entry (the UI shows scalar details on one line). */
function stageFacts(plan: RolloutPlan): Record<string, unknown> {
  return {
    plan_status: plan.status,
    stage_index: plan.stage_index,
    stage_count: plan.stages.length,
    percentage: plan.stages[plan.stage_index]?.percentage,
    next_step_at: plan.next_step_at,
  };
}

function healthFacts(health: HealthVerdict): Record<string, unknown> {
  return { ...(health.rule ? { rule: health.rule } : {}), failures: health.failures, successes: health.successes, error_rate: health.error_rate };
}

function describeHealth(health: HealthVerdict, autoKill: AutoKillPolicy, plan: RolloutPlan, windowSeconds: number): string {
  const samples = health.failures + health.successes;
  const rate = `${round(health.error_rate * 100)}%`;
  switch (health.rule) {
    case 'max_failures':
      return `${health.failures} failures in ${windowSeconds}s, limit ${autoKill.max_failures}`;
    case 'max_error_rate':
      return `error rate ${rate} of ${samples} reports in ${windowSeconds}s, auto-kill limit ${round((autoKill.max_error_rate ?? 0) * 100)}%`;
    default:
      return `error rate ${rate} of ${samples} reports in ${windowSeconds}s, plan limit ${round((plan.health.max_error_rate ?? 0) * 100)}%`;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function bump(flag: FlagConfig, fields: Partial<FlagConfig>, nowMs: number): FlagConfig {
  return { ...flag, ...fields, version: flag.version + 1, updated_at: isoOf(nowMs) };
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
