-- The catalog's bundle publish moves to an outbox like the flag objects' (one drainer for both):
-- one row per bundle change, `version` = the `bundle_changes` counter. A change not yet published
-- under the old counters becomes a row, so the first drain after the upgrade publishes it.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at);

INSERT INTO outbox (kind, version, payload, next_attempt_at, created_at)
  SELECT 'kv', CAST(value AS INTEGER), 'null', 0, 0 FROM state
  WHERE key = 'bundle_changes'
    AND CAST(value AS INTEGER) > COALESCE((SELECT CAST(value AS INTEGER) FROM state WHERE key = 'bundle_published'), 0);
DELETE FROM state WHERE key = 'bundle_published';
