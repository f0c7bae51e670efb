import init from './0001_init.sql';
import type { Migration } from '../../src/do/migrations';

/** RelayObject schema, in order. Append new files; never edit an applied one. */
export const relayMigrations: Migration[] = [{ name: '0001_init', sql: init }];
