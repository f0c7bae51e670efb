-- The status facts a revert and the history must see move from `state` into the versioned config:
-- `killed_by_switch` (present only while a kill keeps the flag off) and `last_incident`.
UPDATE flag SET config = json_set(config, '$.killed_by_switch', json('true'))
  WHERE (SELECT value FROM state WHERE key = 'killed_by_switch') = 'true' AND json_extract(config, '$.enabled') = 0;
UPDATE flag SET config = json_set(config, '$.last_incident', json((SELECT value FROM state WHERE key = 'last_incident')))
  WHERE EXISTS (SELECT 1 FROM state WHERE key = 'last_incident');
DELETE FROM state WHERE key IN ('killed_by_switch', 'last_incident');
