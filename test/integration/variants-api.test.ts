import { describe, expect, it } from 'vitest';
import { api, createFlag, TOKENS } from '../helpers/api';

const colourFlag = {
  id: 'button-colour',
  enabled: true,
  type: 'string',
  variants: { control: 'grey', blue: 'blue', green: 'green' },
  on_variant: 'blue',
  off_variant: 'control',
  split: [
    { variant: 'control', weight: 3334 },
    { variant: 'blue', weight: 3333 },
    { variant: 'green', weight: 3333 },
  ],
  rules: [
    {
      description: 'mobile beta users',
      conditions: [
        { attribute: 'platform', op: 'in', values: ['ios', 'android'] },
        { attribute: 'app_version', op: 'semver_gt', values: ['2.0.0'] },
      ],
      serve: { variant: 'green' },
    },
  ],
};

describe('typed flags, splits and rules through the admin API', () => {
  it('creates a string A/B/n flag; If-Match, history and revert cover variants and rules', async () => {
    const created = await createFlag(colourFlag);
    expect(created).toMatchObject({ type: 'string', on_variant: 'blue', rules: [{ serve: { variant: 'green' } }] });
    const edited = await api(
      'PATCH',
      '/admin/flags/button-colour',
      { variants: { control: 'grey', blue: 'navy', green: 'green' }, rules: [] },
      { headers: { 'If-Match': '"1"' } },
    );
    expect(edited.status).toBe(200);
    expect(edited.body.flag).toMatchObject({ version: 2, variants: { blue: 'navy' }, rules: [] });
    const stale = await api('PATCH', '/admin/flags/button-colour', { on_variant: 'green' }, { headers: { 'If-Match': '"1"' } });
    expect(stale.status).toBe(412);
    const history = await api('GET', '/admin/flags/button-colour/history');
    expect(history.body.entries[0].details.changed.sort()).toEqual(['rules', 'variants']);
    const reverted = await api('POST', '/admin/flags/button-colour/revert', { version: 1 });
    expect(reverted.body.flag).toMatchObject({ version: 3, variants: { blue: 'blue' }, rules: colourFlag.rules });
  });

  it('clears an optional field with null', async () => {
    await createFlag({ ...colourFlag, id: 'clear-split' });
    const cleared = await api('PATCH', '/admin/flags/clear-split', { split: null });
    expect(cleared.body.flag.split).toBeUndefined();
  });

  it('refuses inconsistent variants with the exact path', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'string', variants: { a: 'x' }, on_variant: 'a' }, 'off_variant'],
      [{ type: 'number', variants: { a: 1, b: 'two' }, on_variant: 'a', off_variant: 'a' }, 'variants.b'],
      [{ type: 'string', variants: { a: 'x', b: 'y' }, on_variant: 'a', off_variant: 'zz' }, 'off_variant'],
      [{ split: [{ variant: 'on', weight: 5000 }, { variant: 'off', weight: 4000 }] }, 'split'],
      [{ split: [{ variant: 'on', weight: 5000 }, { variant: 'maybe', weight: 5000 }] }, 'split.1.variant'],
      [{ rules: [{ conditions: [{ attribute: 'age', op: 'gte', values: ['adult'] }], serve: { variant: 'on' } }] }, 'rules.0.conditions.0.values.0'],
      [{ rules: [{ conditions: [{ attribute: 'v', op: 'semver_lt', values: ['not-a-version'] }], serve: { variant: 'on' } }] }, 'rules.0.conditions.0.values.0'],
      [{ rules: [{ conditions: [{ attribute: 'now', op: 'after', values: ['tomorrow'] }], serve: { variant: 'on' } }] }, 'rules.0.conditions.0.values.0'],
      [{ rules: [{ conditions: [{ attribute: 'x', op: 'regex', values: ['.*'] }], serve: { variant: 'on' } }] }, 'rules.0.conditions.0.op'],
      [{ rules: [{ conditions: [{ attribute: 'x', op: 'in', values: ['a'] }], serve: { variant: 'nope' } }] }, 'rules.0.serve.variant'],
    ];
    for (const [fields, path] of cases) {
      const response = await api('POST', '/admin/flags', { id: 'bad-variants', ...fields });
      expect(response.status, JSON.stringify(fields)).toBe(400);
      expect(response.body.error.details.map((d: any) => d.path), JSON.stringify(fields)).toContain(path);
    }
    expect((await api('GET', '/admin/flags/bad-variants')).status).toBe(404);
  });

  it('bounds: too many rules, conditions, variants or bytes → 400 naming the path', async () => {
    const rule = { conditions: [{ attribute: 'x', op: 'in', values: ['a'] }], serve: { variant: 'on' } };
    const cases: [Record<string, unknown>, string][] = [
      [{ rules: Array.from({ length: 101 }, () => rule) }, 'rules'],
      [{ rules: [{ ...rule, conditions: Array.from({ length: 21 }, () => rule.conditions[0]) }] }, 'rules.0.conditions'],
      [{ rules: [{ ...rule, conditions: [{ attribute: 'x', op: 'in', values: Array.from({ length: 501 }, (_, i) => `v${i}`) }] }] }, 'rules.0.conditions.0.values'],
      [{ type: 'string', variants: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`v${i}`, 'x'])), on_variant: 'v0', off_variant: 'v1' }, 'variants'],
      [{ type: 'json', variants: { big: { blob: 'x'.repeat(17_000) }, small: {} }, on_variant: 'big', off_variant: 'small' }, 'variants.big'],
    ];
    for (const [fields, path] of cases) {
      const response = await api('POST', '/admin/flags', { id: 'too-big', ...fields });
      expect(response.status, path).toBe(400);
      expect(response.body.error.details.map((d: any) => d.path), path).toContain(path);
    }
  });
});

describe('A/B health: failures and exposures per variant', () => {
  it('reports carrying a variant show per-variant error rates; usage shows exposures', async () => {
    await createFlag({ ...colourFlag, id: 'ab-health', auto_kill: { max_failures: 1000 } });
    const report = (body: unknown) => api('POST', '/v1/flags/ab-health/failures', body, { token: TOKENS.reporter });
    expect((await report({ failures: 2, successes: 98, variant: 'blue' })).status).toBe(200);
    expect((await report({ failures: 30, successes: 70, variant: 'green' })).status).toBe(200);
    const usage = await api('POST', '/v1/flags/ab-health/usage', { variants: { blue: 100, green: 100, control: 250 }, last_at: Date.now() }, { token: TOKENS.reporter });
    expect(usage.body).toMatchObject({ recorded: 450, version: 1, enabled: true, snapshot: { id: 'ab-health', version: 1 } });
    const health = (await api('GET', '/admin/flags/ab-health/health')).body;
    expect(health.by_variant.blue).toEqual({ failures: 2, successes: 98, error_rate: 0.02 });
    expect(health.by_variant.green).toEqual({ failures: 30, successes: 70, error_rate: 0.3 });
    expect(health).toMatchObject({ failures: 32, successes: 168 });
    expect(health.exposures.control.count).toBe(250);
    expect(health.exposures.blue.count).toBe(100);
    expect(health.last_evaluated_at).not.toBeNull();
  });
});
