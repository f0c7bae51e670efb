/**
 * The admin list over the catalog's `flags` table: one page per call, by keyset on (sort column,
 * id), with search, filters and a count of all matches (src/flags/list-query.ts has the rules).
 * Only the page's rows are parsed, so a page costs the same at 100 flags as at 10,000. It also
 * keeps the count of live flags (`live_flags` in `state`, catalog migration 0008) with the rows, so
 * the limit check and the shard publisher never count them.
 */
import { encodeCursor, type FlagListPage, type ListedFlag, type ListQuery, type SortKey, searchText } from '../flags/list-query';
import { staleCutoffMs } from '../flags/stale';
import type { FlagSummary } from '../flags/status';
import type { StateTable } from './state-table';

/** Fixed column names, so no query text ever comes from the request. */
const SORT_COLUMNS: Record<SortKey, string> = { id: 'id', updated_at: 'updated_at', created_at: 'created_at', owner: 'owner' };

type PageRow = { id: string; summary: string; last_evaluated_at: number | null; updated_at: string; created_at: string; owner: string };

export class FlagListStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly state: StateTable,
  ) {}

  /** Live (unarchived) flags. */
  live(): number {
    return this.state.get<number>('live_flags') ?? 0;
  }

  /** Whether the flag's row is live now (false when there is none); read it before writing the row. */
  isLive(id: string): boolean {
    return this.sql.exec<{ archived: number }>('SELECT archived FROM flags WHERE id = ?', id).toArray()[0]?.archived === 0;
  }

  /**
   * Copies the list's query columns from a summary just written to its `flags` row, and counts it
   * in or out of the live flags (`wasLive`: the row before the write). Call in the write's transaction.
   */
  index(summary: FlagSummary, wasLive: boolean): void {
    const delta = Number(!summary.archived) - Number(wasLive);
    if (delta !== 0) this.state.set('live_flags', this.live() + delta);
    this.sql.exec(
      'UPDATE flags SET status = ?, owner = ?, created_at = ?, permanent = ?, search_text = ? WHERE id = ?',
      summary.status,
      summary.owner,
      summary.created_at,
      summary.permanent ? 1 : 0,
      searchText(summary),
      summary.id,
    );
  }

  page(query: ListQuery, nowMs: number): FlagListPage {
    const { clauses, params } = this.filters(query, nowMs);
    const total = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM flags ${where(clauses)}`, ...params).one().n;

    const column = SORT_COLUMNS[query.sort];
    const direction = query.order === 'asc' ? 'ASC' : 'DESC';
    const compare = query.order === 'asc' ? '>' : '<';
    const pageClauses = [...clauses];
    const pageParams = [...params];
    if (query.after) {
      if (query.sort === 'id') {
        pageClauses.push(`id ${compare} ?`);
        pageParams.push(query.after.id);
      } else {
        pageClauses.push(`(${column}, id) ${compare} (?, ?)`);
        pageParams.push(query.after.value, query.after.id);
      }
    }
    const order = query.sort === 'id' ? `id ${direction}` : `${column} ${direction}, id ${direction}`;
    const rows = this.sql
      .exec<PageRow>(
        `SELECT id, summary, last_evaluated_at, updated_at, created_at, owner FROM flags ${where(pageClauses)} ORDER BY ${order} LIMIT ?`,
        ...pageParams,
        query.limit + 1,
      )
      .toArray();

    const more = rows.length > query.limit;
    const shown = more ? rows.slice(0, query.limit) : rows;
    const flags = shown.map((row): ListedFlag => ({ ...(JSON.parse(row.summary) as FlagSummary), last_evaluated_at: isoOrNull(row.last_evaluated_at) }));
    const last = shown[shown.length - 1];
    return { flags, next_cursor: more && last ? encodeCursor(query, last) : null, total };
  }

  private filters(query: ListQuery, nowMs: number): { clauses: string[]; params: SqlStorageValue[] } {
    const clauses: string[] = [];
    const params: SqlStorageValue[] = [];
    if (query.archived !== 'any') clauses.push(query.archived === 'archived' ? 'archived = 1' : 'archived = 0');
    if (query.search) {
      // instr, not LIKE: no wildcards to escape, and no limit on the pattern's length.
      clauses.push('instr(search_text, ?) > 0');
      params.push(query.search);
    }
    if (query.statuses) {
      clauses.push(`status IN (${query.statuses.map(() => '?').join(', ')})`);
      params.push(...query.statuses);
    }
    if (query.permanent !== undefined) clauses.push(query.permanent ? 'permanent = 1' : 'permanent = 0');
    if (query.stale !== undefined) {
      // The rule of src/flags/stale.ts (staleReasons) as SQL, never NULL so NOT works too;
      // test/integration/admin-list.test.ts checks that both pick the same flags.
      const cutoffMs = staleCutoffMs(nowMs, query.staleDays);
      const cutoffIso = new Date(cutoffMs).toISOString();
      const stale = `(archived = 0 AND permanent = 0 AND (
        (status IN ('on', 'off', 'killed') AND updated_at < ?)
        OR (CASE WHEN last_evaluated_at IS NULL THEN created_at < ? ELSE last_evaluated_at < ? END)))`;
      clauses.push(query.stale ? stale : `NOT ${stale}`);
      params.push(cutoffIso, cutoffIso, cutoffMs);
    }
    return { clauses, params };
  }
}

function where(clauses: readonly string[]): string {
  return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
}

function isoOrNull(ms: number | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}
