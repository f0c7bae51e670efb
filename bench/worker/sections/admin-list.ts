/**
 * 6. The admin list at 100, 1,000 and 10,000 flags (issue 14): time and size of one page of
 * `GET /admin/flags` over HTTP, for the default page, a search, filters, a sort and a page deep in
 * the list (by cursor); target ≤ 50 ms a page at 10,000. Flags go straight into the catalog (its
 * upsert, as the flag objects' publishes do); then a bulk action on 100 real flags.
 */
import { newFlag } from '../../../src/flags/changes';
import { createFlagSchema, toSnapshot } from '../../../src/flags/schema';
import { summarise } from '../../../src/flags/status';
import { api, catalogStub, check, createFlag, round, stats } from '../helpers';

const SIZES = [100, 1_000, 10_000];
const SAMPLES = 30;
const OWNERS = ['payments', 'search', 'growth', 'platform', 'web', 'data', 'mobile', 'ops'];
const DAY = 24 * 60 * 60 * 1000;

function entry(i: number, nowMs: number) {
  const id = `list-${String(i).padStart(5, '0')}`;
  const input = createFlagSchema.parse({
    id,
    description: i % 500 === 3 ? `Needle: checkout experiment ${i}` : `Experiment ${i} for the ${OWNERS[i % OWNERS.length]} team`,
    owner: OWNERS[i % OWNERS.length],
    enabled: i % 4 !== 0,
    rollout_percentage: [100, 25, 0, 100][i % 4],
    allowed_users: i % 4 === 2 ? ['u1', 'u2'] : [],
  });
  // Spread over the past 90 days, so the stale filter has something to find.
  const created = newFlag(input, new Date(nowMs - (i % 90) * DAY).toISOString());
  check(created.ok, `seed flag ${id}`);
  const config = { ...created.value, archived: i % 20 === 19 };
  return { summary: summarise(config), snapshot: toSnapshot(config) };
}

const QUERIES: Record<string, string> = {
  default_page: '',
  search: 'q=needle',
  search_owner: 'q=growth',
  filter_status: 'status=rolling-out',
  filter_stale: 'stale=true',
  sort_updated_desc: 'sort=updated_at&order=desc',
  max_page_500: 'limit=500',
};

async function timeQuery(query: string, cursor?: string) {
  const path = `/admin/flags?${query}${cursor ? `${query ? '&' : ''}cursor=${encodeURIComponent(cursor)}` : ''}`;
  const times: number[] = [];
  let body: any = null;
  let bytes = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const started = performance.now();
    const response = await api('GET', path);
    times.push(performance.now() - started);
    check(response.status === 200, `GET ${path}: ${response.status}`);
    body = response.body;
    bytes = new TextEncoder().encode(JSON.stringify(body)).length;
  }
  return { ms: stats(times), bytes, flags: body.flags.length, total: body.total as number, next_cursor: body.next_cursor as string | null };
}

export async function adminList() {
  const catalog = catalogStub();
  const nowMs = Date.now();
  const sizes: Record<string, unknown>[] = [];
  let stored = 0;
  for (const size of SIZES) {
    for (let i = stored; i < size; i += 1_000) {
      const batch = Array.from({ length: Math.min(1_000, size - i) }, (_, k) => entry(i + k, nowMs));
      await catalog.benchUpsertFlags(batch);
    }
    stored = size;
    const pages: Record<string, unknown> = {};
    for (const [name, query] of Object.entries(QUERIES)) pages[name] = await timeQuery(query);
    // A page deep in the list: follow the cursor to the middle, then time that page.
    let cursor: string | null = null;
    for (let p = 0; p < Math.floor(size / 2 / 500); p++) cursor = (await api('GET', `/admin/flags?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body.next_cursor;
    pages['deep_page_by_cursor'] = await timeQuery('', cursor ?? undefined);
    const worst = Math.max(...Object.entries(pages).filter(([name]) => name !== 'max_page_500').map(([, p]) => (p as { ms: { p50: number } }).ms.p50));
    sizes.push({ flags: size, flags_in_catalog: (pages['default_page'] as { total: number }).total, pages, worst_p50_ms_at_default_limit: round(worst, 1) });
  }

  // Bulk: change the owner of 100 real flags (each through its own flag object).
  const ids = Array.from({ length: 100 }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
  for (const id of ids) await createFlag({ id, owner: 'before' });
  const started = performance.now();
  const bulk = await api('POST', '/admin/flags/bulk', { action: 'set_owner', ids, owner: 'after', reason: 'bench' });
  const bulkMs = performance.now() - started;
  check(bulk.status === 200 && bulk.body.results.every((r: { ok: boolean }) => r.ok), `bulk: ${bulk.status}`);
  return { samples_per_query: SAMPLES, sizes, bulk_set_owner_100: { ms: round(bulkMs, 1), per_flag_ms: round(bulkMs / ids.length, 2) } };
}
