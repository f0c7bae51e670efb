/**
 * Segments: named, reusable sets of conditions (an id list is `{ attribute: "targetingKey",
 * op: "in", values: [...] }`). A context is in a segment when it satisfies all its conditions.
 * Rules use one with `{ op: "in_segment", values: [segmentId] }`.
 */
import { z } from 'zod';
import { idSchema, LIMITS, segmentWriteShape, type Condition, type Rule, type Segment } from './schema';
import { invalid, ok, toFieldIssues, type Result } from './result';
import { validateConditions } from './validate';

export const createSegmentSchema = z
  .object({
    id: idSchema,
    description: segmentWriteShape.description.default(''),
    conditions: segmentWriteShape.conditions,
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict();

export const patchSegmentSchema = z
  .object({
    description: segmentWriteShape.description.optional(),
    conditions: segmentWriteShape.conditions.optional(),
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict()
  .refine((p) => p.description !== undefined || p.conditions !== undefined, { message: 'at least one field to change' });

export type CreateSegmentInput = z.infer<typeof createSegmentSchema>;
export type SegmentPatch = z.infer<typeof patchSegmentSchema>;

export function newSegment(input: CreateSegmentInput, nowIso: string): Result<Segment> {
  return checked({
    id: input.id,
    version: 1,
    description: input.description,
    conditions: input.conditions,
    archived: false,
    created_at: nowIso,
    updated_at: nowIso,
  });
}

export function patchedSegment(segment: Segment, patch: SegmentPatch, nowIso: string): Result<Segment> {
  return checked({
    ...segment,
    description: patch.description ?? segment.description,
    conditions: patch.conditions ?? segment.conditions,
    version: segment.version + 1,
    updated_at: nowIso,
  });
}

export function archivedSegment(segment: Segment, nowIso: string): Segment {
  return { ...segment, archived: true, version: segment.version + 1, updated_at: nowIso };
}

/** The segment ids a flag's rules refer to. */
export function referencedSegments(rules: readonly Rule[]): Set<string> {
  const ids = new Set<string>();
  for (const rule of rules) collectSegments(rule.conditions, ids);
  return ids;
}

/** Segment ids referenced by conditions (a segment may refer to other segments). */
export function collectSegments(conditions: readonly Condition[], into = new Set<string>()): Set<string> {
  for (const condition of conditions) {
    if (condition.op === 'in_segment') for (const value of condition.values) into.add(String(value));
  }
  return into;
}

function checked(segment: Segment): Result<Segment> {
  const issues = validateConditions(segment.conditions, ['conditions']);
  return issues.length > 0 ? invalid(toFieldIssues(issues)) : ok(segment);
}
