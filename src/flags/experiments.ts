/**
 * An experiment as part of a flag: who counts as a unit, which split the units are checked
 * against, and the read-out of a flag from its stored aggregates. Pure; shared by the flag object,
 * OFREP and the SDK (which uses only `isRunning` and `experimentUnit`).
 *
 * A unit is recorded when the flag serves it through its default split or rollout percentage
 * (reason `SPLIT`), the randomised assignment the experiment compares. Units the allowlists,
 * targeting rules or a disabled flag serve are not part of the experiment, nor is a context
 * without the bucketing attribute (all of them would be one "anonymous" unit).
 */
import type { ExperimentAggregates } from './experiment/aggregates';
import { guardrailVerdict, type GuardrailVerdict } from './experiment/guardrails';
import { readout, type ExperimentReadout } from './experiment/readout';
import type { ExperimentConfig, SplitWeight } from './experiment/types';
import { offVariantOf, onVariantOf, stringAttribute, type EvaluationContext } from './evaluate';
import type { FlagConfig, FlagSnapshot } from './schema';

type WithExperiment = Pick<FlagSnapshot, 'experiment'>;

export function isRunning<F extends WithExperiment>(flag: F): flag is F & { experiment: ExperimentConfig } {
  return flag.experiment?.status === 'running';
}

/** The attribute whose value is the unit. */
export function unitAttribute(flag: Pick<FlagSnapshot, 'bucket_by'>): string {
  return flag.bucket_by ?? 'targetingKey';
}

/** The unit an evaluation exposes, or undefined when it is not an experiment exposure. */
export function experimentUnit(flag: Pick<FlagSnapshot, 'experiment' | 'bucket_by'>, context: EvaluationContext, reason: string | undefined): string | undefined {
  if (reason !== 'SPLIT' || !isRunning(flag)) return undefined;
  return stringAttribute(context[unitAttribute(flag)]);
}

/** The weights units are assigned by: the split, or a boolean rollout as `[on p%, off rest]`. */
export function experimentSplit(flag: Pick<FlagConfig, 'split' | 'rollout_percentage' | 'on_variant' | 'off_variant'>): SplitWeight[] {
  if (flag.split) return flag.split;
  const on = Math.round(flag.rollout_percentage * 100);
  return [
    { variant: onVariantOf(flag), weight: on },
    { variant: offVariantOf(flag), weight: 10_000 - on },
  ];
}

export type FlagExperimentReadout = ExperimentReadout & { flag_id: string; version: number };

export function flagReadout(flag: FlagConfig & { experiment: ExperimentConfig }, aggregates: ExperimentAggregates, nowMs: number): FlagExperimentReadout {
  return { flag_id: flag.id, version: flag.version, ...readout(flag.experiment, aggregates, experimentSplit(flag), nowMs) };
}

/** The verdict on a stage's guardrail metrics; every metric is unknown when the flag has no experiment. */
export function flagGuardrails(flag: FlagConfig, guardrails: readonly string[], aggregates: () => ExperimentAggregates, nowMs: number): GuardrailVerdict {
  if (!flag.experiment) return { worse: false, breaches: [], unknown_metrics: [...new Set(guardrails)] };
  return guardrailVerdict(flagReadout({ ...flag, experiment: flag.experiment }, aggregates(), nowMs), guardrails);
}
