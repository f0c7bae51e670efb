-- A relay's copy of the catalog's change feed (same shape as the catalog's `feed` table), and
-- its `feed_head` / `feed_floor` in `state`.
CREATE TABLE state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE feed (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  version INTEGER NOT NULL,
  changed_at INTEGER NOT NULL,
  snapshot TEXT,
  PRIMARY KEY (kind, id)
);
CREATE INDEX feed_seq ON feed (seq);
