/**
 * Outgrown shard layouts (issue 14): when the catalog outgrows a layout, the manifest moves to the
 * next one and the old layout's keys are deleted, but only once readers have had time to move:
 * `retiredShardDelayMs` after the first manifest naming the new layout, by the catalog's alarm.
 */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CatalogObject } from '../../src/do/catalog-object';
import { retiredShardDelayMs, SHARD_KEYS, type ShardManifest } from '../../src/flags/shards';
import { FlagClient } from '../../src/sdk/client';
import { catalogStub, publishCatalog, seedCatalog, type SeedFlag } from '../helpers/catalog';
import { TestClock } from '../helpers/clock';
import type { CatalogObject as TestCatalog } from '../support/objects';

/** vitest.config.ts sets FLAG_CACHE_TTL_SECONDS to 0. */
const DELAY_MS = retiredShardDelayMs(0);

const flags = (from: number, to: number): SeedFlag[] =>
  Array.from({ length: to - from }, (_, k) => ({ id: `grow-${from + k}`, enabled: true, rollout_percentage: 100 }));

const manifest = async () => (await env.FLAGS_KV.get<ShardManifest>(SHARD_KEYS.manifest, 'json'))!;

/** The keys of a layout's written shards, as the manifest names them. */
const layoutKeys = (layout: ShardManifest['flags']) =>
  layout.versions.flatMap((version, n) => (version > 0 ? [SHARD_KEYS.shard('flags', layout.shards, n)] : []));

async function present(keys: readonly string[]): Promise<number> {
  let found = 0;
  for (const key of keys) if ((await env.FLAGS_KV.get(key)) !== null) found++;
  return found;
}

/** Sets the catalog's clock to `at` and runs its alarm; returns when its retired shards are due next. */
function alarmAt(clock: TestClock, at: number) {
  return runInDurableObject(catalogStub(), async (catalog: CatalogObject, state) => {
    clock.current = at;
    await catalog.alarm();
    return { next: catalog.shards.nextDeletion(), alarm: await state.storage.getAlarm() };
  });
}

describe('an outgrown layout', () => {
  it('keeps its keys while readers may still use them, then deletes them', { timeout: 60_000 }, async () => {
    const clock = new TestClock();
    await seedCatalog(flags(0, 100));
    await publishCatalog(clock);
    const small = (await manifest()).flags;
    expect(small.shards).toBe(16);
    const oldKeys = layoutKeys(small);
    expect(await present(oldKeys)).toBe(oldKeys.length);

    // 300 flags outgrow 16 shards (and 32): the manifest moves to 64 once they are all in KV.
    const manifestWrites: number[] = [];
    await runInDurableObject(catalogStub(), (catalog: CatalogObject) => {
      (catalog as unknown as TestCatalog).kv.watch((write) => {
        if (write.key === SHARD_KEYS.manifest) manifestWrites.push(clock.now());
      });
    });
    await seedCatalog(flags(100, 300));
    await publishCatalog(clock);
    const large = (await manifest()).flags;
    expect(large.shards).toBe(64);
    const newKeys = layoutKeys(large);

    // Until the delay has passed since the first manifest naming 64 shards, the old keys stay.
    const due = await runInDurableObject(catalogStub(), async (_catalog, state) => ({
      at: state.storage.sql.exec<{ at: number }>("SELECT MIN(delete_after) AS at FROM shards WHERE kind = 'flags' AND layout = 16 AND retired = 1").one().at,
      alarm: await state.storage.getAlarm(),
    }));
    expect(manifestWrites).toContain(due.at - DELAY_MS);
    expect(due.alarm).not.toBeNull();
    let next = await alarmAt(clock, due.at - 1);
    expect(await present(oldKeys)).toBe(oldKeys.length);
    expect(next.next).not.toBeNull();
    expect(next.alarm).not.toBeNull();

    // Then they go, and only they: the new layout and the manifest stay, and a reader is served.
    next = await alarmAt(clock, due.at);
    for (let round = 0; round < 10 && next.next !== null; round++) next = await alarmAt(clock, Math.max(clock.current, next.next));
    expect(await present(oldKeys)).toBe(0);
    expect(await env.FLAGS_KV.get(SHARD_KEYS.shard('flags', 1, 0))).toBeNull();
    expect(await present(newKeys)).toBe(newKeys.length);
    expect((await manifest()).flags.shards).toBe(64);
    const left = await runInDurableObject(catalogStub(), (_catalog, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM shards WHERE kind = 'flags' AND layout <> 64").one().n,
    );
    expect(left).toBe(0);
    const client = new FlagClient({ kv: env.FLAGS_KV, environment: 'production', flags: ['grow-7', 'grow-250'] });
    const request = await client.forRequest(undefined, { userId: 'ada' });
    expect(request.evaluate('grow-7')).toMatchObject({ value: true, version: 1 });
    expect(request.evaluate('grow-250')).toMatchObject({ value: true, version: 1 });
  });
});
