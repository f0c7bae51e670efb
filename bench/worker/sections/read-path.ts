/**
 * 7. The sharded read path at 100, 1,000 and 10,000 flags (issue 14): what a refresh costs a
 * reader of 10 flags (KV reads, bytes, CPU of parsing and merging), creates per second through
 * HTTP (8 in flight), KV bytes written for one change, and the OFREP bulk evaluation. Flags go
 * straight into the catalog (its upsert, as the flag objects' publishes do); the section archives
 * them at the end so the admin list section that follows sees its own flags only.
 */
import { newFlag } from '../../../src/flags/changes';
import { SHARD_KEYS, type ShardManifest } from '../../../src/flags/shards';
import { createFlagSchema, toSnapshot } from '../../../src/flags/schema';
import { summarise } from '../../../src/flags/status';
import type { CatalogEntry } from '../../../src/do/catalog-object';
import { ShardSource } from '../../../src/sdk/shard-source';
import { CountingKv } from '../../../test/support/kv-reader';
import { api, benchEnv, catalogStub, check, createFlag, median, round, sleep, stamp, stats, waitFor } from '../helpers';

const SIZES = [100, 1_000, 10_000];
const CREATES = 80;
const IN_FLIGHT = 8;
const CPU_ROUNDS = 5;
const CPU_LOADS = 20;
const OFREP_SAMPLES = 10;
const INSIDE_SAMPLES = 20;

const id = (i: number) => `rp-${String(i).padStart(5, '0')}`;

/** Like the measurement: a description, an owner, environments, a rule on half of them. */
function entry(i: number, version = 1, archived = false): CatalogEntry {
  const input = createFlagSchema.parse({
    id: id(i),
    description: `Experiment ${i}: a flag with a description of ordinary length, as teams write them`,
    owner: ['payments', 'search', 'growth', 'platform'][i % 4],
    enabled: true,
    rollout_percentage: i % 2 ? 100 : 25,
    environments: ['production', 'staging'],
    rules: i % 2 ? [] : [{ description: 'staff', conditions: [{ attribute: 'email', op: 'ends_with', values: ['@example.com'] }], serve: { variant: 'on' } }],
  });
  const created = newFlag(input, new Date().toISOString());
  check(created.ok, `seed ${id(i)}`);
  const config = { ...created.value, version, archived };
  return { summary: summarise(config), snapshot: toSnapshot(config) };
}

/** A KV reader over values held in memory: a refresh's CPU without the I/O. */
class MemoryKv {
  constructor(private readonly texts: Map<string, string | null>) {}
  async get(key: string, _type: 'json'): Promise<unknown> {
    const text = this.texts.get(key);
    return text ? JSON.parse(text) : null;
  }
}

async function published(): Promise<void> {
  await waitFor(async () => ((await catalogStub().benchOutboxRows()) === 0 ? true : undefined), 120_000, 'the catalog to publish');
}

async function readerOfTen(ten: readonly string[]) {
  const kv = new CountingKv(benchEnv.FLAGS_KV);
  const source = new ShardSource(kv);
  source.want(ten);
  await source.load();
  const cold = kv.reset();
  await source.load();
  const warm = kv.reset();
  const texts = new Map<string, string | null>();
  for (const key of cold.keys) texts.set(key, await benchEnv.FLAGS_KV.get(key, 'text'));
  // The clock moves only across I/O: time CPU_LOADS first refreshes between two stamps, per round.
  const times: number[] = [];
  for (let s = 0; s < CPU_ROUNDS; s++) {
    const start = await stamp();
    for (let k = 0; k < CPU_LOADS; k++) {
      const memory = new ShardSource(new MemoryKv(texts));
      memory.want(ten);
      await memory.load();
    }
    times.push(((await stamp()) - start) / CPU_LOADS);
  }
  return { cold: { reads: cold.operations, bytes: cold.bytes }, unchanged: { reads: warm.operations, bytes: warm.bytes }, cpu_ms: { p50: round(median(times), 3), max: round(Math.max(...times), 3) } };
}

async function createsPerSecond(size: number) {
  const ids = Array.from({ length: CREATES }, (_, i) => `rp-new-${size}-${i}`);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ids.length) await createFlag({ id: ids[next++]!, description: 'created by the read-path bench', enabled: true });
    }),
  );
  return round((ids.length / (performance.now() - start)) * 1000, 1);
}

