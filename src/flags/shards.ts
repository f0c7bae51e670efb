/**
 * The sharded read path (issue 14): pure rules shared by the catalog's publisher
 * (src/do/shard-publisher.ts), the SDK's shard source (src/sdk/shard-source.ts) and OFREP.
 *
 * KV holds
 *  - `flags:manifest`: small; per kind (flags, segments) the layout (shard count `S`, a power of
 *    two) and each shard's version; while the whole catalog is small it also inlines every flag
 *    and segment, so a small deployment costs one KV read per refresh;
 *  - `flags:shard:<S>:<n>` and `flags:segments:<S>:<n>`: the live flags (segments) whose id hashes
 *    into shard `n` of `S`.
 * Which shard holds an id needs no index: the top `log2 S` bits of FNV-1a(id). Doubling `S` splits
 * every shard in two. The catalog is the only writer of every one of these keys.
 */
import type { FlagSnapshot, SegmentSnapshot } from './model';
import { fail, type Failure } from './result';

/** A shard of the flags layout holds about this many flags on average. */
export const FLAGS_PER_SHARD = 8;
/** Segments are fewer; their shards hold more. */
export const SEGMENTS_PER_SHARD = 32;
/** The largest layout (flags at the deployment limit stay at ~10 a shard). */
export const MAX_SHARDS = 2_048;
/** Live flags per deployment; a create beyond it is refused with a 409. */
export const MAX_FLAGS = 20_000;
/** A flag's snapshot as JSON, at most (a change that would exceed it is refused with a 413). */
export const MAX_SNAPSHOT_BYTES = 64 * 1024;
/** The manifest inlines the catalog while flags and segments together take at most this. */
export const INLINE_MAX_BYTES = 32 * 1024;
/** The legacy single `flags:bundle` is kept up to date while the catalog has at most this many live flags. */
export const LEGACY_BUNDLE_MAX_FLAGS = 1_000;

/** A reader's cache period when FLAG_CACHE_TTL_SECONDS is not set (the SDK's default). */
export const DEFAULT_CACHE_TTL_SECONDS = 30;
/** How long a KV write may take to reach every location (Cloudflare: up to about 60 s). */
const KV_PROPAGATION_SECONDS = 60;

/**
 * How long an outgrown layout's shard keys stay in KV after the first manifest naming its
 * successor is written: a reader reads shards right after the manifest, but another location may
 * serve it the old manifest until the write has propagated, and a reader may hold what it read
 * for its cache period. Both, plus as much again as the propagation.
 */
export function retiredShardDelayMs(cacheTtlSeconds: number): number {
  return (cacheTtlSeconds + 2 * KV_PROPAGATION_SECONDS) * 1000;
}

export type ShardKind = 'flags' | 'segments';

export const SHARD_KEYS = {
  manifest: 'flags:manifest',
  shard: (kind: ShardKind, layout: number, n: number) => (kind === 'flags' ? `flags:shard:${layout}:${n}` : `flags:segments:${layout}:${n}`),
} as const;

export interface ShardLayout {
  /** Shard count, a power of two. */
  shards: number;
  /** Version of each shard (0: empty, never written); a reader re-reads a shard whose version moved. */
  versions: number[];
}

export interface ShardManifest {
  schema: 2;
  generated_at: string;
  flags: ShardLayout;
  segments: ShardLayout;
  /** Every live flag and segment, while the catalog is small (then no shard needs reading). */
  inline?: { flags: Record<string, FlagSnapshot>; segments: Record<string, SegmentSnapshot> };
}

export interface FlagShard {
  schema: 2;
  layout: number;
  n: number;
  version: number;
  flags: Record<string, FlagSnapshot>;
}

export interface SegmentShard {
  schema: 2;
  layout: number;
  n: number;
  version: number;
  segments: Record<string, SegmentSnapshot>;
}

/** FNV-1a over the id's UTF-16 code units: 32 bits, unsigned. Ids are ASCII (idSchema). */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shard of `layout` that holds a hash: its top bits. */
export function shardOfHash(hash: number, layout: number): number {
  return Math.floor((hash * layout) / 2 ** 32);
}

export function shardOf(id: string, layout: number): number {
  return shardOfHash(idHash(id), layout);
}

/** The hashes shard `n` of `layout` holds: `[low, high)`. */
export function shardRange(n: number, layout: number): [number, number] {
  const width = 2 ** 32 / layout;
  return [n * width, (n + 1) * width];
}

/** The layout `count` items need: a power of two, never smaller than `current` (layouts only grow). */
export function layoutFor(count: number, perShard: number, current = 1): number {
  let shards = Math.max(1, current);
  while (shards < MAX_SHARDS && count > shards * perShard) shards *= 2;
  return shards;
}

/** A 413 when a flag's snapshot would be over MAX_SNAPSHOT_BYTES (it must fit a shard beside its neighbours). */
export function snapshotTooLarge(snapshot: FlagSnapshot): Failure | null {
  const bytes = new TextEncoder().encode(JSON.stringify(snapshot)).length;
  if (bytes <= MAX_SNAPSHOT_BYTES) return null;
  return fail(413, 'payload_too_large', `the flag's snapshot would be ${bytes} bytes, over the limit of ${MAX_SNAPSHOT_BYTES}`, { bytes, limit: MAX_SNAPSHOT_BYTES });
}

export function isManifest(value: unknown): value is ShardManifest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<ShardManifest>;
  return v.schema === 2 && isLayout(v.flags) && isLayout(v.segments);
}

function isLayout(value: unknown): value is ShardLayout {
  const v = value as Partial<ShardLayout> | undefined;
  return typeof v?.shards === 'number' && Array.isArray(v.versions) && v.versions.length === v.shards;
}
