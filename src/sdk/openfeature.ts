/**
 * An OpenFeature provider (`@openfeature/server-sdk`) on top of `FlagClient`: the standard
 * OpenFeature API, evaluated locally from the coordinator's KV bundle with the same answers as the
 * client (value, variant, reason; the snapshot version in `flagMetadata.version`).
 *
 *   import { OpenFeature } from '@openfeature/server-sdk';
 *   const flags = getFlagClient({ kv: env.FLAGS_KV, environment: env.ENVIRONMENT, reporter: env.FLAG_COORDINATOR });
 *   await OpenFeature.setProviderAndWait(new FlagCoordinatorProvider(flags));
 *   const on = await OpenFeature.getClient().getBooleanValue('new-chatbot', false, { targetingKey: userId });
 *   ctx.waitUntil(flags.flush());   // sends evaluation counts (exposures) to the coordinator
 *
 * Tracking: `client.track('checkout', { targetingKey: userId }, { value: 12.5 })` is the client's
 * `track(metric, context, value)`: an event for every running experiment listing the metric.
 *
 * Errors follow OpenFeature: an unknown flag is `FLAG_NOT_FOUND`, a flag of another type than the
 * one asked is `TYPE_MISMATCH`, no bundle loaded yet is `PROVIDER_NOT_READY`; in each case the
 * OpenFeature client answers with the caller's default value.
 *
 * Only types are imported from OpenFeature, so this module adds nothing to a bundle that does not
 * already include `@openfeature/server-sdk`.
 */
import type {
  ErrorCode,
  EvaluationContext,
  FlagMetadata,
  JsonValue,
  Provider,
  ProviderMetadata,
  ResolutionDetails,
  ResolutionReason,
  TrackingEventDetails,
} from '@openfeature/server-sdk';
import type { FlagContext, FlagDetails, ValueKind } from './answers';
import type { FlagClient } from './client';

export class FlagCoordinatorProvider implements Provider {
  readonly metadata: ProviderMetadata = { name: 'flag-coordinator' };
  readonly runsOn = 'server' as const;

  constructor(readonly client: FlagClient) {}

  /** Loads the first bundle. With none in KV yet the provider still starts, and every flag is off. */
  async initialize(): Promise<void> {
    await this.client.ready();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, 'boolean', defaultValue, context);
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, 'string', defaultValue, context);
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, 'number', defaultValue, context);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, 'object', defaultValue, context);
  }

  /** OpenFeature's tracking API: a metric event for the experiments that list `trackingEventName`. */
  track(trackingEventName: string, context: EvaluationContext, trackingEventDetails: TrackingEventDetails): void {
    const value = trackingEventDetails?.value;
    this.client.track(trackingEventName, fromOpenFeature(context ?? {}), typeof value === 'number' ? value : undefined).catch(() => undefined);
  }

  /** OpenFeature asks one flag at a time: one bundle look-up, then the synchronous compiled check. */
  private async resolve<T>(flagKey: string, kind: ValueKind, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    const flags = await this.client.forRequest(undefined, fromOpenFeature(context), [flagKey]);
    return toResolution(flags.resolve(flagKey, kind, defaultValue));
  }
}

/** OpenFeature context → the client's: the same attributes, dates as milliseconds since the epoch. */
export function fromOpenFeature(context: EvaluationContext): FlagContext {
  const result: FlagContext = {};
  for (const [key, value] of Object.entries(context)) {
    result[key] = value instanceof Date ? value.getTime() : value;
  }
  return result;
}

function toResolution<T>(details: FlagDetails<T>): ResolutionDetails<T> {
  const resolution: ResolutionDetails<T> = { value: details.value, reason: details.reason as ResolutionReason };
  if (details.variant !== undefined && details.errorCode === undefined) resolution.variant = details.variant;
  const metadata: FlagMetadata = {};
  if (details.version !== undefined) metadata['version'] = details.version;
  if (details.flagType !== undefined) metadata['type'] = details.flagType;
  resolution.flagMetadata = metadata;
  if (details.errorCode !== undefined) {
    resolution.errorCode = details.errorCode as ErrorCode;
    if (details.errorMessage !== undefined) resolution.errorMessage = details.errorMessage;
  }
  return resolution;
}
