import { describe, expect, it } from 'vitest';
import { api, createFlag, TOKENS } from '../helpers/api';
import { TestClock, useClock } from '../helpers/clock';
import { catalog, flagObject as flagStub } from '../helpers/stubs';

const DAY = 24 * 60 * 60 * 1000;

describe('stale flags', () => {
  it('lists only flags past the threshold: fully on/off and unchanged, or not evaluated', async () => {
    const start = Date.now();
    // Created 40 days ago (the flag objects' clocks say so), then left alone.
    for (const [id, body] of [
      ['stale-on', { enabled: true, rollout_percentage: 100 }],
      ['stale-off', { enabled: false }],
      ['old-but-rolling', { enabled: true, rollout_percentage: 30 }],
      ['old-but-used', { enabled: true, rollout_percentage: 100 }],
    ] as const) {
      await useClock(flagStub(id), new TestClock(start - 40 * DAY));
      await createFlag({ id, ...body });
    }
    await createFlag({ id: 'fresh', enabled: true, rollout_percentage: 100 });
    // old-but-used was evaluated yesterday (its object's clock back to today); it tells the catalog.
    await useClock(flagStub('old-but-used'), new TestClock(start));
    await api('POST', '/v1/flags/old-but-used/usage', { variants: { on: 5 }, last_at: start - DAY }, { token: TOKENS.reporter });
    await new Promise((r) => setTimeout(r, 100));

    const stale = await catalog().stale(30, start);
    const byId = Object.fromEntries(stale.map((f) => [f.id, f.stale_reasons]));
    expect(byId['stale-on']).toEqual(['unchanged_fully_on', 'not_evaluated']);
    expect(byId['stale-off']).toEqual(['unchanged_fully_off', 'not_evaluated']);
    expect(byId['old-but-rolling']).toEqual(['not_evaluated']);
    expect(byId['old-but-used']).toEqual(['unchanged_fully_on']);
    expect(byId['fresh']).toBeUndefined();

    // With a 60-day threshold nothing is stale yet.
    expect(await catalog().stale(60, start)).toEqual([]);

    const route = await api('GET', '/admin/flags/stale?days=30');
    expect(route.status).toBe(200);
    expect(route.body.threshold_days).toBe(30);
    expect(route.body.flags.map((f: any) => f.id).sort()).toEqual(['old-but-rolling', 'old-but-used', 'stale-off', 'stale-on']);
    expect((await api('GET', '/admin/flags/stale?days=0')).status).toBe(400);
  });
});
