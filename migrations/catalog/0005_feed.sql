-- The change feed (issue 13): the newest accepted change per flag or segment, ordered by `seq`
-- (one counter, `feed_head` in `state`, that only grows). Retention drops old rows and raises
-- `feed_floor`; the catalog pushes new rows to the relay objects through its outbox.
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
CREATE INDEX feed_changed ON feed (changed_at);
