-- One row: the flag's current configuration as JSON, with its version.
CREATE TABLE flag (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  config TEXT NOT NULL
);

-- Append-only audit trail: one row per accepted change, keyed by the version it produced.
CREATE TABLE history (
  version INTEGER PRIMARY KEY,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  before TEXT,
  after TEXT NOT NULL,
  details TEXT,
  created_at TEXT NOT NULL
);

-- Side effects written in the same transaction as the change that caused them.
-- kind: 'kv' (publish the snapshot), 'catalog' (sync the listing), 'slack', 'webhook'.
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

-- Sliding failure window as time buckets: rows grow with the window length, never with the count.
CREATE TABLE window_buckets (
  bucket_start INTEGER NOT NULL,
  variant TEXT NOT NULL DEFAULT '',
  failures INTEGER NOT NULL DEFAULT 0,
  successes INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket_start, variant)
);

-- Evaluations served per variant, reported by SDK flushes and OFREP.
CREATE TABLE exposures (
  variant TEXT PRIMARY KEY,
  count INTEGER NOT NULL DEFAULT 0,
  last_at INTEGER NOT NULL
);

-- Small named values: last KV write time, last incident, and the like.
CREATE TABLE state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
