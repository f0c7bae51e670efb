/**
 * Flag configuration: the article's model plus descriptive fields, the auto-kill policy and
 * (optionally) typed variants and targeting rules. Every external write is parsed by these
 * schemas, and every field has a bound so a single flag can never grow without limit.
 */
import { z } from 'zod';
import { experimentSchema } from './experiment/schema';
import type { RolloutPlan } from './plan/body';
import { boundedList, idSchema, jsonBytes, LIMITS, percentageSchema, reasonSchema, shortString } from './primitives';

export { idSchema, LIMITS, percentageSchema } from './primitives';

export const metadataSchema = z
  .record(z.string().max(LIMITS.attributeLength), z.unknown())
  .refine((m) => jsonBytes(m) <= LIMITS.metadataBytes, `at most ${LIMITS.metadataBytes} bytes as JSON`);

const autoKillFields = {
  enabled: z.boolean(),
  max_failures: z.number().int().min(1).max(1_000_000),
  window_seconds: z.number().int().min(10).max(86_400),
  /** Optional error-rate rule: kill when failures / (failures + successes) reaches this fraction. */
  max_error_rate: z.number().gt(0).max(1),
  /** The error-rate rule only applies once the window holds at least this many reports. */
  min_samples: z.number().int().min(1).max(1_000_000),
};

export const autoKillSchema = z
  .object({
    enabled: autoKillFields.enabled.default(true),
    max_failures: autoKillFields.max_failures.default(10),
    window_seconds: autoKillFields.window_seconds.default(300),
    max_error_rate: autoKillFields.max_error_rate.optional(),
    min_samples: autoKillFields.min_samples.default(100),
  })
  .strict();

/** A PATCH changes only the policy fields it names; `max_error_rate: null` removes the rate rule. */
export const autoKillPatchSchema = z
  .object({
    enabled: autoKillFields.enabled.optional(),
    max_failures: autoKillFields.max_failures.optional(),
    window_seconds: autoKillFields.window_seconds.optional(),
    max_error_rate: autoKillFields.max_error_rate.nullable().optional(),
    min_samples: autoKillFields.min_samples.optional(),
  })
  .strict();
export type AutoKillPolicy = z.infer<typeof autoKillSchema>;
export const DEFAULT_AUTO_KILL: AutoKillPolicy = autoKillSchema.parse({});

// ---------- variants and targeting ----------

export const flagTypeSchema = z.enum(['boolean', 'string', 'number', 'json']);
export type FlagType = z.infer<typeof flagTypeSchema>;

export const variantKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, "-", "_" or "."');

export const splitSchema = z
  .array(z.object({ variant: variantKeySchema, weight: z.number().int().min(0).max(10_000) }).strict())
  .min(1)
  .max(LIMITS.variants)
  .refine((s) => s.reduce((sum, w) => sum + w.weight, 0) === 10_000, 'weights must sum to 10000 basis points');
export type Split = z.infer<typeof splitSchema>;

export const operatorSchema = z.enum([
  'in',
  'not_in',
  'contains',
  'starts_with',
  'ends_with',
  'eq',
  'gt',
  'gte',
  'lt',
  'lte',
  'before',
  'after',
  'semver_eq',
  'semver_gt',
  'semver_lt',
  'in_segment',
]);
export type Operator = z.infer<typeof operatorSchema>;

export const conditionSchema = z
  .object({
    attribute: shortString(LIMITS.attributeLength),
    op: operatorSchema,
    values: z.array(z.union([z.string().max(LIMITS.listItemLength), z.number()])).min(1).max(LIMITS.valuesPerCondition),
    negate: z.boolean().optional(),
    case_insensitive: z.boolean().optional(),
  })
  .strict();
export type Condition = z.infer<typeof conditionSchema>;

export const serveSchema = z.union([
  z.object({ variant: variantKeySchema }).strict(),
  z.object({ split: splitSchema }).strict(),
]);
export type Serve = z.infer<typeof serveSchema>;

export const ruleSchema = z
  .object({
    description: z.string().max(LIMITS.descriptionLength).optional(),
    conditions: z.array(conditionSchema).min(1).max(LIMITS.conditionsPerRule),
    serve: serveSchema,
  })
  .strict();
export type Rule = z.infer<typeof ruleSchema>;

const variantValueSchema = z
  .unknown()
  .refine((v) => v !== undefined && jsonBytes(v) <= LIMITS.variantValueBytes, `a value of at most ${LIMITS.variantValueBytes} bytes as JSON`);

// ---------- the flag ----------

