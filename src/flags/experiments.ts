/**
 * An experiment as part of a flag: which split the units are checked against, the read-out of a
 * flag from its stored aggregates, and a plan stage's guardrail verdict. Pure; who counts as a
 * unit is ./experiment-units.ts (the SDK imports that one, not this).
 */
import type { ExperimentAggregates } from './experiment/aggregates';
import { guardrailVerdict, type GuardrailVerdict } from './experiment/guardrails';
import { readout, type ExperimentReadout } from './experiment/readout';
import type { ExperimentConfig, SplitWeight } from './experiment/types';
import { offVariantOf, onVariantOf } from './evaluate';
import type { FlagConfig } from './schema';

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
