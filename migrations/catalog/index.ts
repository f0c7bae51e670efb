import init from './0001_init.sql';
import segments from './0002_segments.sql';
import list from './0003_list.sql';
import outbox from './0004_outbox.sql';
import feed from './0005_feed.sql';
import shards from './0006_shards.sql';
import changeRequests from './0007_change_requests.sql';
import liveFlagsRetiredShards from './0008_live_flags_retired_shards.sql';
import type { Migration } from '../../src/do/migrations';

/** CatalogObject schema, in order. Append new files; never edit an applied one. */
export const catalogMigrations: Migration[] = [
  { name: '0001_init', sql: init },
  { name: '0002_segments', sql: segments },
  { name: '0003_list', sql: list },
  { name: '0004_outbox', sql: outbox },
  { name: '0005_feed', sql: feed },
  { name: '0006_shards', sql: shards },
  { name: '0007_change_requests', sql: changeRequests },
  { name: '0008_live_flags_retired_shards', sql: liveFlagsRetiredShards },
];
