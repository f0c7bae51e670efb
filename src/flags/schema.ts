/**
 * Flag configuration: the article's model plus descriptive fields, the auto-kill policy and
 * (optionally) typed variants and targeting rules. Every external write is parsed by these
 * schemas, and every field has a bound so a single flag can never grow without limit.
 */
import { z } from 'zod';
import type { RolloutPlan } from './plan';

export const LIMITS = {
  idLength: 64,
  listItems: 1_000,
  listItemLength: 256,
  environments: 20,
  metadataBytes: 8_192,
  descriptionLength: 1_000,
  ownerLength: 128,
  reasonLength: 500,
  variants: 50,
  variantKeyLength: 64,
  variantValueBytes: 16_384,
  rules: 100,
  conditionsPerRule: 20,
  valuesPerCondition: 500,
  attributeLength: 128,
} as const;

/** A flag or segment id: 1–64 of letters, digits, `-`, `_`, `.`, starting with a letter or digit. */
export const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, "-", "_" or ".", starting with a letter or digit');

const shortString = (max: number) => z.string().min(1).max(max);
const boundedList = (max: number, item: number) => z.array(shortString(item)).max(max);

/** Percentages accept up to two decimals (basis points); anything finer is refused, not rounded. */
export const percentageSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(Math.round(p * 100) - p * 100) < 1e-6, 'at most two decimal places');

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) ?? '').length;

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

/** Fields an admin may set. Each is optional here; `flagConfigSchema` supplies defaults. */
const editableShape = {
  enabled: z.boolean(),
  rollout_percentage: percentageSchema,
  allowed_users: boundedList(LIMITS.listItems, LIMITS.listItemLength),
  allowed_tenants: boundedList(LIMITS.listItems, LIMITS.listItemLength),
  environments: boundedList(LIMITS.environments, 64),
  metadata: metadataSchema,
  description: z.string().max(LIMITS.descriptionLength),
  owner: z.string().max(LIMITS.ownerLength),
  /** A flag meant to stay (an ops kill switch, say): never reported stale. */
  permanent: z.boolean(),
  auto_kill: autoKillSchema,
  type: flagTypeSchema,
  variants: z.record(variantKeySchema, variantValueSchema).refine((v) => Object.keys(v).length <= LIMITS.variants, `at most ${LIMITS.variants} variants`),
  on_variant: variantKeySchema,
  off_variant: variantKeySchema,
  split: splitSchema,
  bucket_by: shortString(LIMITS.attributeLength),
  rules: z.array(ruleSchema).max(LIMITS.rules),
  /** Evaluable with a public client key (browsers, mobile apps); see src/http/client-keys.ts. */
  client_side: z.boolean(),
};

/** Body of `POST /admin/flags`. */
/** `stale` names the stale-flag report (`GET /admin/flags/stale`), so no flag may take it. */
const flagIdSchema = idSchema.refine((id) => id !== 'stale', 'is reserved for the stale-flag report');