/**
 * Where a create's time goes, inside the objects rather than over HTTP: one catalog upsert of a new
 * flag awaited from here (its transaction and its push to the relays, which it waits for), and
 * one KV put of a flag-sized value (what the flag object's own publish waits for), one at a time.
 */
async function insideObjects(size: number) {
  const upserts: number[] = [];
  const puts: number[] = [];
  // Ids past the largest size's, so no seeding meets them.
  const ids = Array.from({ length: INSIDE_SAMPLES }, (_, k) => SIZES[SIZES.length - 1]! + size + k);
  for (const [k, i] of ids.entries()) {
    const started = performance.now();
    await catalogStub().upsertFlag(entry(i));
    upserts.push(performance.now() - started);
    const put = performance.now();
    await benchEnv.FLAGS_KV.put(`bench:put:${k}`, JSON.stringify(entry(k).snapshot));
    puts.push(performance.now() - put);
  }
  await catalogStub().benchUpsertFlags(ids.map((i) => entry(i, 2, true)));
  return { catalog_upsert_ms: round(median(upserts), 1), kv_put_ms: round(median(puts), 1) };
}

async function bytesPerChange(i: number) {
  const catalog = catalogStub();
  const before = (await catalog.benchKvWrites()).length;
  await catalog.benchUpsertFlags([entry(i, 2)]);
  await published();
  const writes = (await catalog.benchKvWrites()).slice(before);
  let bytes = 0;
  for (const write of writes) bytes += new TextEncoder().encode((await benchEnv.FLAGS_KV.get(write.key, 'text')) ?? '').length;
  return { keys: writes.map((w) => w.key.replace(/:\d+$/, ':<n>')), bytes };
}

async function ofrepBulk() {
  const times: number[] = [];
  let flags = 0;
  for (let s = 0; s < OFREP_SAMPLES; s++) {
    const started = performance.now();
    const response = await api('POST', '/ofrep/v1/evaluate/flags', { context: { targetingKey: `user-${s}` } });
    times.push(performance.now() - started);
    check(response.status === 200, `OFREP bulk: ${response.status}`);
    flags = response.body.flags.length;
  }
  return { ms: stats(times), flags };
}

export async function readPath() {
  const catalog = catalogStub();
  const sizes: Record<string, unknown>[] = [];
  let stored = 0;
  for (const size of SIZES) {
    for (let i = stored; i < size; i += 1_000) {
      await catalog.benchUpsertFlags(Array.from({ length: Math.min(1_000, size - i) }, (_, k) => entry(i + k)));
    }
    stored = size;
    await published();
    const manifest = (await benchEnv.FLAGS_KV.get<ShardManifest>(SHARD_KEYS.manifest, 'json'))!;
    // Creates first: the previous size's OFREP exposures (one usage flush per flag) are long done.
    const creates = await createsPerSecond(size);
    await published();
    const inside = await insideObjects(size);
    await published();
    const ten = Array.from({ length: 10 }, (_, k) => id(Math.floor((k * size) / 10)));
    const reader = await readerOfTen(ten);
    const change = await bytesPerChange(Math.floor(size / 3));
    await sleep(5_100); // OFREP's cache period (FLAG_CACHE_TTL_SECONDS)
    const ofrep = await ofrepBulk();
    sizes.push({
      flags: size,
      shards: manifest.flags.shards,
      manifest_inlines_catalog: manifest.inline !== undefined,
      manifest_bytes: new TextEncoder().encode(JSON.stringify(manifest)).length,
      reader_of_10: reader,
      creates_per_second: creates,
      create_inside_objects: inside,
      kv_written_per_change: change,
      ofrep_bulk: ofrep,
    });
  }
  // Out of the way of the next section: every flag of this one archived.
  for (let i = 0; i < stored; i += 1_000) {
    await catalog.benchUpsertFlags(Array.from({ length: Math.min(1_000, stored - i) }, (_, k) => entry(i + k, 3, true)));
  }
  await published();
  return { creates_in_flight: IN_FLIGHT, cpu_rounds: CPU_ROUNDS, cpu_loads_per_round: CPU_LOADS, sizes };
}
