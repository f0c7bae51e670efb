/**
 * Flags compiled for the hot path. A snapshot is turned once into a small evaluator: allowlists
 * as Sets, rules with their split ranges summed up front, every possible answer (variant, value,
 * reason, version) built as a frozen object, and the flag's buckets in their own shard of the
 * bucket cache. A check then allocates nothing and builds no string: a Set look-up or two, the
 * rules' conditions, a map look-up of the user's bucket (a SHA-256 the first time), a range scan.
 *
 * The answers are those of `evaluate` in src/flags/evaluate.ts, in the DESIGN's order (unknown,
 * disabled, environment, user and tenant allowlists, rules, split, rollout) with its bucket formula;
 * test/sdk/compiled.test.ts compares the two over random flags and contexts.
 *
 * `CompiledFlags` holds the evaluators of one client and decides when one is stale: per flag,
 * when the flag's snapshot version changes (or the flag leaves), not whenever a bundle is read.
 * Snapshots come through `SnapshotLookup` alone, so a later per-flag change channel (handing `use`
 * a lookup that differs in one flag) or snapshots loaded per shard on demand need no change here:
 * the next check of a changed flag compiles its new version.
 */
import { basisPointBucket, bucketHash } from '../flags/bucket';
import { conditionsMatch, type ConditionOptions, type SegmentLookup } from '../flags/conditions';
import { offVariantOf, onVariantOf, stringAttribute, variantsOf, type EvaluationContext, type EvaluationReason } from '../flags/evaluate';
import type { Condition, FlagSnapshot, FlagType, Split } from '../flags/schema';
import type { BucketHashCache, BucketShard } from './bucket-hash-cache';
import type { FlagDetails, FlagEvaluation } from './answers';
import { isRunning, unitAttribute } from '../flags/experiment-units';
import type { ExperimentLog } from './experiment-log';
import type { UsageCounters } from './reporter';

/** One possible answer of a compiled flag, built at compile time. */
export interface Outcome {
  readonly evaluation: FlagEvaluation;
  /** The same answer as a typed result (`flagType` added), for the typed getters. */
  readonly details: FlagDetails<unknown>;
  /** Slot of (flag, variant) in the usage counters; -1 without a reporter. */
  readonly slot: number;
}

export interface CompiledFlag {
  readonly id: string;
  readonly version: number;
  readonly type: FlagType;
  /** The answer for `context`; `conditions` carries the time and segments of the request. */
  evaluate(context: EvaluationContext, conditions: ConditionOptions): Outcome;
}

/** Where a flag's snapshot comes from: one bundle today, per-shard loads or a change channel later. */
export interface SnapshotLookup {
  flag(id: string): FlagSnapshot | undefined;
  readonly segments: SegmentLookup | undefined;
  /** The running experiments that list `metric`, for `track` (none when the source cannot enumerate). */
  trackedBy?(metric: string): readonly TrackedExperiment[];
}

/** A running experiment `track` attributes a metric's events to: its flag and the unit's attribute. */
export interface TrackedExperiment {
  flagId: string;
  unitAttribute: string;
}

type Choose = (context: EvaluationContext, now: number) => Outcome;

/**
 * `SnapshotLookup.trackedBy` over the flags `ids` names (read when first asked, once per lookup):
 * the running experiments listing a metric, each with its flag and unit attribute.
 */
export function trackedByOf(ids: () => Iterable<string>, flag: (id: string) => FlagSnapshot | undefined): (metric: string) => readonly TrackedExperiment[] {
  let byMetric: Map<string, TrackedExperiment[]> | undefined;
  return (metric) => {
    if (!byMetric) {
      byMetric = new Map();
      for (const id of ids()) {
        const snapshot = flag(id);
        if (!snapshot || snapshot.archived || !isRunning(snapshot)) continue;
        for (const { key } of snapshot.experiment.metrics) {
          let list = byMetric.get(key);
          if (!list) byMetric.set(key, (list = []));
          list.push({ flagId: snapshot.id, unitAttribute: unitAttribute(snapshot) });
        }
      }
    }
    return byMetric.get(metric) ?? NONE;
  };
}

const NONE: readonly TrackedExperiment[] = Object.freeze([]);

/**
 * `experiments`: where exposures of a running experiment go (the reporter's log); null without a
 * reporter. Only the default split or rollout (reason `SPLIT`) exposes a unit (src/flags/experiments.ts).
 */
