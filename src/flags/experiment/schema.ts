/**
 * The zod schema of an experiment's configuration (types.ts). Standalone so the flag schema can
 * embed it later without an import cycle: it repeats the key pattern rather than importing it
 * from ../schema. Whether `control` names one of the flag's variants is the flag schema's check.
 */
import { z } from 'zod';
import type { ExperimentConfig } from './types';

export const EXPERIMENT_LIMITS = { minMetrics: 1, maxMetrics: 10 } as const;

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KEY_MESSAGE = 'must be 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit';

export const experimentMetricSchema = z
  .object({
    key: z.string().regex(KEY, KEY_MESSAGE),
    type: z.enum(['conversion', 'mean']),
    goal: z.enum(['increase', 'decrease']),
  })
  .strict();

const timestamp = z.iso.datetime({ offset: true }).nullable();

export const experimentSchema = z
  .object({
    control: z.string().regex(KEY, KEY_MESSAGE),
    metrics: z
      .array(experimentMetricSchema)
      .min(EXPERIMENT_LIMITS.minMetrics, `at least ${EXPERIMENT_LIMITS.minMetrics} metric`)
      .max(EXPERIMENT_LIMITS.maxMetrics, `at most ${EXPERIMENT_LIMITS.maxMetrics} metrics`),
    status: z.enum(['draft', 'running', 'stopped']),
    started_at: timestamp.default(null),
    stopped_at: timestamp.default(null),
  })
  .strict()
  .superRefine((experiment, ctx) => {
    const seen = new Map<string, number>();
    experiment.metrics.forEach((metric, index) => {
      const first = seen.get(metric.key);
      if (first === undefined) seen.set(metric.key, index);
      else ctx.addIssue({ code: 'custom', path: ['metrics', index, 'key'], message: `duplicates metrics.${first}.key "${metric.key}"` });
    });
    if (experiment.status !== 'draft' && experiment.started_at === null) {
      ctx.addIssue({ code: 'custom', path: ['started_at'], message: `is required once the experiment is ${experiment.status}` });
    }
    if (experiment.status !== 'stopped' && experiment.stopped_at !== null) {
      ctx.addIssue({ code: 'custom', path: ['stopped_at'], message: 'must be null unless the experiment is stopped' });
    }
    if (experiment.status === 'stopped' && experiment.stopped_at === null) {
      ctx.addIssue({ code: 'custom', path: ['stopped_at'], message: 'is required once the experiment is stopped' });
    }
    if (experiment.started_at && experiment.stopped_at && Date.parse(experiment.stopped_at) < Date.parse(experiment.started_at)) {
      ctx.addIssue({ code: 'custom', path: ['stopped_at'], message: 'must not be before started_at' });
    }
  });

// Compile-time check that the schema's output and the plain type stay the same shape.
type Parsed = z.output<typeof experimentSchema>;
type Holds<T extends true> = T;
export type ExperimentSchemaMatchesType = Holds<[Parsed, ExperimentConfig] extends [ExperimentConfig, Parsed] ? true : false>;
