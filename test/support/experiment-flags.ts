/**
 * Experiment flags as the workerd tests and the bench create them: a running experiment over the
 * given metrics, on a three-way string flag (control / b / c, a third each).
 */
export const EXPERIMENT_STARTED_AT = '2026-01-01T00:00:00.000Z';

export function runningExperiment(metrics: unknown[] = [{ key: 'checkout', type: 'conversion', goal: 'increase' }]) {
  return { control: 'control', metrics, status: 'running', started_at: EXPERIMENT_STARTED_AT };
}

export function threeWayFlag(id: string, experiment: unknown = runningExperiment()) {
  return {
    id,
    enabled: true,
    type: 'string',
    variants: { control: 'a', b: 'b', c: 'c' },
    on_variant: 'b',
    off_variant: 'control',
    split: [
      { variant: 'control', weight: 3334 },
      { variant: 'b', weight: 3333 },
      { variant: 'c', weight: 3333 },
    ],
    experiment,
  };
}
