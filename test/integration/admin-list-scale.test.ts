/**
 * The admin list at 10,000 flags (issue 14): pages, searches and filters stay pages. Timing is
 * measured by the bench (bench/worker/sections/admin-list.ts), never asserted here.
 */
import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { seedCatalog, type SeedFlag } from '../helpers/catalog';

const N = 10_000;
const OWNERS = ['payments', 'search', 'growth', 'platform', 'web'];

describe('10,000 flags', () => {
  it('pages through all of them by cursor, and search and filters answer one page', async () => {
    const flags: SeedFlag[] = Array.from({ length: N }, (_, i) => ({
      id: `flag-${String(i).padStart(5, '0')}`,
      description: i % 1000 === 7 ? `Needle experiment ${i}` : `Experiment number ${i}`,
      owner: OWNERS[i % OWNERS.length]!,
      enabled: i % 3 === 0,
      rollout_percentage: i % 3 === 0 ? 100 : 0,
      archived: i % 10 === 9,
    }));
    for (let i = 0; i < N; i += 1_000) await seedCatalog(flags.slice(i, i + 1_000));
    const live = flags.filter((f) => !f.archived);

    const first = await api('GET', '/admin/flags');
    expect(first.body.flags).toHaveLength(50);
    expect(first.body.total).toBe(live.length);
    expect(new TextEncoder().encode(JSON.stringify(first.body)).length).toBeLessThan(40_000);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: any } = await api('GET', `/admin/flags?limit=500&sort=owner&order=desc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.body.flags.map((f: any) => f.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(live.length);
    expect(new Set(seen).size).toBe(live.length);

    const needle = await api('GET', '/admin/flags?q=needle&archived=any');
    expect(needle.body.flags.map((f: any) => f.id)).toEqual(Array.from({ length: 10 }, (_, k) => `flag-${String(k * 1000 + 7).padStart(5, '0')}`));

    const on = await api('GET', '/admin/flags?status=on&q=growth');
    const expected = live.filter((f) => f.enabled && f.owner === 'growth');
    expect(on.body.total).toBe(expected.length);
    expect(on.body.flags).toHaveLength(50);
    expect(on.body.flags.map((f: any) => f.id)).toEqual(expected.slice(0, 50).map((f) => f.id));
  });
});
