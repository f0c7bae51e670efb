/** Failure/success reports and usage counts sent by application Workers. */
import { z } from 'zod';
import { experimentMetricSchema } from './experiment/schema';
import { REPORT_LIMITS, USAGE_LIMITS, type FlagStateAnswer } from './model';
import { LIMITS, toSnapshot, variantKeySchema, type FlagConfig } from './schema';

export const ERROR_SAMPLE_MAX = REPORT_LIMITS.maxErrorSampleLength;

/** The flag version the caller evaluates with: the answer carries the snapshot when it is older. */
const seenVersionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A reader's random per-isolate id (change channel and propagation receipts). */
export const readerSchema = z.string().min(1).max(64);

/** `changes(cursor, options)` of the coordinator's RPC entrypoint. */
export const changesCursorSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const changesOptionsSchema = z.object({ reader: readerSchema.optional() }).strict();

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
    seen_version: seenVersionSchema.optional(),
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
  seen_version?: number;
}

export function normaliseReport(input: z.infer<typeof reportSchema>): Report {
  const failures = input.count ?? input.failures ?? (input.successes === undefined ? 1 : 0);
  const report: Report = { failures, successes: input.successes ?? 0 };
  if (input.error !== undefined) report.error = input.error;
  if (input.variant !== undefined) report.variant = input.variant;
  if (input.seen_version !== undefined) report.seen_version = input.seen_version;
  return report;
}

/**
 * The flag's state after counting a report (with its snapshot when the caller's `seen_version` is
 * older or absent). `tripped` is true only for the report that killed it.
 */
export interface ReportOutcome extends FlagStateAnswer {
  failures: number;
  successes: number;
  tripped: boolean;
}

/** What happened to a batch of metric events: each event is counted in exactly one field. */
export interface EventOutcome {
  counted: number;
  /** The unit was never exposed (in this run). */
  not_exposed: number;
  /** Earlier than the unit's first exposure. */
  before_exposure: number;
  /** The unit was served more than one variant. */
  multiple_exposure: number;
  /** A metric the experiment does not list. */
  unknown_metric: number;
  /** The experiment is not running. */
  not_running: number;
}

/** What a batch of experiment exposures did. */
export interface ExposureOutcome {
  /** Units seen for the first time. */
  new_units: number;
  /** Units that became multiple exposures with this batch. */
  multiple: number;
}

/**
 * What a usage flush answers: how many evaluations it counted, and the flag's state; `experiment`
 * when it carried units or events.
 */
export interface UsageOutcome extends FlagStateAnswer {
  recorded: number;
  experiment?: ExposureOutcome & { events: EventOutcome };
}

/** An experiment's unit: the value of the flag's bucketing attribute (a user id, usually). */
const unitSchema = z.string().min(1).max(LIMITS.listItemLength);

/** A unit's first exposure in a reader: the variant it was served and when (ms since the epoch). */
export const exposureSchema = z.object({ unit: unitSchema, variant: variantKeySchema, at: z.number().int().min(0) }).strict();

/**
 * One metric event of a unit. `value` is summed by a mean metric (default 1: a count) and ignored
 * by a conversion metric; `at` (ms since the epoch) defaults to when the coordinator receives it.
 */
export const metricEventSchema = z
  .object({
    unit: unitSchema,
    metric: experimentMetricSchema.shape.key,
    value: z.number().min(-USAGE_LIMITS.maxEventValue).max(USAGE_LIMITS.maxEventValue).optional(),
    at: z.number().int().min(0).optional(),
  })
  .strict();
export type MetricEventInput = z.infer<typeof metricEventSchema>;

/** Body of `POST /v1/flags/:id/events`. */
export const eventsBodySchema = z.object({ events: z.array(metricEventSchema).min(1).max(USAGE_LIMITS.maxEvents) }).strict();

/** One version of a propagation receipt: how often the reader served it since its last flush, first and last time (ms). */
export const servedSchema = z
  .object({
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    count: z.number().int().min(0).max(USAGE_LIMITS.maxPerVariant * USAGE_LIMITS.maxVariants),
    first_at: z.number().int().min(0),
    last_at: z.number().int().min(0),
  })
  .strict()
  .refine((s) => s.first_at <= s.last_at, { message: 'first_at must not be after last_at', path: ['first_at'] });

/**
 * Evaluations served since the last flush, per variant, with the time of the latest; while the
 * flag's experiment runs, also the units first exposed and the metric events tracked; with
 * `reader` (a random per-isolate id), the propagation receipt: per version served, the count and
 * the first and last time (`served`, which needs `reader`).
 */
export const usageSchema = z
  .object({
    variants: z.record(variantKeySchema, z.number().int().min(0).max(USAGE_LIMITS.maxPerVariant))
      .refine((v) => Object.keys(v).length <= USAGE_LIMITS.maxVariants, `at most ${USAGE_LIMITS.maxVariants} variants`),
    last_at: z.number().int().min(0),
    seen_version: seenVersionSchema.optional(),
    units: z.array(exposureSchema).max(USAGE_LIMITS.maxUnits).optional(),
    events: z.array(metricEventSchema).max(USAGE_LIMITS.maxEvents).optional(),
    reader: readerSchema.optional(),
    served: z.array(servedSchema).max(USAGE_LIMITS.maxServed).optional(),
  })
  .strict()
  .refine((u) => u.served === undefined || u.reader !== undefined, { message: 'served needs the reader id', path: ['reader'] });
export type Usage = z.infer<typeof usageSchema>;

/**
 * What report and usage answers say about the flag: its version and state, and its snapshot when
 * the caller's `seenVersion` is older or unknown (never for an archived flag, which readers drop).
 */
export function flagStateAnswer(flag: FlagConfig, seenVersion: number | undefined): FlagStateAnswer {
  const answer: FlagStateAnswer = { version: flag.version, enabled: flag.enabled };
  if (!flag.archived && (seenVersion === undefined || seenVersion < flag.version)) answer.snapshot = toSnapshot(flag);
  return answer;
}
