/** Failure/success reports and usage counts sent by application Workers. */
import { z } from 'zod';
import { REPORT_LIMITS, USAGE_LIMITS } from './model';
import { variantKeySchema } from './schema';

export const ERROR_SAMPLE_MAX = REPORT_LIMITS.maxErrorSampleLength;

/**
 * One report, usually a batch: `failures` and `successes` since the last flush. The article's
 * `{ count?, error? }` body still works: `count` is the number of failures, and an empty body is
 * one failure.
 */
export const reportSchema = z
  .object({
    count: z.number().int().min(1).max(REPORT_LIMITS.maxFailures).optional(),
    failures: z.number().int().min(0).max(REPORT_LIMITS.maxFailures).optional(),
    successes: z.number().int().min(0).max(REPORT_LIMITS.maxSuccesses).optional(),
    error: z.string().max(ERROR_SAMPLE_MAX).optional(),
    variant: variantKeySchema.optional(),
  })
  .strict()
  .refine((r) => r.count === undefined || r.failures === undefined, {
    message: 'send either count or failures, not both',
    path: ['count'],
  });

export interface Report {
  failures: number;
  successes: number;
  error?: string;
  variant?: string;
}

export function normaliseReport(input: z.infer<typeof reportSchema>): Report {
  const failures = input.count ?? input.failures ?? (input.successes === undefined ? 1 : 0);
  const report: Report = { failures, successes: input.successes ?? 0 };
  if (input.error !== undefined) report.error = input.error;
  if (input.variant !== undefined) report.variant = input.variant;
  return report;
}

/** The flag's state after counting a report. `tripped` is true only for the report that killed it. */
export interface ReportOutcome {
  enabled: boolean;
  version: number;
  failures: number;
  successes: number;
  tripped: boolean;
}

/** Evaluations served since the last flush, per variant, with the time of the latest. */
export const usageSchema = z
  .object({
    variants: z.record(variantKeySchema, z.number().int().min(0).max(USAGE_LIMITS.maxPerVariant))
      .refine((v) => Object.keys(v).length <= USAGE_LIMITS.maxVariants, `at most ${USAGE_LIMITS.maxVariants} variants`),
    last_at: z.number().int().min(0),
  })
  .strict();
export type Usage = z.infer<typeof usageSchema>;
