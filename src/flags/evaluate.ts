/**
 * Flag evaluation, in the article's order, extended with variants and targeting rules:
 * unknown → not found; disabled → off variant; environment not listed → off variant;
 * user or tenant allowlist → on variant; targeting rules (first match); default rollout.
 * Pure and synchronous: the coordinator, OFREP and the SDK all call this one function.
 */
import { basisPointBucket, bucketHash, inPercentage } from './bucket';
import { conditionsMatch, type SegmentLookup } from './conditions';
import type { FlagSnapshot, Split } from './schema';

/** OpenFeature resolution reasons. */
export type EvaluationReason = 'DISABLED' | 'TARGETING_MATCH' | 'SPLIT' | 'STATIC' | 'DEFAULT' | 'ERROR';

/** The evaluation context: OpenFeature's shape, `targetingKey` being the user id. */
export interface EvaluationContext {
  targetingKey?: string;
  tenantId?: string;
  [attribute: string]: unknown;
}

export interface EvaluationOptions {
  /** This deployment's environment (the `ENVIRONMENT` var). */
  environment: string;
  /** Segments referenced by `in_segment` conditions. */
  segments?: SegmentLookup;
  /** Time of evaluation in ms, the value of the `now` attribute. Defaults to `Date.now()`. */
  now?: number;
  /** Cache for bucket hashes; evaluating the same flag for the same key twice hashes once. */
  bucketCache?: BucketCache;
}

export interface Evaluation {
  flagId: string;
  value: unknown;
  variant?: string;
  reason: EvaluationReason;
  /** Version of the snapshot evaluated; absent when the flag is unknown. */
  version?: number;
  errorCode?: 'FLAG_NOT_FOUND';
}

export interface BucketCache {
  get(key: string): number | undefined;
  set(key: string, bucket: number): void;
}

const BOOLEAN_VARIANTS: Readonly<Record<string, unknown>> = Object.freeze({ on: true, off: false });

/** The variants a flag serves; a boolean flag without variants has `{ on: true, off: false }`. */
export function variantsOf(flag: Pick<FlagSnapshot, 'type' | 'variants'>): Readonly<Record<string, unknown>> {
  return flag.variants ?? BOOLEAN_VARIANTS;
}

export function onVariantOf(flag: Pick<FlagSnapshot, 'on_variant'>): string {
  return flag.on_variant ?? 'on';
}

export function offVariantOf(flag: Pick<FlagSnapshot, 'off_variant'>): string {
  return flag.off_variant ?? 'off';
}

export function evaluate(
  flag: FlagSnapshot | undefined,
  context: EvaluationContext,
  options: EvaluationOptions,
): Evaluation {
  if (!flag || flag.archived) {
    return { flagId: flag?.id ?? '', value: undefined, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' };
  }
  const serve = (variant: string, reason: EvaluationReason): Evaluation => ({
    flagId: flag.id,
    value: variantsOf(flag)[variant],
    variant,
    reason,
    version: flag.version,
  });

  if (!flag.enabled) return serve(offVariantOf(flag), 'DISABLED');
  if (flag.environments && !flag.environments.includes(options.environment)) {
    return serve(offVariantOf(flag), 'DISABLED');
  }
  const userId = stringAttribute(context.targetingKey);
  if (userId !== undefined && flag.allowed_users.includes(userId)) return serve(onVariantOf(flag), 'TARGETING_MATCH');
  const tenantId = stringAttribute(context.tenantId);
  if (tenantId !== undefined && flag.allowed_tenants.includes(tenantId)) {
    return serve(onVariantOf(flag), 'TARGETING_MATCH');
  }

  if (flag.rules.length > 0) {
    const conditionOptions = { now: options.now ?? Date.now(), segments: options.segments };
    for (const rule of flag.rules) {
      if (!conditionsMatch(rule.conditions, context, conditionOptions)) continue;
      const variant = 'variant' in rule.serve ? rule.serve.variant : pickSplit(rule.serve.split, bucketOf(flag, context, options));
      return serve(variant, 'TARGETING_MATCH');
    }
  }

  if (flag.split) return serve(pickSplit(flag.split, bucketOf(flag, context, options)), 'SPLIT');
  if (flag.rollout_percentage >= 100) return serve(onVariantOf(flag), 'STATIC');
  if (flag.rollout_percentage <= 0) return serve(offVariantOf(flag), 'DEFAULT');
  const inRollout = inPercentage(bucketOf(flag, context, options), flag.rollout_percentage);
  return serve(inRollout ? onVariantOf(flag) : offVariantOf(flag), 'SPLIT');
}

/** Cumulative ranges over the basis-point bucket, in the split's order. */
export function pickSplit(split: Split, bucket: number): string {
  let upper = 0;
  for (const slice of split) {
    upper += slice.weight;
    if (bucket < upper) return slice.variant;
  }
  // Weights sum to 10,000 and buckets are below it, so this is unreachable for a valid split.
  return split[split.length - 1]!.variant;
}

/** The basis-point bucket of this context for this flag; the article's `'anonymous'` when the key is missing. */
export function bucketOf(
  flag: Pick<FlagSnapshot, 'id' | 'bucket_by'>,
  context: EvaluationContext,
  options: Pick<EvaluationOptions, 'bucketCache'> = {},
): number {
  const key = stringAttribute(context[flag.bucket_by ?? 'targetingKey']) ?? 'anonymous';
  const cacheKey = `${flag.id}:${key}`;
  const cached = options.bucketCache?.get(cacheKey);
  if (cached !== undefined) return cached;
  const bucket = basisPointBucket(bucketHash(flag.id, key));
  options.bucketCache?.set(cacheKey, bucket);
  return bucket;
}

/** A bucketing key or allowlist id: a non-empty string, or a finite number as its string form. */
export function stringAttribute(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
