-- The sharded read path (src/do/shard-publisher.ts): each flag's and segment's id hash, filled by
-- the publisher when the object starts (FNV-1a is not SQL), indexed so a shard is a range scan;
-- and one row per shard of each layout with its version and what KV holds of it.
ALTER TABLE flags ADD COLUMN hash INTEGER;
ALTER TABLE segments ADD COLUMN hash INTEGER;
-- (archived, hash): a shard is a range of live rows, and counting live rows reads only the index.
CREATE INDEX flags_live ON flags (archived, hash);
CREATE INDEX segments_live ON segments (archived, hash);

CREATE TABLE shards (
  kind TEXT NOT NULL,
  layout INTEGER NOT NULL,
  n INTEGER NOT NULL,
  -- Changes the shard has had; `published` is the version KV holds.
  version INTEGER NOT NULL DEFAULT 0,
  published INTEGER NOT NULL DEFAULT 0,
  -- The publish sequence number of its oldest change not yet in KV (NULL: KV is up to date).
  dirty_seq INTEGER,
  PRIMARY KEY (kind, layout, n)
);
CREATE INDEX shards_dirty ON shards (dirty_seq) WHERE dirty_seq IS NOT NULL;
