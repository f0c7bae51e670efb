import { env } from 'cloudflare:workers';
import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, bundleVersion, createFlag, kvVersion } from '../helpers/api';
import { flagObject } from '../helpers/stubs';

describe('concurrent mutations to one flag', () => {
  it('50 parallel PATCHes: versions 1..51 without gap or duplicate, 50 history entries, KV ends on the same version', async () => {
    await createFlag({ id: 'busy', enabled: true, rollout_percentage: 0 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => api('PATCH', '/admin/flags/busy', { rollout_percentage: i + 1, reason: `step ${i}` })),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const versions = responses.map((r) => r.body.flag.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));

    const history = await api('GET', '/admin/flags/busy/history?limit=500');
    const updates = history.body.entries.filter((e: any) => e.action !== 'create');
    expect(updates).toHaveLength(50);
    expect(history.body.entries.map((e: any) => e.version)).toEqual(Array.from({ length: 51 }, (_, i) => 51 - i));
    // Each entry's before is the previous entry's after: nothing was lost in between.
    const ascending = [...history.body.entries].reverse();
    for (let i = 1; i < ascending.length; i++) {
      expect(ascending[i].before.version).toBe(ascending[i - 1].after.version);
    }

    const current = (await api('GET', '/admin/flags/busy')).body.flag;
    expect(current.version).toBe(51);
    const snapshot = await kvVersion('busy', 51);
    expect(snapshot.rollout_percentage).toBe(current.rollout_percentage);
    await bundleVersion('busy', 51);

    // The burst cost a handful of KV writes (one per second at most), not 51.
    const stub = flagObject('busy');
    const pending = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one());
    expect(pending['n']).toBe(0);
  });

  it('KV never goes backwards while changes keep arriving', async () => {
    await createFlag({ id: 'monotonic', enabled: true });
    const seen: number[] = [];
    let writing = true;
    const watcher = (async () => {
      while (writing) {
        const snapshot = await env.FLAGS_KV.get<{ version: number }>('flag:monotonic', 'json');
        if (snapshot) seen.push(snapshot.version);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    for (let round = 0; round < 6; round++) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => api('PATCH', '/admin/flags/monotonic', { rollout_percentage: round * 5 + i + 1 })));
      await new Promise((r) => setTimeout(r, 300));
    }
    await kvVersion('monotonic', 31);
    writing = false;
    await watcher;
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    // Distinct versions seen ≈ one write per second: far fewer than the 30 changes.
    expect(new Set(seen).size).toBeLessThan(10);
  });
});
