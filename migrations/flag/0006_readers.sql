-- Propagation receipts (issue 13): per reader (a random per-isolate id) of this flag, the newest
-- version it reported serving and since when (`since`), whether it came to it from an older one
-- (`moved`, 0/1), when it was last heard from and when it last served an older version after the
-- current one was accepted (ms). Bounded by the flag object (src/flags/propagation.ts): at most
-- MAX_READERS_PER_FLAG rows, the least recently seen evicted; rows older than READER_MAX_AGE_MS pruned.
CREATE TABLE readers (
  reader TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  since INTEGER NOT NULL,
  moved INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  last_stale_at INTEGER
);
CREATE INDEX readers_last_seen ON readers (last_seen_at);
