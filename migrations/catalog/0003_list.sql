-- Columns and indexes for the admin list's paging, search, filters and sort (src/do/catalog-list.ts).
-- The catalog fills them on every upsert; rows stored before this migration are filled from their
-- summary here (SQLite's lower() folds ASCII only, so such a row's search text is exact once the
-- flag next changes).
ALTER TABLE flags ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE flags ADD COLUMN permanent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flags ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

UPDATE flags SET
  status = COALESCE(json_extract(summary, '$.status'), ''),
  owner = COALESCE(json_extract(summary, '$.owner'), ''),
  created_at = COALESCE(json_extract(summary, '$.created_at'), ''),
  permanent = COALESCE(json_extract(summary, '$.permanent'), 0),
  search_text = lower(id || char(10) || COALESCE(json_extract(summary, '$.description'), '') || char(10) || COALESCE(json_extract(summary, '$.owner'), ''));

-- Keyset paging: every sort is (column, id).
CREATE INDEX flags_by_updated ON flags (updated_at, id);
CREATE INDEX flags_by_created ON flags (created_at, id);
CREATE INDEX flags_by_owner ON flags (owner, id);