export function compileFlag(
  flag: FlagSnapshot,
  environment: string,
  buckets: BucketShard,
  counters: UsageCounters | null,
  experiments: ExperimentLog | null = null,
): CompiledFlag {
  const id = flag.id;
  const type: FlagType = flag.type ?? 'boolean';
  const values = variantsOf(flag);
  const answers = new Map<string, Outcome>();
  const answer = (variant: string, reason: EvaluationReason): Outcome => {
    const key = `${reason}\u0000${variant}`;
    let outcome = answers.get(key);
    if (!outcome) {
      const value = values[variant];
      const evaluation: FlagEvaluation = Object.freeze({ flagId: id, value, reason, variant, version: flag.version });
      outcome = Object.freeze({
        evaluation,
        details: Object.freeze({ ...evaluation, flagType: type }),
        slot: counters ? counters.slot(id, variant, flag.version) : -1,
      });
      answers.set(key, outcome);
    }
    return outcome;
  };
  const compiled = (evaluate: CompiledFlag['evaluate']): CompiledFlag => ({ id, version: flag.version, type, evaluate });

  const off = offVariantOf(flag);
  const on = onVariantOf(flag);
  if (!flag.enabled || (flag.environments && !flag.environments.includes(environment))) {
    const disabled = answer(off, 'DISABLED');
    return compiled(() => disabled);
  }

  const bucketBy = flag.bucket_by ?? 'targetingKey';
  const bucketOf = (context: EvaluationContext): number => {
    const key = stringAttribute(context[bucketBy]) ?? 'anonymous';
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = basisPointBucket(bucketHash(id, key));
      buckets.set(key, bucket);
    }
    return bucket;
  };
  const splitOf = (split: Split, reason: EvaluationReason): Choose => {
    const uppers: number[] = [];
    const outcomes: Outcome[] = [];
    let upper = 0;
    for (const slice of split) {
      upper += slice.weight;
      uppers.push(upper);
      outcomes.push(answer(slice.variant, reason));
    }
    // Weights sum to 10,000 and buckets are below it: the last slice is `pickSplit`'s fallback.
    const last = answer(split[split.length - 1]!.variant, reason);
    return (context) => {
      const bucket = bucketOf(context);
      for (let i = 0; i < uppers.length; i++) if (bucket < uppers[i]!) return outcomes[i]!;
      return last;
    };
  };

  const users = flag.allowed_users.length > 0 ? new Set(flag.allowed_users) : null;
  const tenants = flag.allowed_tenants.length > 0 ? new Set(flag.allowed_tenants) : null;
  const allowed = answer(on, 'TARGETING_MATCH');
  const rules: { conditions: readonly Condition[]; choose: Choose }[] = flag.rules.map((rule) => {
    if ('variant' in rule.serve) {
      const served = answer(rule.serve.variant, 'TARGETING_MATCH');
      return { conditions: rule.conditions, choose: () => served };
    }
    return { conditions: rule.conditions, choose: splitOf(rule.serve.split, 'TARGETING_MATCH') };
  });

  let fallthrough: Choose;
  if (flag.split) fallthrough = splitOf(flag.split, 'SPLIT');
  else if (flag.rollout_percentage >= 100) {
    const everyone = answer(on, 'STATIC');
    fallthrough = () => everyone;
  } else if (flag.rollout_percentage <= 0) {
    const nobody = answer(off, 'DEFAULT');
    fallthrough = () => nobody;
  } else {
    const threshold = Math.round(flag.rollout_percentage * 100); // `inPercentage`
    const inside = answer(on, 'SPLIT');
    const outside = answer(off, 'SPLIT');
    fallthrough = (context) => (bucketOf(context) < threshold ? inside : outside);
  }

  const exposures = experiments !== null && isRunning(flag) ? experiments.shard(id) : null;
  if (exposures !== null) {
    const assign = fallthrough;
    fallthrough = (context, now) => {
      const outcome = assign(context, now);
      if (outcome.evaluation.reason === 'SPLIT') exposures.expose(context[bucketBy], outcome.evaluation.variant!, now);
      return outcome;
    };
  }

  return compiled((context, conditions) => {
    if (users !== null) {
      const userId = stringAttribute(context.targetingKey);
      if (userId !== undefined && users.has(userId)) return allowed;
    }
    if (tenants !== null) {
      const tenantId = stringAttribute(context.tenantId);
      if (tenantId !== undefined && tenants.has(tenantId)) return allowed;
    }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (conditionsMatch(rule.conditions, context, conditions)) return rule.choose(context, conditions.now);
    }
    return fallthrough(context, conditions.now);
  });
}

/** A client's compiled flags over its current snapshots, recompiled per flag when a version changes. */
export class CompiledFlags {
  private readonly byId = new Map<string, CompiledFlag>();
  private lookup: SnapshotLookup | null = null;

  constructor(
    private readonly environment: string,
    private readonly buckets: BucketHashCache,
    private readonly counters: UsageCounters | null,
    /** Told of a check of a flag the snapshots do not hold (a per-flag source then loads it). */
    private readonly onUnknown: (id: string) => void = () => undefined,
    private readonly experiments: ExperimentLog | null = null,
  ) {}

  /** The running experiments that list `metric` (see `SnapshotLookup.trackedBy`). */
  trackedBy(metric: string): readonly TrackedExperiment[] {
    return this.lookup?.trackedBy?.(metric) ?? NONE;
  }

  /** Whether any snapshots are loaded. */
  get ready(): boolean {
    return this.lookup !== null;
  }

  get segments(): SegmentLookup | undefined {
    return this.lookup?.segments;
  }

  /**
   * Switches to new snapshots. Evaluators of flags whose version is unchanged are kept; the others
   * are dropped and compiled again on their next check (bucket shards survive: buckets never change).
   */
  use(lookup: SnapshotLookup | null): void {
    if (lookup === this.lookup) return;
    this.lookup = lookup;
    for (const [id, compiled] of this.byId) {
      const snapshot = lookup?.flag(id);
      if (!snapshot || snapshot.archived) {
        this.byId.delete(id);
        this.buckets.forget(id);
      } else if (snapshot.version !== compiled.version) this.byId.delete(id);
    }
  }

  /** The evaluator of a live flag; `undefined` when the flag is unknown or archived. */
  get(id: string): CompiledFlag | undefined {
    const known = this.byId.get(id);
    if (known !== undefined) return known;
    const snapshot = this.lookup?.flag(id);
    if (!snapshot || snapshot.archived) {
      this.onUnknown(id);
      return undefined;
    }
    const compiled = compileFlag(snapshot, this.environment, this.buckets.shard(id), this.counters, this.experiments);
    this.byId.set(id, compiled);
    return compiled;
  }
}
