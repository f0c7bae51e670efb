import { describe, expect, it } from 'vitest';
import { bucketOf, evaluate, type EvaluationOptions } from '../../src/flags/evaluate';
import type { SegmentLookup } from '../../src/flags/conditions';
import type { FlagSnapshot, Split } from '../../src/flags/schema';
import { snapshot } from '../helpers/snapshot';

const OPTIONS: EvaluationOptions = { environment: 'production', now: Date.UTC(2026, 2, 1) };

const flag = (overrides: Partial<FlagSnapshot> = {}): FlagSnapshot => snapshot({ version: 3, ...overrides });

const users = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('splits and the boolean rollout pick the same users', () => {
  const ids = users(10_000);

  it.each([0, 0.01, 1, 5, 12.34, 25, 50, 66.67, 99.99, 100])('at p = %s', (p) => {
    const on = Math.round(p * 100);
    const boolean = flag({ rollout_percentage: p });
    const split = flag({ split: [{ variant: 'on', weight: on }, { variant: 'off', weight: 10_000 - on }] });
    let admitted = 0;
    const disagreements: string[] = [];
    for (const id of ids) {
      const a = evaluate(boolean, { targetingKey: id }, OPTIONS);
      const b = evaluate(split, { targetingKey: id }, OPTIONS);
      if (b.variant !== a.variant || b.value !== a.value || b.reason !== 'SPLIT') disagreements.push(id);
      if (a.value === true) admitted++;
    }
    expect(disagreements).toEqual([]);
    // and the share admitted is about p
    expect(Math.abs(admitted / ids.length - p / 100)).toBeLessThan(0.02);
  });
});

