-- The catalog's count of live (unarchived) flags, kept in `state` under `live_flags` by every
-- upsert that changes a row's archived state (src/do/catalog-list.ts), so neither the limit check
-- at create nor the shard publisher counts rows. Started here from the rows already stored.
INSERT INTO state (key, value) SELECT 'live_flags', CAST(COUNT(*) AS TEXT) FROM flags WHERE archived = 0
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;

-- Shards of an outgrown layout (src/do/shard-publisher.ts): no longer written, their KV keys are
-- deleted at `delete_after`, set once the first manifest naming a later layout is in KV.
ALTER TABLE shards ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE shards ADD COLUMN delete_after INTEGER;
CREATE INDEX shards_retired ON shards (delete_after) WHERE retired = 1;
