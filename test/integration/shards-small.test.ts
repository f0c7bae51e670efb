/**
 * A small deployment on the sharded read path: the manifest inlines every flag, so a refresh is
 * one KV read; the legacy `flags:bundle` is still published, and today's bundle reader
 * (KvSnapshotSource) answers exactly as the shard reader does.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SHARD_KEYS, type ShardManifest } from '../../src/flags/shards';
import { KvSnapshotSource } from '../../src/sdk/bundle-cache';
import { FlagClient } from '../../src/sdk/client';
import { api } from '../helpers/api';
import { catalogStub, publishCatalog, seedCatalog, type SeedFlag } from '../helpers/catalog';
import type { CatalogObject } from '../../src/do/catalog-object';
import { TestClock } from '../helpers/clock';
import { CountingKv } from '../support/kv-reader';

const flags: SeedFlag[] = Array.from({ length: 30 }, (_, i) => ({
  id: `small-${i}`,
  enabled: i % 5 !== 0,
  rollout_percentage: (i * 7) % 101,
  allowed_users: i % 3 ? [] : ['grace'],
}));

describe('a few dozen flags', () => {
  it('cost one KV read per refresh, and the legacy bundle reader agrees with the shard reader', async () => {
    await seedCatalog(flags);
    await publishCatalog(new TestClock());
    const manifest = (await env.FLAGS_KV.get<ShardManifest>(SHARD_KEYS.manifest, 'json'))!;
    expect(Object.keys(manifest.inline!.flags)).toHaveLength(30);

    const kv = new CountingKv(env.FLAGS_KV);
    const sharded = new FlagClient({ kv, environment: 'production' });
    const legacy = new FlagClient({ source: new KvSnapshotSource(env.FLAGS_KV), environment: 'production' });
    for (const userId of ['ada', 'grace', 'linus', 'barbara']) {
      const a = await sharded.forRequest(undefined, { userId });
      const b = await legacy.forRequest(undefined, { userId });
      for (const flag of flags) expect(a.evaluate(flag.id)).toEqual(b.evaluate(flag.id));
    }
    expect(kv.reset()).toMatchObject({ operations: 1, keys: [SHARD_KEYS.manifest] });
  });

  it('refuses a flag whose snapshot would not fit a shard with a 413 naming the limit', async () => {
    const huge = Array.from({ length: 300 }, (_, i) => `user-${i}-${'x'.repeat(240)}`);
    const response = await api('POST', '/admin/flags', { id: 'too-big', allowed_users: huge });
    expect(response.status).toBe(413);
    expect(response.body.error).toMatchObject({ code: 'payload_too_large', details: { limit: 65_536 } });
    expect((await api('GET', '/admin/flags/too-big')).status).toBe(404);
  });

  it('rows stored before the shards (migration 0006) get their hash and a publish when the catalog starts', async () => {
    await seedCatalog([{ id: 'old-a' }, { id: 'old-b', enabled: true, rollout_percentage: 100 }]);
    await publishCatalog(new TestClock());
    const started = await runInDurableObject(catalogStub(), (catalog: CatalogObject, state) => {
      const sql = state.storage.sql;
      // The layout 0006 leaves for rows stored before it: no hash, no shard rows.
      sql.exec('UPDATE flags SET hash = NULL');
      sql.exec('DELETE FROM shards');
      const seq = catalog.shards.start();
      const unhashed = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM flags WHERE hash IS NULL').one().n;
      const dirty = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM shards WHERE dirty_seq IS NOT NULL').one().n;
      return { seq, unhashed, dirty, shard: JSON.parse(catalog.shards.shardValue('flags', 1, 0, 1)) };
    });
    expect(started.seq).not.toBeNull();
    expect(started.unhashed).toBe(0);
    expect(started.dirty).toBeGreaterThan(0);
    expect(Object.keys(started.shard.flags)).toEqual(expect.arrayContaining(['old-a', 'old-b']));
  });
});
