/** Paging of a history read newest first: `next_before` is where the next page starts. */

export interface HistoryPage<E extends { version: number }> {
  entries: E[];
  next_before?: number;
}

/** A full page whose oldest entry is not version 1 has older entries behind it. */
export function historyPage<E extends { version: number }>(entries: E[], limit: number): HistoryPage<E> {
  const last = entries[entries.length - 1];
  return last && last.version > 1 && entries.length === limit ? { entries, next_before: last.version } : { entries };
}
