import init from './0001_init.sql';
import statusFacts from './0002_status_facts_in_config.sql';
import experiment from './0004_experiment.sql';
import changeRequests from './0005_change_requests.sql';
import readers from './0006_readers.sql';
import type { Migration } from '../../src/do/migrations';

/** FlagObject schema, in order. Append new files; never edit an applied one. */
export const flagMigrations: Migration[] = [
  { name: '0001_init', sql: init },
  { name: '0002_status_facts_in_config', sql: statusFacts },
  { name: '0004_experiment', sql: experiment },
  { name: '0005_change_requests', sql: changeRequests },
  { name: '0006_readers', sql: readers },
];
