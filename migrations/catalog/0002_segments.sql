-- Segments: reusable sets of conditions, versioned like flags, published in the bundle.
CREATE TABLE segments (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  archived INTEGER NOT NULL DEFAULT 0,
  segment TEXT NOT NULL
);

-- Append-only audit trail of segment changes.
CREATE TABLE segment_history (
  segment_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  before TEXT,
  after TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (segment_id, version)
);
