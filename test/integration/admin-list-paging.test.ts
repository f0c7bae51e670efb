/**
 * Paging the admin list at 10,000 flags while flags are created over HTTP (issue 14): every flag
 * that existed when paging began is listed exactly once, a new flag at most once (ahead of the
 * cursor it is listed, behind it not). Beside admin-list-scale.test.ts, in a catalog of its own.
 */
import { describe, expect, it } from 'vitest';
import { api } from '../helpers/api';
import { seedCatalog, type SeedFlag } from '../helpers/catalog';

const N = 10_000;
const OWNERS = ['payments', 'search', 'growth', 'platform', 'web'];

describe('10,000 flags, paged while flags are created', () => {
  it('pages return every flag exactly once while flags are being created', { timeout: 120_000 }, async () => {
    const flags: SeedFlag[] = Array.from({ length: N }, (_, i) => ({ id: `flag-${String(i).padStart(5, '0')}`, owner: OWNERS[i % OWNERS.length]! }));
    for (let i = 0; i < N; i += 1_000) await seedCatalog(flags.slice(i, i + 1_000));

    // Creates over HTTP, spread over the id space (before and after any cursor), while the pages
    // are read: each page is read after one more create has landed.
    const created: string[] = [];
    let paging = true;
    const creating = (async () => {
      for (let k = 0; paging; k++) {
        const id = `flag-${String((k * 3_571) % N).padStart(5, '0')}-new-${k}`;
        expect((await api('POST', '/admin/flags', { id, owner: OWNERS[k % OWNERS.length] })).status).toBe(201);
        created.push(id);
      }
    })();
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      while (created.length <= pages) await Promise.race([creating, scheduler.wait(5)]);
      const page: { body: any } = await api('GET', `/admin/flags?limit=250&sort=id${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.body.flags.map((f: any) => f.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    paging = false;
    await creating;

    expect(pages).toBeGreaterThan(N / 250);
    const seenSet = new Set(seen);
    expect(seenSet.size).toBe(seen.length);
    expect(flags.filter((flag) => !seenSet.has(flag.id))).toEqual([]);
    const createdSeen = created.filter((id) => seenSet.has(id));
    // Some creates land ahead of the cursor and are listed (once); those behind it are not.
    expect(created.length).toBeGreaterThan(createdSeen.length);
    expect(createdSeen.length).toBeGreaterThan(0);
    expect(seen.length).toBe(N + createdSeen.length);
  });
});