/**
 * THE definition of a flag's editable fields, as `POST /admin/flags` takes them: `.default(...)`
 * for a field every flag has, `.optional()` for one it may lack (PATCH clears it with `null`).
 * The create and patch bodies, `FlagConfig`, the fields a revert restores and a history entry
 * compares, and the KV snapshot all derive from this object, `ADDED_LATER` and `SNAPSHOT_RULES`.
 */
export const flagFields = {
  enabled: z.boolean().default(false),
  rollout_percentage: percentageSchema.default(0),
  allowed_users: boundedList(LIMITS.listItems, LIMITS.listItemLength).default([]),
  allowed_tenants: boundedList(LIMITS.listItems, LIMITS.listItemLength).default([]),
  environments: boundedList(LIMITS.environments, 64).optional(),
  metadata: metadataSchema.default({}),
  description: z.string().max(LIMITS.descriptionLength).default(''),
  owner: z.string().max(LIMITS.ownerLength).default(''),
  /** A flag meant to stay (an ops kill switch, say): never reported stale. */
  permanent: z.boolean().optional(),
  auto_kill: autoKillSchema.default(DEFAULT_AUTO_KILL),
  type: flagTypeSchema.default('boolean'),
  variants: z
    .record(variantKeySchema, variantValueSchema)
    .refine((v) => Object.keys(v).length <= LIMITS.variants, `at most ${LIMITS.variants} variants`)
    .optional(),
  on_variant: variantKeySchema.optional(),
  off_variant: variantKeySchema.optional(),
  split: splitSchema.optional(),
  bucket_by: shortString(LIMITS.attributeLength).optional(),
  rules: z.array(ruleSchema).max(LIMITS.rules).default([]),
  /** Evaluable with a public client key (browsers, mobile apps); see src/http/client-keys.ts. */
  client_side: z.boolean().default(false),
  /**
   * Writes by someone who may not approve (`flags:approve`) are held as change requests; only an
   * approver changes this field (src/flags/change-requests.ts).
   */
  protected: z.boolean().default(false),
  /** An A/B experiment on the flag's default split (docs/experiments.md); published so the SDK records exposures. */
  experiment: experimentSchema.optional(),
};

/**
 * Fields with a default that flags stored before the field existed lack (read as the default):
 * optional in `FlagConfig`. Every field added later with a default goes here.
 */
const ADDED_LATER = ['client_side', 'protected'] as const satisfies readonly (keyof typeof flagFields)[];

/**
 * How a field reaches the KV snapshot when not as it is: `withheld` (descriptive and operational
 * fields stay in the coordinator) or `if_true` (published only when true, so the bundle stays small).
 */
const SNAPSHOT_RULES = {
  description: 'withheld',
  owner: 'withheld',
  permanent: 'withheld',
  auto_kill: 'withheld',
  client_side: 'if_true',
  protected: 'withheld',
} as const satisfies Partial<Record<keyof typeof flagFields, 'withheld' | 'if_true'>>;

/** A PATCH body takes each field as its create schema does, made optional, except these. */
const patchOverrides = { auto_kill: autoKillPatchSchema };

type FieldShape = typeof flagFields;
type Fields = z.output<z.ZodObject<FieldShape>>;
/** The editable fields as stored. */
export type FlagFields = Omit<Fields, (typeof ADDED_LATER)[number]> & Partial<Pick<Fields, (typeof ADDED_LATER)[number]>>;
type ClearableField = { [K in keyof FieldShape]: FieldShape[K] extends z.ZodOptional ? K : never }[keyof FieldShape];
type OverriddenField = keyof typeof patchOverrides;

/** The fields an admin controls, in definition order: what a revert restores and a history entry compares. */
export const EDITABLE_FIELDS = Object.keys(flagFields) as (keyof FlagFields)[];

/** Fields a revert leaves as they are: whether a flag is protected is not undone by restoring a config. */
const KEPT_BY_REVERT: readonly (keyof FlagFields)[] = ['protected'];

/** What a revert restores. */
export const REVERTED_FIELDS = EDITABLE_FIELDS.filter((key) => !KEPT_BY_REVERT.includes(key));

/** `stale` names the stale-flag report (`GET /admin/flags/stale`), so no flag may take it. */
const flagIdSchema = idSchema.refine((id) => id !== 'stale', 'is reserved for the stale-flag report');

/** Body of `POST /admin/flags`. */
export const createFlagSchema = z.object({ id: flagIdSchema, ...flagFields, reason: reasonSchema.optional() }).strict();
export type CreateFlagInput = z.infer<typeof createFlagSchema>;

