/**
 * Who counts as an experiment's unit, for the SDK, OFREP and the flag object alike; no statistics
 * here, so the SDK bundle stays small.
 *
 * A unit is recorded when the flag serves it through its default split or rollout percentage
 * (reason `SPLIT`), the randomised assignment the experiment compares. Units the allowlists,
 * targeting rules or a disabled flag serve are not part of the experiment, nor is a context
 * without the bucketing attribute (all of them would be one "anonymous" unit).
 */
import { stringAttribute, type EvaluationContext } from './evaluate';
import type { ExperimentConfig } from './experiment/types';
import type { FlagSnapshot } from './schema';

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

