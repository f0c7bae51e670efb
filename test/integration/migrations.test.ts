/** Data migrations run against data laid out as the version before them left it. */
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import catalogOutbox from '../../migrations/catalog/0004_outbox.sql';
import statusFacts from '../../migrations/flag/0002_status_facts_in_config.sql';
import { api, createFlag } from '../helpers/api';
import { flagObject } from '../helpers/stubs';

describe('flag migration 0002: status facts move into the config', () => {
  it('a killed flag keeps its status and its last incident', async () => {
    await createFlag({ id: 'migrated-kill', enabled: true, rollout_percentage: 50 });
    await api('POST', '/admin/flags/migrated-kill/kill', { reason: 'before the upgrade' });
    const incident = { rule: 'max_failures', failures: 10, version: 2, at: '2026-01-01T00:00:00.000Z' };
    const config = await runInDurableObject(flagObject('migrated-kill'), (_instance, state) => {
      const sql = state.storage.sql;
      // The layout before 0002: the facts in `state`, none in the config.
      sql.exec("UPDATE flag SET config = json_remove(config, '$.killed_by_switch', '$.last_incident')");
      sql.exec("INSERT INTO state (key, value) VALUES ('killed_by_switch', 'true'), ('last_incident', ?)", JSON.stringify(incident));
      sql.exec(statusFacts);
      const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM state WHERE key IN ('killed_by_switch', 'last_incident')").one().n;
      return { left, config: JSON.parse(sql.exec<{ config: string }>('SELECT config FROM flag').one().config) as Record<string, unknown> };
    });
    expect(config.left).toBe(0);
    expect(config.config).toMatchObject({ enabled: false, killed_by_switch: true, last_incident: incident });
    expect((await api('GET', '/admin/flags/migrated-kill')).body.flag.status).toBe('killed');
  });

  it('an enabled flag gains no kill fact', async () => {
    await createFlag({ id: 'migrated-on', enabled: true, rollout_percentage: 100 });
    const config = await runInDurableObject(flagObject('migrated-on'), (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT INTO state (key, value) VALUES ('killed_by_switch', 'true')");
      sql.exec(statusFacts);
      return JSON.parse(sql.exec<{ config: string }>('SELECT config FROM flag').one().config) as Record<string, unknown>;
    });
    expect(config).not.toHaveProperty('killed_by_switch');
    expect(config).not.toHaveProperty('last_incident');
  });
});

describe('catalog migration 0004: the bundle publish moves to an outbox', () => {
  it('a change the old counters had not published yet becomes a row; a published one does not', async () => {
    // On a scratch database, not the shared catalog: an object of a flag never created has the
    // same `state` table and an empty outbox, and nothing else uses it.
    const rows = await runInDurableObject(flagObject('scratch-for-catalog-0004'), (_instance, state) => {
      const sql = state.storage.sql;
      const pendingAfter = (changes: number, published: number) => {
        // The layout before 0004: two counters in `state`, no outbox.
        sql.exec('DROP TABLE outbox');
        sql.exec("INSERT INTO state (key, value) VALUES ('bundle_changes', ?), ('bundle_published', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", String(changes), String(published));
        sql.exec(catalogOutbox);
        return sql.exec<{ kind: string; version: number }>('SELECT kind, version FROM outbox').toArray();
      };
      const [unpublished, published] = [pendingAfter(7, 5), pendingAfter(7, 7)];
      const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM state WHERE key = 'bundle_published'").one().n;
      return { unpublished, published, left };
    });
    expect(rows.unpublished).toEqual([{ kind: 'kv', version: 7 }]);
    expect(rows.published).toEqual([]);
    expect(rows.left).toBe(0);
  });
});
