/**
 * Rollout plans, the shapes: the body of `PUT /admin/flags/:id/plan` and of the plan commands, the
 * plan as stored in a flag's configuration (`flag.plan`), and the two templates. What a plan does
 * lives in `transitions.ts`; when a flag counts as healthy, in `health.ts`.
 */
import { z } from 'zod';
import { experimentMetricSchema } from '../experiment/schema';
import { LIMITS, percentageSchema } from '../primitives';

export const DAY_SECONDS = 86_400;

export const PLAN_LIMITS = {
  maxStages: 20,
  minHoldSeconds: 60,
  maxHoldSeconds: 30 * DAY_SECONDS,
} as const;

export const planStatusSchema = z.enum(['draft', 'running', 'paused', 'completed', 'aborted']);
export type PlanStatus = z.infer<typeof planStatusSchema>;

export const onUnhealthySchema = z.enum(['pause', 'rollback', 'kill']);
export type OnUnhealthy = z.infer<typeof onUnhealthySchema>;

export const planTemplateSchema = z.enum(['article', 'double_daily']);
export type PlanTemplate = z.infer<typeof planTemplateSchema>;

export const planCommandSchema = z.enum(['start', 'pause', 'resume', 'abort', 'advance']);
export type PlanCommand = z.infer<typeof planCommandSchema>;

const holdSchema = z
  .number()
  .int('must be a whole number of seconds')
  .min(0, 'must not be negative')
  .max(PLAN_LIMITS.maxHoldSeconds, `at most ${PLAN_LIMITS.maxHoldSeconds} seconds (30 days)`);

const stagePercentageSchema = percentageSchema.refine((p) => p > 0, 'must be above 0');

export const stageSchema = z
  .object({
    percentage: stagePercentageSchema,
    /** Seconds at this percentage before the next stage; optional (0) on the last stage only. */
    hold_seconds: holdSchema.default(0),
    /**
     * Metric keys of the flag's experiment that must show no harm during this stage: when the
     * sequential interval says a variant is worse than the control on one, the plan reacts as
     * `on_unhealthy` says (docs/experiments.md#rollout-plan-guardrails).
     */
    guardrails: z.array(experimentMetricSchema.shape.key).min(1).max(10).optional(),
  })
  .strict();
export type PlanStage = z.infer<typeof stageSchema>;

/** Percentages strictly rising; every hold but the last between a minute and 30 days. */
export const stagesSchema = z
  .array(stageSchema)
  .min(1, 'at least 1 stage')
  .max(PLAN_LIMITS.maxStages, `at most ${PLAN_LIMITS.maxStages} stages`)
  .superRefine((stages, ctx) => {
    stages.forEach((stage, i) => {
      const previous = stages[i - 1];
      if (previous && stage.percentage <= previous.percentage) {
        ctx.addIssue({ code: 'custom', path: [i, 'percentage'], message: `must be above the previous stage's ${previous.percentage}%` });
      }
      const last = i === stages.length - 1;
      if (stage.hold_seconds < PLAN_LIMITS.minHoldSeconds && !(last && stage.hold_seconds === 0)) {
        const message = last
          ? `0 (complete on arrival) or at least ${PLAN_LIMITS.minHoldSeconds} seconds`
          : `at least ${PLAN_LIMITS.minHoldSeconds} seconds`;
        ctx.addIssue({ code: 'custom', path: [i, 'hold_seconds'], message });
      }
    });
  });

/** On top of the auto-kill window: an optional, usually stricter, error-rate threshold. */
export const planHealthSchema = z
  .object({
    max_error_rate: z.number().gt(0).max(1).optional(),
    min_samples: z.number().int().min(1).max(1_000_000).default(100),
  })
  .strict();
export type PlanHealth = z.infer<typeof planHealthSchema>;

/** Body of `PUT /admin/flags/:id/plan`: explicit `stages`, or a `template`. */
export const setPlanSchema = z
  .object({
    stages: stagesSchema.optional(),
    template: planTemplateSchema.optional(),
    /** `double_daily`: the first stage's percentage. */
    start: stagePercentageSchema.optional(),
    /** `double_daily`: the hold of each stage (default one day). */
    hold_seconds: holdSchema.min(PLAN_LIMITS.minHoldSeconds, `at least ${PLAN_LIMITS.minHoldSeconds} seconds`).optional(),
    health: planHealthSchema.default({ min_samples: 100 }),
    on_unhealthy: onUnhealthySchema.default('pause'),
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (body.stages && body.template) issue('template', 'send either stages or a template, not both');
    if (!body.stages && !body.template) issue('stages', 'required (or a template: "article" or "double_daily")');
    if (body.template === 'double_daily' && body.start === undefined) issue('start', 'required by the double_daily template');
    if (body.template !== 'double_daily') {
      if (body.start !== undefined) issue('start', 'only for the double_daily template');
      if (body.hold_seconds !== undefined) issue('hold_seconds', 'only for the double_daily template');
    }
  })
  .transform((body): PlanDefinition => {
    const stages = body.stages ?? templateStages(body.template ?? 'article', body.start ?? 1, body.hold_seconds ?? DAY_SECONDS);
    return {
      stages,
      health: body.health,
      on_unhealthy: body.on_unhealthy,
      ...(body.template ? { template: body.template } : {}),
      ...(body.reason !== undefined ? { reason: body.reason } : {}),
    };
  });

/** Body of `POST /admin/flags/:id/plan/<command>`. */
export const planControlSchema = z.object({ reason: z.string().max(LIMITS.reasonLength).optional() }).strict();

export interface PlanDefinition {
  stages: PlanStage[];
  health: PlanHealth;
  on_unhealthy: OnUnhealthy;
  template?: PlanTemplate;
  reason?: string;
}

/** A plan as stored in the flag's configuration (`flag.plan`) and returned by the admin API. */
export interface RolloutPlan {
  stages: PlanStage[];
  health: PlanHealth;
  on_unhealthy: OnUnhealthy;
  /** The template the stages came from, when they came from one. */
  template?: PlanTemplate;
  status: PlanStatus;
  /** The stage the flag is at (for a draft, the one `start` applies: 0). */
  stage_index: number;
  /** When the current stage began (ISO), null for a draft. */
  stage_started_at: string | null;
  /** When the alarm next tries to step (ISO); set only while running. */
  next_step_at: string | null;
  /** Why a paused plan is paused. */
  paused_reason: string | null;
  /** Why an aborted plan was aborted. */
  aborted_reason: string | null;
  started_at: string | null;
  /** When the plan completed or was aborted. */
  ended_at: string | null;
  updated_at: string;
}

/** The stages of a template. */
export function templateStages(template: PlanTemplate, start = 1, holdSeconds = DAY_SECONDS): PlanStage[] {
  if (template === 'article') {
    // 1% day 1, 5% day 2, 25% day 3, 50% day 5, 100% day 7.
    return [
      { percentage: 1, hold_seconds: DAY_SECONDS },
      { percentage: 5, hold_seconds: DAY_SECONDS },
      { percentage: 25, hold_seconds: 2 * DAY_SECONDS },
      { percentage: 50, hold_seconds: 2 * DAY_SECONDS },
      { percentage: 100, hold_seconds: 0 },
    ];
  }
  // Double in basis points (exact for two decimals) while under 100%, then 100%.
  const stages: PlanStage[] = [];
  for (let bp = Math.round(start * 100); bp < 10_000; bp *= 2) stages.push({ percentage: bp / 100, hold_seconds: holdSeconds });
  stages.push({ percentage: 100, hold_seconds: 0 });
  return stages;
}
