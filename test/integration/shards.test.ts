/**
 * The sharded read path at 10,000 flags (issue 14): a client evaluating 10 flags reads only the
 * manifest and their shards; a change to one flag rewrites its one shard (and the manifest).
 * The flags go straight into the catalog, as the flag objects' publishes would put them.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { LEGACY_BUNDLE_MAX_FLAGS, SHARD_KEYS, shardOf, type ShardManifest } from '../../src/flags/shards';
import { FlagClient } from '../../src/sdk/client';
import { catalogEntries, catalogStub, publishCatalog, seedCatalog, type SeedFlag } from '../helpers/catalog';
import { TestClock } from '../helpers/clock';
import { CountingKv } from '../support/kv-reader';

const N = 10_000;
const id = (i: number) => `flag-${String(i).padStart(5, '0')}`;

function seedFlag(i: number): SeedFlag {
  return {
    id: id(i),
    description: `Experiment number ${i}, owned by a team that keeps its flags tidy`,
    owner: 'growth',
    enabled: true,
    rollout_percentage: i % 2 ? 100 : 0,
    environments: ['production', 'staging'],
    rules: i % 2 ? [] : [{ description: 'staff', conditions: [{ attribute: 'email', op: 'ends_with', values: ['@example.com'] }], serve: { variant: 'on' } }],
  };
}

describe('10,000 flags in shards', () => {
  it('a reader of 10 flags reads only their shards; a change rewrites one shard', { timeout: 120_000 }, async () => {
    const clock = new TestClock();
    const created = await catalogStub().createSegment(
      { id: 'beta', description: 'beta testers', conditions: [{ attribute: 'targetingKey', op: 'in', values: ['ada'] }] },
      'test',
    );
    expect(created.ok).toBe(true);
    const flags = Array.from({ length: N }, (_, i) => seedFlag(i));
    flags[42] = { ...flags[42]!, rollout_percentage: 0, rules: [{ conditions: [{ attribute: 'targetingKey', op: 'in_segment', values: ['beta'] }], serve: { variant: 'on' } }] };
    for (let i = 0; i < N; i += 1_000) await seedCatalog(flags.slice(i, i + 1_000));
    const written = await publishCatalog(clock);
    expect(written).toContain(SHARD_KEYS.manifest);

    const manifest = (await env.FLAGS_KV.get<ShardManifest>(SHARD_KEYS.manifest, 'json'))!;
    expect(manifest.flags.shards).toBe(2048);
    expect(manifest.inline).toBeUndefined();
    // Past the legacy bundle's limit the catalog no longer rebuilds it at every change.
    expect(N).toBeGreaterThan(LEGACY_BUNDLE_MAX_FLAGS);

    const kv = new CountingKv(env.FLAGS_KV);
    const ten = [3, 42, 777, 1234, 2500, 4096, 5001, 6666, 8080, 9999].map(id);
    let now = 1_000_000;
    const client = new FlagClient({ kv, environment: 'production', flags: ten, cacheTtlSeconds: 30, now: () => now });
    const request = await client.forRequest(undefined, { userId: 'ada', email: 'ada@example.com' });
    for (const flag of ten) expect(request.evaluate(flag).version).toBe(1);
    expect(request.evaluate(id(42))).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });

    const first = kv.reset();
    const shardKeys = new Set(ten.map((f) => SHARD_KEYS.shard('flags', 2048, shardOf(f, 2048))));
    const segmentKey = SHARD_KEYS.shard('segments', manifest.segments.shards, shardOf('beta', manifest.segments.shards));
    expect(new Set(first.keys)).toEqual(new Set([SHARD_KEYS.manifest, ...shardKeys, segmentKey]));
    expect(first.bytes).toBeLessThan(64 * 1024);

    // Nothing changed: a refresh reads the manifest alone.
    now += 31_000;
    await client.forRequest(undefined, { userId: 'ada' });
    expect(kv.reset().keys).toEqual([SHARD_KEYS.manifest]);

    // One flag changes: one shard and the manifest are written, and the reader re-reads that shard only.
    const [entry] = catalogEntries([{ ...seedFlag(777), rollout_percentage: 50 }]);
    await catalogStub().upsertFlag({ summary: { ...entry!.summary, version: 2 }, snapshot: { ...entry!.snapshot, version: 2 } });
    const rewritten = await publishCatalog(clock);
    expect(rewritten.sort()).toEqual([SHARD_KEYS.shard('flags', 2048, shardOf(id(777), 2048)), SHARD_KEYS.manifest].sort());

    now += 31_000;
    const after = await client.forRequest(undefined, { userId: 'ada' });
    expect(after.evaluate(id(777)).version).toBe(2);
    expect(after.evaluate(id(3)).version).toBe(1);
    expect(kv.reset().keys).toEqual([SHARD_KEYS.manifest, SHARD_KEYS.shard('flags', 2048, shardOf(id(777), 2048))]);

    // A flag this isolate never asked for is loaded when asked (the async path waits for its shard).
    expect(await client.evaluate(id(31))).toMatchObject({ version: 1, value: true });
    expect(kv.reset().keys).toEqual([SHARD_KEYS.manifest, SHARD_KEYS.shard('flags', 2048, shardOf(id(31), 2048))]);
    expect(await client.evaluate('no-such-flag')).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
  });
});
