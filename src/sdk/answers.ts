/**
 * What a flag check answers, and who it asks about: the SDK's public result types. Kept apart from
 * the client so the compiled evaluator and the per-request view can name them without importing
 * the client that imports them.
 */
import type { EvaluationReason } from '../flags/evaluate';
import type { FlagType } from '../flags/model';

/**
 * Who is asking. OpenFeature's shape (`targetingKey`, `tenantId`, any other attribute at the top
 * level) and the article's `{ userId, tenantId }` both work: `userId` stands for `targetingKey`
 * when that is absent. Attributes may also be grouped under `attrs`.
 */
export interface FlagContext {
  targetingKey?: string;
  userId?: string;
  tenantId?: string;
  attrs?: Record<string, unknown>;
  [attribute: string]: unknown;
}

/** OpenFeature error codes the client can produce. */
export type FlagErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PROVIDER_NOT_READY' | 'GENERAL';

/** The answer of `evaluate`: what the coordinator's evaluation says, plus the snapshot version. */
export interface FlagEvaluation<T = unknown> {
  flagId: string;
  /** The served variant's value; `undefined` on an error (unknown flag, no bundle). */
  value: T;
  variant?: string;
  reason: EvaluationReason;
  /** Version of the flag's snapshot; absent when the flag is unknown. */
  version?: number;
  errorCode?: FlagErrorCode;
  errorMessage?: string;
}

/** The value kinds a caller can ask for; `object` is a `json` flag. */
export type ValueKind = 'boolean' | 'string' | 'number' | 'object';

/** A typed answer: on any error, `value` is the caller's default. */
export interface FlagDetails<T> extends FlagEvaluation<T> {
  /** The flag's declared type, when the flag is known. */
  flagType?: FlagType;
}
