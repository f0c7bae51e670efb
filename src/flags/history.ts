/** A flag's history entries, and paging of a history read newest first. */
import type { FlagAction } from './changes';
import type { FlagConfig } from './schema';

/** One accepted change of a flag, keyed by the version it produced. */
export interface HistoryEntry {
  version: number;
  action: FlagAction;
  actor: string;
  reason: string | null;
  before: FlagConfig | null;
  after: FlagConfig;
  details: Record<string, unknown> | null;
  created_at: string;
}

/** `next_before` is where the next page starts. */

export interface HistoryPage<E extends { version: number }> {
  entries: E[];
  next_before?: number;
}

/** A full page whose oldest entry is not version 1 has older entries behind it. */
export function historyPage<E extends { version: number }>(entries: E[], limit: number): HistoryPage<E> {
  const last = entries[entries.length - 1];
  return last && last.version > 1 && entries.length === limit ? { entries, next_before: last.version } : { entries };
}