/**
 * `apply_at` on a write: the change is scheduled, applied by the flag's alarm at that time (and
 * only once approved, on a protected flag). The flag object checks that it lies ahead.
 */
export const applyAtSchema = z.iso.datetime({ offset: true });
export interface Scheduled {
  apply_at?: string | undefined;
}

/** Body of `PATCH /admin/flags/:id`: any editable field; `null` clears an optional one. */
export type FlagPatch = { [K in Exclude<keyof FlagFields, ClearableField | OverriddenField>]?: FlagFields[K] } & {
  [K in ClearableField]?: FlagFields[K] | null;
} & { [K in OverriddenField]?: z.output<(typeof patchOverrides)[K]> } & { reason?: string | undefined };

const patchShape = Object.fromEntries(
  Object.entries(flagFields).map(([key, schema]) => {
    const override = (patchOverrides as Record<string, z.ZodType>)[key];
    if (override) return [key, override.optional()];
    return [key, schema instanceof z.ZodOptional ? z.nullable(schema.unwrap()).optional() : schema.removeDefault().optional()];
  }),
);

export const patchFlagSchema = z
  .object({ ...patchShape, reason: reasonSchema.optional(), apply_at: applyAtSchema.optional() })
  .strict()
  .refine((p) => Object.keys(p).some((k) => k !== 'reason' && k !== 'apply_at'), { message: 'at least one field to change' }) as unknown as z.ZodType<
  FlagPatch & Scheduled
>;

/** `POST /admin/flags/:id/rollout`: the article's body; `flagId`, when sent, must match the path. */
export const rolloutSchema = z
  .object({
    percentage: percentageSchema,
    flagId: idSchema.optional(),
    reason: reasonSchema.optional(),
    apply_at: applyAtSchema.optional(),
  })
  .strict();

export const killSchema = z
  .object({ reason: reasonSchema.optional(), flagId: idSchema.optional() })
  .strict();

export const revertSchema = z
  .object({ version: z.number().int().min(1), reason: reasonSchema.optional(), apply_at: applyAtSchema.optional() })
  .strict();

export const historyQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();

/** The stored configuration of a flag. `version` grows by one with every accepted change. */
export interface FlagConfig extends FlagFields {
  id: string;
  version: number;
  /** The rollout plan and where it stands (set through `/admin/flags/:id/plan`; never in KV). */
  plan?: RolloutPlan;
  /** Present while the flag is off because a kill (manual or automatic) turned it off, not an edit. */
  killed_by_switch?: true;
  /** What the newest automatic kill saw (its rule, counts, version and time); kept after a re-enable. */
  last_incident?: Record<string, unknown>;
  archived: boolean;
  created_at: string;
  updated_at: string;
}

type WithheldField = { [K in keyof typeof SNAPSHOT_RULES]: (typeof SNAPSHOT_RULES)[K] extends 'withheld' ? K : never }[keyof typeof SNAPSHOT_RULES];
type SnapshotField = Exclude<keyof FlagFields, WithheldField>;
const snapshotRule = (key: string): 'withheld' | 'if_true' | undefined => (SNAPSHOT_RULES as Record<string, 'withheld' | 'if_true'>)[key];
const SNAPSHOT_FIELDS = EDITABLE_FIELDS.filter((key): key is SnapshotField => snapshotRule(key) !== 'withheld');

/** What application Workers read from KV: the fields evaluation needs, plus `version`. */
export type FlagSnapshot = Pick<FlagConfig, 'id' | 'version' | SnapshotField | 'archived' | 'updated_at'>;

export function toSnapshot(flag: FlagConfig): FlagSnapshot {
  const snapshot: Record<string, unknown> = { id: flag.id, version: flag.version };
  for (const key of SNAPSHOT_FIELDS) {
    const value = flag[key];
    if (value !== undefined && (snapshotRule(key) !== 'if_true' || value === true)) snapshot[key] = value;
  }
  return { ...snapshot, archived: flag.archived, updated_at: flag.updated_at } as FlagSnapshot;
}

// ---------- segments ----------

export const segmentWriteShape = {
  description: z.string().max(LIMITS.descriptionLength),
  conditions: z.array(conditionSchema).max(LIMITS.conditionsPerRule),
};

export interface Segment {
  id: string;
  version: number;
  description: string;
  conditions: Condition[];
  archived: boolean;
  created_at: string;
  updated_at: string;
}

/** The single KV document application Workers read: every live flag and segment. */
export interface FlagBundle {
  schema: 1;
  generated_at: string;
  flags: Record<string, FlagSnapshot>;
  segments: Record<string, Pick<Segment, 'id' | 'version' | 'conditions'>>;
}

