/** Fills the catalog directly (its upsert method, as a flag object's publish does) for list tests. */
import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import type { CatalogObject } from '../../src/do/catalog-object';
import { catalogStub as catalogStubOf } from '../../src/do/stubs';
import { newFlag } from '../../src/flags/changes';
import { createFlagSchema, toSnapshot, type CreateFlagInput } from '../../src/flags/schema';
import { summarise } from '../../src/flags/status';
import type { CatalogObject as TestCatalog } from '../support/objects';
import type { TestClock } from './clock';

/** The catalog's stub (from the one stub module), typed with its class for `runInDurableObject`. */
export const catalogStub = () => catalogStubOf(env) as unknown as DurableObjectStub<CatalogObject>;

export interface SeedFlag extends Partial<CreateFlagInput> {
  id: string;
  /** ISO time of creation (and of the latest change, unless `updated_at` says otherwise). */
  at?: string;
  updated_at?: string;
  archived?: boolean;
  killed?: boolean;
}

/** Catalog entries as a flag object would publish them, version 1 (or 2 when archived). */
export function catalogEntries(flags: readonly SeedFlag[]) {
  return flags.map(({ at, updated_at, archived, killed, ...input }) => {
    const created = newFlag(createFlagSchema.parse(input), at ?? new Date().toISOString());
    if (!created.ok) throw new Error(`bad seed flag ${input.id}: ${created.message}`);
    const config = {
      ...created.value,
      archived: archived ?? false,
      updated_at: updated_at ?? created.value.updated_at,
      ...(killed ? { killed_by_switch: true as const } : {}),
    };
    return { summary: summarise(config), snapshot: toSnapshot(config) };
  });
}

/** Upserts the flags inside the catalog object, in one call. */
export async function seedCatalog(flags: readonly SeedFlag[]): Promise<void> {
  const entries = catalogEntries(flags);
  await runInDurableObject(catalogStub(), (catalog: CatalogObject) => {
    for (const entry of entries) catalog.upsertFlag(entry);
  });
}

/**
 * Runs the catalog's publishes to the end on `clock` (advanced past each KV write slot), as its
 * alarm would; returns the KV keys it wrote.
 */
export async function publishCatalog(clock: TestClock): Promise<string[]> {
  return runInDurableObject(catalogStub(), async (catalog: CatalogObject, state) => {
    const recorded = (catalog as unknown as TestCatalog).kv;
    recorded.writes.length = 0;
    (catalog as unknown as TestCatalog).testClock.use(clock);
    for (let round = 0; round < 1_000; round++) {
      const left = state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM outbox').one().n;
      if (left === 0) return recorded.writes.map((w) => w.key);
      clock.advance(1_100);
      await catalog.alarm();
    }
    throw new Error('the catalog never finished publishing');
  });
}
