/**
 * The flag model as application Workers see it, without validation code: KV key names and the
 * shapes of what the coordinator publishes. The SDK imports runtime values from here and from the
 * evaluation modules only, never from `schema.ts`, which builds zod schemas when it loads. The
 * shapes are derived there from the one definition of a flag's fields; only their types come here.
 */
export type { FlagBundle, FlagSnapshot, FlagType } from './schema';

export const KV_KEYS = {
  /** Every flag and segment in one value: the hot path's only read. Written by the catalog alone. */
  bundle: 'flags:bundle',
  /** The article's per-flag key, kept for migration. Written by that flag's object alone. */
  flag: (id: string) => `flag:${id}`,
} as const;

/**
 * Bounds of one `report` call (the coordinator's `reportSchema` enforces them; the SDK's reporter
 * splits and trims its batches to stay inside them).
 */
export const REPORT_LIMITS = {
  /** Failures in one report (also the bound of the article's `count`). */
  maxFailures: 100_000,
  /** Successes in one report. */
  maxSuccesses: 1_000_000,
  /** Longest error sample a report may carry. */
  maxErrorSampleLength: 1_000,
} as const;

/** Bounds of one `recordUsage` call (the coordinator's `usageSchema`). */
export const USAGE_LIMITS = {
  /** Evaluations counted for one variant in one call. */
  maxPerVariant: 100_000_000,
  /** Distinct variants in one call. */
  maxVariants: 50,
} as const;