export const createFlagSchema = z
  .object({
    id: flagIdSchema,
    enabled: editableShape.enabled.default(false),
    rollout_percentage: editableShape.rollout_percentage.default(0),
    allowed_users: editableShape.allowed_users.default([]),
    allowed_tenants: editableShape.allowed_tenants.default([]),
    environments: editableShape.environments.optional(),
    metadata: editableShape.metadata.default({}),
    description: editableShape.description.default(''),
    owner: editableShape.owner.default(''),
    permanent: editableShape.permanent.optional(),
    auto_kill: editableShape.auto_kill.default(DEFAULT_AUTO_KILL),
    type: editableShape.type.default('boolean'),
    variants: editableShape.variants.optional(),
    on_variant: editableShape.on_variant.optional(),
    off_variant: editableShape.off_variant.optional(),
    split: editableShape.split.optional(),
    bucket_by: editableShape.bucket_by.optional(),
    rules: editableShape.rules.default([]),
    client_side: editableShape.client_side.default(false),
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict();

/** Body of `PATCH /admin/flags/:id`: any editable field; `null` clears an optional one. */
export const patchFlagSchema = z
  .object({
    enabled: editableShape.enabled.optional(),
    rollout_percentage: editableShape.rollout_percentage.optional(),
    allowed_users: editableShape.allowed_users.optional(),
    allowed_tenants: editableShape.allowed_tenants.optional(),
    environments: editableShape.environments.nullable().optional(),
    metadata: editableShape.metadata.optional(),
    description: editableShape.description.optional(),
    owner: editableShape.owner.optional(),
    permanent: editableShape.permanent.nullable().optional(),
    auto_kill: autoKillPatchSchema.optional(),
    type: editableShape.type.optional(),
    variants: editableShape.variants.nullable().optional(),
    on_variant: editableShape.on_variant.nullable().optional(),
    off_variant: editableShape.off_variant.nullable().optional(),
    split: editableShape.split.nullable().optional(),
    bucket_by: editableShape.bucket_by.nullable().optional(),
    rules: editableShape.rules.optional(),
    client_side: editableShape.client_side.optional(),
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).some((k) => k !== 'reason'), { message: 'at least one field to change' });
export type FlagPatch = z.infer<typeof patchFlagSchema>;

/** `POST /admin/flags/:id/rollout`: the article's body; `flagId`, when sent, must match the path. */
export const rolloutSchema = z
  .object({
    percentage: percentageSchema,
    flagId: idSchema.optional(),
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict();

export const killSchema = z
  .object({ reason: z.string().max(LIMITS.reasonLength).optional(), flagId: idSchema.optional() })
  .strict();

export const revertSchema = z
  .object({ version: z.number().int().min(1), reason: z.string().max(LIMITS.reasonLength).optional() })
  .strict();

export const historyQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.coerce.number().int().min(1).optional(),
  })
  .strict();

/** The stored configuration of a flag. `version` grows by one with every accepted change. */
export interface FlagConfig {
  id: string;
  version: number;
  enabled: boolean;
  rollout_percentage: number;
  allowed_users: string[];
  allowed_tenants: string[];
  environments?: string[];
  metadata: Record<string, unknown>;
  description: string;
  owner: string;
  permanent?: boolean;
  auto_kill: AutoKillPolicy;
  type: FlagType;
  variants?: Record<string, unknown>;
  on_variant?: string;
  off_variant?: string;
  split?: Split;
  bucket_by?: string;
  rules: Rule[];
  /** Served to client keys (absent on flags created before the field existed: false). */
  client_side?: boolean;
  /** The rollout plan and where it stands (set through `/admin/flags/:id/plan`; never in KV). */
  plan?: RolloutPlan;
  archived: boolean;
  created_at: string;
  updated_at: string;
}

/**
 * What application Workers read from KV: the fields evaluation needs, plus `version`.
 * Descriptive and operational fields (owner, description, auto-kill policy) stay in the object.
 */
export type FlagSnapshot = Pick<
  FlagConfig,
  | 'id'
  | 'version'
  | 'enabled'
  | 'rollout_percentage'
  | 'allowed_users'
  | 'allowed_tenants'
  | 'environments'
  | 'metadata'
  | 'type'
  | 'variants'
  | 'on_variant'
  | 'off_variant'
  | 'split'
  | 'bucket_by'
  | 'rules'
  | 'client_side'
  | 'archived'
  | 'updated_at'
>;

export function toSnapshot(flag: FlagConfig): FlagSnapshot {
  const snapshot: FlagSnapshot = {
    id: flag.id,
    version: flag.version,
    enabled: flag.enabled,
    rollout_percentage: flag.rollout_percentage,
    allowed_users: flag.allowed_users,
    allowed_tenants: flag.allowed_tenants,
    metadata: flag.metadata,
    type: flag.type,
    rules: flag.rules,
    archived: flag.archived,
    updated_at: flag.updated_at,
  };
  if (flag.environments) snapshot.environments = flag.environments;
  if (flag.variants) snapshot.variants = flag.variants;
  if (flag.on_variant) snapshot.on_variant = flag.on_variant;
  if (flag.off_variant) snapshot.off_variant = flag.off_variant;
  if (flag.split) snapshot.split = flag.split;
  if (flag.bucket_by) snapshot.bucket_by = flag.bucket_by;
  if (flag.client_side) snapshot.client_side = true;
  return snapshot;
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

export { KV_KEYS } from './model';
