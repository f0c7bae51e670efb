/**
 * The admin list's query language (`GET /admin/flags`): paging by cursor, search, filters and sort.
 * Pure rules only; the catalog turns a `ListQuery` into SQL (src/do/catalog-list.ts).
 *
 * Paging is keyset paging on (sort key, id), never OFFSET: a page starts strictly after the last
 * row of the previous one, so flags created while someone pages never shift a page and no flag is
 * returned twice. The cursor is opaque to clients (base64url of JSON) and names the sort and a
 * fingerprint of the filters it was issued for; it is refused with another sort or other filters.
 */
import { z } from 'zod';
import { DEFAULT_STALE_DAYS } from './stale';
import type { FlagStatus, FlagSummary } from './status';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;
const MAX_SEARCH = 100;

const STATUSES = ['on', 'off', 'killed', 'allowlist-only', 'rolling-out'] as const satisfies readonly FlagStatus[];
const SORT_KEYS = ['id', 'updated_at', 'created_at', 'owner'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortOrder = 'asc' | 'desc';

/** A flag as the list returns it. */
export interface ListedFlag extends FlagSummary {
  last_evaluated_at: string | null;
}

export interface FlagListPage {
  flags: ListedFlag[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
  /** How many flags match the filters, across all pages. */
  total: number;
}

/** Where a page starts: strictly after this (sort value, id). */
export interface CursorKey {
  value: string;
  id: string;
}

export interface ListFilters {
  /** Lower-cased text looked for in the id, description and owner. */
  search?: string;
  statuses?: FlagStatus[];
  stale?: boolean;
  staleDays: number;
  permanent?: boolean;
  archived: 'live' | 'archived' | 'any';
}

export interface ListQuery extends ListFilters {
  limit: number;
  sort: SortKey;
  order: SortOrder;
  after?: CursorKey;
}

interface CursorBody {
  v: 1;
  s: SortKey;
  o: SortOrder;
  f: string;
  k: string;
  i: string;
}

const cursorBodySchema = z
  .object({ v: z.literal(1), s: z.enum(SORT_KEYS), o: z.enum(['asc', 'desc']), f: z.string().max(16), k: z.string().max(1_000), i: z.string().max(64) })
  .strict();

const bool = z.enum(['true', 'false']).transform((v) => v === 'true');

/** The query string of `GET /admin/flags`, as parsed from URLSearchParams (every value a string). */
export const listQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT),
    cursor: z.string().max(2_000).optional(),
    q: z.string().max(MAX_SEARCH).optional(),
    status: z
      .string()
      .optional()
      .transform((v) => (v ? v.split(',').map((s) => s.trim()) : undefined))
      .pipe(z.array(z.enum(STATUSES)).max(STATUSES.length).optional()),
    stale: bool.optional(),
    stale_days: z.coerce.number().int().min(1).max(3650).default(DEFAULT_STALE_DAYS),
    permanent: bool.optional(),
    archived: z.enum(['true', 'false', 'any']).optional(),
    /** The original parameter: `true` is `archived=any`. */
    include_archived: bool.optional(),
    sort: z.enum(SORT_KEYS).default('id'),
    order: z.enum(['asc', 'desc']).default('asc'),
  })
  .strict()
  .transform((raw, ctx): ListQuery => {
    if (raw.archived !== undefined && raw.include_archived !== undefined) {
      ctx.issues.push({ code: 'custom', path: ['archived'], message: 'send archived or include_archived, not both', input: raw.archived });
      return z.NEVER;
    }
    const search = raw.q?.trim().toLowerCase();
    const query: ListQuery = {
      limit: raw.limit,
      sort: raw.sort,
      order: raw.order,
      staleDays: raw.stale_days,
      archived: raw.archived === 'true' ? 'archived' : raw.archived === 'any' || raw.include_archived ? 'any' : 'live',
    };
    if (search) query.search = search;
    if (raw.status?.length) query.statuses = [...new Set(raw.status)];
    if (raw.stale !== undefined) query.stale = raw.stale;
    if (raw.permanent !== undefined) query.permanent = raw.permanent;
    if (raw.cursor !== undefined) {
      const body = decodeCursor(raw.cursor);
      if (!body) {
        ctx.issues.push({ code: 'custom', path: ['cursor'], message: 'not a cursor issued by this list', input: raw.cursor });
        return z.NEVER;
      }
      if (body.s !== query.sort || body.o !== query.order || body.f !== filtersFingerprint(query)) {
        ctx.issues.push({ code: 'custom', path: ['cursor'], message: 'the cursor belongs to another sort or other filters; start again without it', input: raw.cursor });
        return z.NEVER;
      }
      query.after = { value: body.k, id: body.i };
    }
    return query;
  });

/** The cursor for the page that follows `last` (the last flag of this page). */
export function encodeCursor(query: ListQuery, last: Pick<FlagSummary, SortKey>): string {
  const body: CursorBody = { v: 1, s: query.sort, o: query.order, f: filtersFingerprint(query), k: last[query.sort], i: last.id };
  return base64url(new TextEncoder().encode(JSON.stringify(body)));
}

function decodeCursor(cursor: string): CursorBody | null {
  try {
    const parsed = cursorBodySchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(fromBase64url(cursor))));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The text search looks in: id, description and owner, lower-cased. */
export function searchText(flag: Pick<FlagSummary, 'id' | 'description' | 'owner'>): string {
  return [flag.id, flag.description, flag.owner].join('\n').toLowerCase();
}

/** A short hash of the filters, so a cursor is only accepted with the filters it was issued for. */
function filtersFingerprint(filters: ListFilters): string {
  const canonical = JSON.stringify([filters.search ?? '', [...(filters.statuses ?? [])].sort(), filters.stale ?? null, filters.stale === undefined ? null : filters.staleDays, filters.permanent ?? null, filters.archived]);
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < canonical.length; i++) {
    hash ^= canonical.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