describe('weighted splits', () => {
  it('33.33 / 33.33 / 33.34 over 30,000 users lands within 1% of each', () => {
    const f = flag({
      type: 'string',
      variants: { a: 'A', b: 'B', c: 'C' },
      on_variant: 'a',
      off_variant: 'a',
      split: [
        { variant: 'a', weight: 3333 },
        { variant: 'b', weight: 3333 },
        { variant: 'c', weight: 3334 },
      ],
    });
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    let wrong = 0;
    for (const id of users(30_000)) {
      const e = evaluate(f, { targetingKey: id }, OPTIONS);
      if (e.reason !== 'SPLIT' || e.value !== e.variant!.toUpperCase()) wrong++;
      counts[e.variant!]!++;
    }
    expect(wrong).toBe(0);
    expect(counts.a! + counts.b! + counts.c!).toBe(30_000);
    for (const [variant, weight] of [['a', 0.3333], ['b', 0.3333], ['c', 0.3334]] as const) {
      expect(Math.abs(counts[variant]! / 30_000 - weight), `${variant}: ${counts[variant]}`).toBeLessThan(0.01);
    }
  });

  function movers(before: Split, after: Split, ids: string[]) {
    const f1 = flag({ split: before });
    const f2 = flag({ split: after });
    const moved: { id: string; from: string; to: string; bucket: number }[] = [];
    for (const id of ids) {
      const from = evaluate(f1, { targetingKey: id }, OPTIONS).variant!;
      const to = evaluate(f2, { targetingKey: id }, OPTIONS).variant!;
      if (from !== to) moved.push({ id, from, to, bucket: bucketOf(f1, { targetingKey: id }) });
    }
    return moved;
  }

  it('moving a boundary moves exactly the users between the old and the new boundary', () => {
    const ids = users(10_000);
    const moved = movers(
      [{ variant: 'on', weight: 5000 }, { variant: 'off', weight: 5000 }],
      [{ variant: 'on', weight: 6000 }, { variant: 'off', weight: 4000 }],
      ids,
    );
    const between = ids.filter((id) => {
      const b = bucketOf(flag(), { targetingKey: id });
      return b >= 5000 && b < 6000;
    });
    expect(moved.map((m) => m.id)).toEqual(between);
    expect(moved.every((m) => m.from === 'off' && m.to === 'on')).toBe(true);
    expect(moved.length).toBeGreaterThan(800);
  });

  it('in a three-way split, only the users between the moved boundaries change, between those two variants', () => {
    const ids = users(10_000);
    const f = flag({ variants: { a: true, b: false, c: false }, on_variant: 'a', off_variant: 'b' });
    const split = (a: number, b: number, c: number): Split => [
      { variant: 'a', weight: a },
      { variant: 'b', weight: b },
      { variant: 'c', weight: c },
    ];
    const before = { ...f, split: split(3000, 4000, 3000) };
    const after = { ...f, split: split(3000, 3000, 4000) }; // the b|c boundary moves from 7000 to 6000
    let moved = 0;
    const unexpected: string[] = [];
    for (const id of ids) {
      const bucket = bucketOf(f, { targetingKey: id });
      const from = evaluate(before, { targetingKey: id }, OPTIONS).variant;
      const to = evaluate(after, { targetingKey: id }, OPTIONS).variant;
      if (bucket >= 6000 && bucket < 7000) {
        if (from === 'b' && to === 'c') moved++;
        else unexpected.push(`${id}: ${from} -> ${to} at ${bucket}`);
      } else if (to !== from) {
        unexpected.push(`${id}: ${from} -> ${to} at ${bucket}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(moved).toBeGreaterThan(800);
  });

  it('a zero-weight slice serves nobody', () => {
    const f = flag({ split: [{ variant: 'on', weight: 0 }, { variant: 'off', weight: 10_000 }] });
    expect(users(2_000).every((id) => evaluate(f, { targetingKey: id }, OPTIONS).variant === 'off')).toBe(true);
  });
});

describe('rules', () => {
  const f = flag({
    type: 'string',
    variants: { control: 'grey', vip: 'gold', beta: 'blue', launch: 'green' },
    on_variant: 'vip',
    off_variant: 'control',
    split: [{ variant: 'control', weight: 10_000 }],
    rules: [
      { description: 'enterprise', conditions: [{ attribute: 'plan', op: 'in', values: ['enterprise'] }], serve: { variant: 'vip' } },
      {
        description: 'acme staff on recent apps',
        conditions: [
          { attribute: 'email', op: 'ends_with', values: ['@acme.com'], case_insensitive: true },
          { attribute: 'appVersion', op: 'semver_gt', values: ['2.0.0'] },
        ],
        serve: { variant: 'beta' },
      },
      { description: 'launch day', conditions: [{ attribute: 'now', op: 'after', values: ['2026-03-15T09:00:00+01:00'] }], serve: { variant: 'launch' } },
    ],
  });

  it('the first matching rule wins', () => {
    const both = { plan: 'enterprise', email: 'ann@ACME.com', appVersion: '2.1.0' };
    expect(evaluate(f, { targetingKey: 'u1', ...both }, OPTIONS)).toMatchObject({ variant: 'vip', value: 'gold', reason: 'TARGETING_MATCH' });
    expect(evaluate(f, { targetingKey: 'u1', email: 'ann@ACME.com', appVersion: '2.1.0' }, OPTIONS)).toMatchObject({
      variant: 'beta',
      value: 'blue',
      reason: 'TARGETING_MATCH',
    });
    // a rule needs all its conditions
    expect(evaluate(f, { targetingKey: 'u1', email: 'ann@acme.com', appVersion: '2.0.0-rc.1' }, OPTIONS)).toMatchObject({
      variant: 'control',
      reason: 'SPLIT',
    });
  });

  it('the `now` attribute switches a rule on at a date', () => {
    const before = Date.UTC(2026, 2, 15, 8) - 1; // 09:00+01:00 is 08:00Z
    const after = Date.UTC(2026, 2, 15, 8) + 1;
    expect(evaluate(f, { targetingKey: 'u2' }, { ...OPTIONS, now: before })).toMatchObject({ variant: 'control', reason: 'SPLIT' });
    expect(evaluate(f, { targetingKey: 'u2' }, { ...OPTIONS, now: after })).toMatchObject({ variant: 'launch', reason: 'TARGETING_MATCH' });
    // earlier rules still win after the date
    expect(evaluate(f, { targetingKey: 'u2', plan: 'enterprise' }, { ...OPTIONS, now: after })).toMatchObject({ variant: 'vip' });
  });

  it('a rule may serve a split, bucketed like the default one', () => {
    const g = flag({
      rules: [
        {
          conditions: [{ attribute: 'country', op: 'in', values: ['FR'] }],
          serve: { split: [{ variant: 'on', weight: 5000 }, { variant: 'off', weight: 5000 }] },
        },
      ],
    });
    const ids = users(2_000);
    let on = 0;
    for (const id of ids) {
      const e = evaluate(g, { targetingKey: id, country: 'FR' }, OPTIONS);
      expect(e.reason).toBe('TARGETING_MATCH');
      expect(e.variant).toBe(bucketOf(g, { targetingKey: id }) < 5000 ? 'on' : 'off');
      if (e.value === true) on++;
      // outside the rule, the 0% default rollout
      expect(evaluate(g, { targetingKey: id, country: 'DE' }, OPTIONS)).toMatchObject({ variant: 'off', value: false, reason: 'DEFAULT' });
    }
    expect(Math.abs(on / ids.length - 0.5)).toBeLessThan(0.05);
  });

  it('a negated rule never targets a user missing the attribute', () => {
    const g = flag({ rules: [{ conditions: [{ attribute: 'country', op: 'in', values: ['US'], negate: true }], serve: { variant: 'on' } }] });
    expect(evaluate(g, { targetingKey: 'u', country: 'FR' }, OPTIONS)).toMatchObject({ variant: 'on', reason: 'TARGETING_MATCH' });
    expect(evaluate(g, { targetingKey: 'u', country: 'US' }, OPTIONS)).toMatchObject({ variant: 'off', reason: 'DEFAULT' });
    expect(evaluate(g, { targetingKey: 'u' }, OPTIONS)).toMatchObject({ variant: 'off', reason: 'DEFAULT' });
  });

  it('segments are shared between flags and resolved through the options', () => {
    const segments: SegmentLookup = { staff: { conditions: [{ attribute: 'email', op: 'ends_with', values: ['@acme.com'] }] } };
    const rules = [{ conditions: [{ attribute: 'segment', op: 'in_segment' as const, values: ['staff'] }], serve: { variant: 'on' } }];
    const one = flag({ id: 'one', rules });
    const two = flag({ id: 'two', rules });
    for (const g of [one, two]) {
      expect(evaluate(g, { targetingKey: 'u', email: 'bo@acme.com' }, { ...OPTIONS, segments })).toMatchObject({ value: true, reason: 'TARGETING_MATCH' });
      expect(evaluate(g, { targetingKey: 'u', email: 'bo@example.com' }, { ...OPTIONS, segments })).toMatchObject({ value: false, reason: 'DEFAULT' });
      // without the segment, the rule cannot match
      expect(evaluate(g, { targetingKey: 'u', email: 'bo@acme.com' }, OPTIONS)).toMatchObject({ value: false, reason: 'DEFAULT' });
    }
  });
});

describe('full evaluation order', () => {
  // Every stage would apply to this user; removing them one by one reveals the order.
  const base = flag({
    type: 'string',
    variants: { on: 'ON', off: 'OFF', ruled: 'RULED', split: 'SPLIT' },
    on_variant: 'on',
    off_variant: 'off',
    environments: ['production'],
    allowed_users: ['alice'],
    allowed_tenants: ['acme'],
    rules: [{ conditions: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'ruled' } }],
    split: [{ variant: 'split', weight: 10_000 }],
  });
  const ctx = { targetingKey: 'alice', tenantId: 'acme', plan: 'pro' };

  it('unknown or archived → FLAG_NOT_FOUND', () => {
    expect(evaluate(undefined, ctx, OPTIONS)).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', value: undefined });
    expect(evaluate({ ...base, archived: true }, ctx, OPTIONS)).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
  });

  it('disabled → off variant', () => {
    expect(evaluate({ ...base, enabled: false }, ctx, OPTIONS)).toEqual({
      flagId: 'new-checkout',
      value: 'OFF',
      variant: 'off',
      reason: 'DISABLED',
      version: 3,
    });
  });

  it('environment not listed → off variant', () => {
    expect(evaluate(base, ctx, { ...OPTIONS, environment: 'staging' })).toMatchObject({ value: 'OFF', variant: 'off', reason: 'DISABLED' });
  });

  it('allowlisted user → on variant, before tenants and rules', () => {
    expect(evaluate(base, ctx, OPTIONS)).toMatchObject({ value: 'ON', variant: 'on', reason: 'TARGETING_MATCH' });
  });

  it('allowlisted tenant → on variant, before rules', () => {
    expect(evaluate(base, { ...ctx, targetingKey: 'bob' }, OPTIONS)).toMatchObject({ value: 'ON', variant: 'on', reason: 'TARGETING_MATCH' });
  });

  it('targeting rules → the rule variant, before the default rollout', () => {
    expect(evaluate(base, { ...ctx, targetingKey: 'bob', tenantId: 'globex' }, OPTIONS)).toMatchObject({
      value: 'RULED',
      variant: 'ruled',
      reason: 'TARGETING_MATCH',
    });
  });

  it('default rollout last: the split, or the boolean percentage', () => {
    const nobody = { targetingKey: 'bob', tenantId: 'globex', plan: 'free' };
    expect(evaluate(base, nobody, OPTIONS)).toMatchObject({ value: 'SPLIT', variant: 'split', reason: 'SPLIT' });
    const noSplit: FlagSnapshot = { ...base, split: undefined };
    expect(evaluate({ ...noSplit, rollout_percentage: 0 }, nobody, OPTIONS)).toMatchObject({ value: 'OFF', variant: 'off', reason: 'DEFAULT' });
    expect(evaluate({ ...noSplit, rollout_percentage: 100 }, nobody, OPTIONS)).toMatchObject({ value: 'ON', variant: 'on', reason: 'STATIC' });
  });

  it('the article boolean flag answers with its variant key', () => {
    const b = flag({ rollout_percentage: 100, allowed_users: ['alice'] });
    expect(evaluate(b, { targetingKey: 'x' }, OPTIONS)).toMatchObject({ value: true, variant: 'on', reason: 'STATIC' });
    expect(evaluate({ ...b, enabled: false }, { targetingKey: 'alice' }, OPTIONS)).toMatchObject({ value: false, variant: 'off', reason: 'DISABLED' });
    expect(evaluate({ ...b, rollout_percentage: 0 }, { targetingKey: 'alice' }, OPTIONS)).toMatchObject({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
  });
});

describe('typed flags', () => {
  it('string', () => {
    const f = flag({ type: 'string', variants: { blue: '#00f', red: '#f00' }, on_variant: 'blue', off_variant: 'red', rollout_percentage: 100 });
    expect(evaluate(f, { targetingKey: 'u' }, OPTIONS)).toMatchObject({ value: '#00f', variant: 'blue' });
    expect(evaluate({ ...f, enabled: false }, { targetingKey: 'u' }, OPTIONS)).toMatchObject({ value: '#f00', variant: 'red' });
  });

  it('number', () => {
    const f = flag({
      type: 'number',
      variants: { small: 10, large: 250.5, none: 0 },
      on_variant: 'large',
      off_variant: 'none',
      rules: [{ conditions: [{ attribute: 'seats', op: 'lt', values: [5] }], serve: { variant: 'small' } }],
      rollout_percentage: 100,
    });
    expect(evaluate(f, { targetingKey: 'u', seats: '3' }, OPTIONS)).toMatchObject({ value: 10, variant: 'small', reason: 'TARGETING_MATCH' });
    expect(evaluate(f, { targetingKey: 'u', seats: 50 }, OPTIONS)).toMatchObject({ value: 250.5, variant: 'large', reason: 'STATIC' });
    expect(evaluate({ ...f, enabled: false }, { targetingKey: 'u' }, OPTIONS)).toMatchObject({ value: 0, variant: 'none' });
  });

  it('json', () => {
    const layout = { columns: 3, widgets: ['chart', { kind: 'table', rows: 20 }], dark: null };
    const f = flag({ type: 'json', variants: { grid: layout, list: [1, 2], plain: 'text' }, on_variant: 'grid', off_variant: 'plain' });
    const split = { ...f, split: [{ variant: 'grid', weight: 5000 }, { variant: 'list', weight: 5000 }] };
    const seen = new Set<string>();
    for (const id of users(200)) {
      const e = evaluate(split, { targetingKey: id }, OPTIONS);
      seen.add(e.variant!);
      expect(e.value).toEqual(e.variant === 'grid' ? layout : [1, 2]);
    }
    expect([...seen].sort()).toEqual(['grid', 'list']);
    expect(evaluate({ ...f, enabled: false }, { targetingKey: 'u' }, OPTIONS)).toMatchObject({ value: 'text', variant: 'plain', reason: 'DISABLED' });
  });
});

describe('bucket_by', () => {
  const f = flag({ bucket_by: 'tenantId', split: [{ variant: 'on', weight: 5000 }, { variant: 'off', weight: 5000 }] });

  it('buckets on another attribute: every user of a tenant gets the same variant', () => {
    const tenants = users(200, 'tenant');
    const perTenant = new Map<string, string>();
    for (const tenant of tenants) {
      for (const user of users(10)) {
        const e = evaluate(f, { targetingKey: `${tenant}/${user}`, tenantId: tenant }, OPTIONS);
        const first = perTenant.get(tenant) ?? e.variant!;
        perTenant.set(tenant, first);
        expect(e.variant).toBe(first);
      }
      expect(perTenant.get(tenant)).toBe(bucketOf(f, { tenantId: tenant }) < 5000 ? 'on' : 'off');
    }
    const on = [...perTenant.values()].filter((v) => v === 'on').length;
    expect(on).toBeGreaterThan(60);
    expect(on).toBeLessThan(140);
  });

  it('the bucket is the same as a user-keyed bucket of that value, and ignores the user id', () => {
    const byUser = flag({ split: f.split });
    for (const key of users(500, 'k')) {
      expect(evaluate(f, { targetingKey: 'whoever', tenantId: key }, OPTIONS).variant).toBe(evaluate(byUser, { targetingKey: key }, OPTIONS).variant);
    }
  });

  it('applies to the boolean percentage and rule splits as well', () => {
    const pct = flag({ bucket_by: 'tenantId', rollout_percentage: 50 });
    for (const tenant of users(100, 'tenant')) {
      const variants = new Set(users(5).map((u) => evaluate(pct, { targetingKey: u, tenantId: tenant }, OPTIONS).variant));
      expect(variants.size).toBe(1);
    }
  });

  it('without the attribute, the article’s "anonymous" bucket', () => {
    const anon = evaluate(f, { targetingKey: 'someone' }, OPTIONS).variant;
    expect(evaluate(f, { targetingKey: 'other' }, OPTIONS).variant).toBe(anon);
    expect(anon).toBe(bucketOf(f, { tenantId: 'anonymous' }) < 5000 ? 'on' : 'off');
  });
});
