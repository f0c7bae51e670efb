/**
 * The bounds and small value schemas every body shares (flags, segments, rollout plans). A module
 * of its own so the plan's schemas and the flag's can both use them without importing each other.
 */
import { z } from 'zod';

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

/** Percentages accept up to two decimals (basis points); anything finer is refused, not rounded. */
export const percentageSchema = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(Math.round(p * 100) - p * 100) < 1e-6, 'at most two decimal places');

/** The optional `reason` every write body may carry into the history. */
export const reasonSchema = z.string().max(LIMITS.reasonLength);

export const shortString = (max: number) => z.string().min(1).max(max);
export const boundedList = (max: number, item: number) => z.array(shortString(item)).max(max);

export const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) ?? '').length;
