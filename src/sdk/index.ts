/**
 * flag-coordinator SDK for application Workers (`flag-coordinator/sdk`).
 *
 * The OpenFeature provider lives in `./openfeature` so that importing the SDK does not pull in
 * `@openfeature/server-sdk`.
 */
export {
  FlagClient,
  getFlagClient,
  toEvaluationContext,
  type FallbackHandlers,
  type FlagClientOptions,
} from './client';
export type { FlagContext, FlagDetails, FlagErrorCode, FlagEvaluation, ValueKind } from './answers';
export { RequestFlags } from './request-flags';
export type { Clock } from './clock';
export {
  BatchReporter,
  errorSample,
  type FlagReporterBinding,
  type ReportBody,
  type ReporterOptions,
  type ReporterProblem,
  type ReporterStats,
  type WaitUntil,
} from './reporter';
export { BundleCache, KvSnapshotSource, type BundleCacheOptions, type BundleCacheStats, type KvReader, type SnapshotSource } from './bundle-cache';
export { ShardSource, type BulkKvReader, type ShardSourceOptions } from './shard-source';
export { BucketHashCache } from './bucket-hash-cache';
export type { EvaluationReason } from '../flags/evaluate';
export type { FlagBundle, FlagSnapshot, FlagType } from '../flags/schema';
export type { Usage } from '../flags/reports';
export type { ChangesBinding, ChangeChannelOptions, ChangeChannelStats } from './change-channel';
