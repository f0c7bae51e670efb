-- The list of flags, one row each, fed by the flag objects with their newest snapshot.
CREATE TABLE flags (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  summary TEXT NOT NULL,
  snapshot TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_evaluated_at INTEGER
);

-- Small named values: bundle change counter, last published counter, last KV write time.
CREATE TABLE state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
