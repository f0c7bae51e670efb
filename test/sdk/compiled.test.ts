/**
 * The compiled path answers exactly as `evaluate` (src/flags/evaluate.ts): random flags (allowlists,
 * environments, rules of every operator, segments, splits, fractional rollouts, other bucketing
 * attributes, typed variants) against random contexts, through `forRequest` and through the async
 * methods; and a flag's evaluator is replaced when its version changes, not before.
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, evaluate, type EvaluationContext } from '../../src/flags/evaluate';
import type { Condition, FlagSnapshot, Rule, Split } from '../../src/flags/schema';
import type { FlagContext } from '../../src/sdk/answers';
import { FlagClient, toEvaluationContext } from '../../src/sdk/client';
import { bundleOf, FakeSource, snapshot } from './fakes';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}

const USERS = ['u1', 'u2', 'u3', 'alice', 'bob', '42'];
const TENANTS = ['acme', 'globex', 't-7'];
const ENVIRONMENTS = ['production', 'staging', 'dev'];
const PLANS = ['free', 'pro', 'enterprise'];
const VERSIONS = ['1.2.3', '2.0.0-beta.1', 'v3.1.0', 'not-a-version'];
const NOW = Date.parse('2026-06-01T12:00:00Z');

function splitOf(rng: ReturnType<typeof random>, variants: string[]): Split {
  const count = 1 + rng.int(Math.min(3, variants.length));
  const chosen = variants.slice(0, count);
  let left = 10_000;
  return chosen.map((variant, i) => {
    const weight = i === chosen.length - 1 ? left : rng.int(left + 1);
    left -= weight;
    return { variant, weight };
  });
}

function conditionOf(rng: ReturnType<typeof random>): Condition {
  const kind = rng.int(9);
  const negate = rng.chance(0.2) ? { negate: true } : {};
  switch (kind) {
    case 0:
      return { attribute: 'plan', op: rng.pick(['in', 'not_in'] as const), values: [rng.pick(PLANS)], ...negate };
    case 1:
      return { attribute: 'email', op: rng.pick(['ends_with', 'contains', 'starts_with'] as const), values: [rng.pick(['@acme.com', 'ALICE', 'bob'])], case_insensitive: rng.chance(0.5), ...negate };
    case 2:
      return { attribute: 'age', op: rng.pick(['gt', 'gte', 'lt', 'lte', 'eq'] as const), values: [rng.pick([18, 21, '30', 65])], ...negate };
    case 3:
      return { attribute: 'now', op: rng.pick(['before', 'after'] as const), values: [rng.pick(['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'])], ...negate };
    case 4:
      return { attribute: 'appVersion', op: rng.pick(['semver_eq', 'semver_gt', 'semver_lt'] as const), values: [rng.pick(['1.2.3', '2.0.0'])], ...negate };
    case 5:
      return { attribute: '', op: 'in_segment', values: [rng.pick(['beta', 'staff', 'missing'])], ...negate };
    case 6:
      return { attribute: 'targetingKey', op: 'in', values: [rng.pick(USERS)], ...negate };
    case 7:
      return { attribute: 'country', op: 'in', values: ['DE', 'FR'], ...negate };
    default:
      return { attribute: 'tenantId', op: 'not_in', values: [rng.pick(TENANTS)], ...negate };
  }
}

function flagOf(rng: ReturnType<typeof random>, i: number): FlagSnapshot {
  const typed = rng.int(3); // 0 boolean without variants, 1 boolean with variants, 2 string with several
  const variants =
    typed === 0 ? undefined : typed === 1 ? { on: true, off: false } : { red: 'red', green: 'green', blue: 'blue', none: 'none' };
  const names = variants ? Object.keys(variants) : ['on', 'off'];
  const rules: Rule[] = Array.from({ length: rng.int(3) }, () => ({
    conditions: Array.from({ length: 1 + rng.int(2) }, () => conditionOf(rng)),
    serve: rng.chance(0.5) ? { variant: rng.pick(names) } : { split: splitOf(rng, names) },
  }));
  const fields: Partial<FlagSnapshot> & { id: string } = {
    id: `flag-${i}`,
    version: 1 + rng.int(5),
    enabled: rng.chance(0.85),
    rollout_percentage: rng.pick([0, 1, 5, 12.5, 33.33, 50, 99.99, 100]),
    allowed_users: rng.chance(0.3) ? [rng.pick(USERS), rng.pick(USERS)] : [],
    allowed_tenants: rng.chance(0.3) ? [rng.pick(TENANTS)] : [],
    type: typed === 2 ? 'string' : 'boolean',
    rules,
  };
  if (rng.chance(0.3)) fields.environments = [rng.pick(ENVIRONMENTS)];
  if (variants) {
    fields.variants = variants;
    fields.on_variant = names[0]!;
    fields.off_variant = names[names.length - 1]!;
    if (rng.chance(0.5)) fields.split = splitOf(rng, names);
  }
  if (rng.chance(0.2)) fields.bucket_by = rng.pick(['tenantId', 'deviceId']);
  if (rng.chance(0.05)) fields.archived = true;
  return snapshot(fields);
}

function contextOf(rng: ReturnType<typeof random>): FlagContext {
  const context: FlagContext = {};
  const key = rng.int(5);
  if (key === 0) context.userId = rng.pick(USERS);
  else if (key === 1) context.targetingKey = rng.pick(USERS);
  else if (key === 2) context.targetingKey = `user-${rng.int(100_000)}`;
  else if (key === 3) (context as Record<string, unknown>)['targetingKey'] = rng.pick([42, '', 0]); // a number is a key too; '' is none
  if (rng.chance(0.6)) context.tenantId = rng.pick(TENANTS);
  const attrs: Record<string, unknown> = {};
  if (rng.chance(0.6)) attrs['plan'] = rng.pick(PLANS);
  if (rng.chance(0.4)) attrs['email'] = rng.pick(['alice@acme.com', 'Bob@Example.org', 42]);
  if (rng.chance(0.5)) attrs['age'] = rng.pick([17, 21, '40', 'old', 70]);
  if (rng.chance(0.4)) attrs['appVersion'] = rng.pick(VERSIONS);
  if (rng.chance(0.3)) attrs['country'] = rng.pick(['DE', 'US']);
  if (rng.chance(0.3)) attrs['deviceId'] = `d-${rng.int(50)}`;
  if (rng.chance(0.1)) attrs['now'] = '2026-12-31T00:00:00Z';
  if (rng.chance(0.5)) context.attrs = attrs;
  else Object.assign(context, attrs);
  return context;
}

const SEGMENTS = {
  beta: { id: 'beta', version: 1, conditions: [{ attribute: 'plan', op: 'in', values: ['pro', 'enterprise'] }] as Condition[] },
  staff: { id: 'staff', version: 1, conditions: [{ attribute: 'email', op: 'ends_with', values: ['@acme.com'] }, { attribute: 'targetingKey', op: 'in', values: ['alice'] }] as Condition[] },
};

/** `evaluate`'s answer in the client's shape. */
function expected(flag: FlagSnapshot | undefined, flagId: string, context: EvaluationContext, environment: string) {
  const result = evaluate(flag, context, { environment, segments: SEGMENTS, now: NOW });
  if (result.errorCode) return { flagId, value: undefined, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND', errorMessage: `flag "${flagId}" was not found` };
  return { flagId, value: result.value, reason: result.reason, variant: result.variant, version: result.version };
}

describe('compiled flags', () => {
  it('answer exactly as evaluate over random flags and contexts', async () => {
    const rng = random(20261202);
    let compared = 0;
    const reasons = new Set<string>();
    const variants = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const flags = Array.from({ length: 40 }, (_, i) => flagOf(rng, i));
      const environment = rng.pick(ENVIRONMENTS);
      const source = new FakeSource(bundleOf(flags, '2026-01-01T00:00:00.000Z', SEGMENTS));
      const client = new FlagClient({ source, environment, now: () => NOW, bucketCacheSize: 64 });
      const ids = [...flags.map((f) => f.id), 'unknown-flag', 'constructor'];
      for (let c = 0; c < 250; c++) {
        const context = contextOf(rng);
        const flat = toEvaluationContext(context);
        const request = await client.forRequest(undefined, context);
        // Twice per context: the second time from the bucket cache.
        for (let pass = 0; pass < 2; pass++) {
          for (const id of ids) {
            const flag = flags.find((f) => f.id === id);
            const answer = request.evaluate(id);
            expect(answer, `${id} for ${JSON.stringify(context)} in ${environment}`).toEqual(expected(flag, id, flat, environment));
            reasons.add(answer.reason);
            if (answer.variant) variants.add(answer.variant);
            compared++;
          }
        }
        if (c % 25 === 0) {
          const id = rng.pick(flags).id;
          expect(await client.evaluate(id, context)).toEqual(request.evaluate(id));
        }
      }
    }
    expect(compared).toBe(8 * 250 * 2 * 42);
    // The random flags reach every branch of the evaluation order.
    expect([...reasons].sort()).toEqual(['DEFAULT', 'DISABLED', 'ERROR', 'SPLIT', 'STATIC', 'TARGETING_MATCH']);
    expect([...variants].sort()).toEqual(['blue', 'green', 'none', 'off', 'on', 'red']);
  });

  it('put users exactly on a rollout or split boundary on the same side as evaluate', async () => {
    const rollout = snapshot({ id: 'edge-rollout', rollout_percentage: 12.34 });
    const split = snapshot({
      id: 'edge-split',
      type: 'string',
      variants: { a: 'a', b: 'b', c: 'c' },
      on_variant: 'a',
      off_variant: 'c',
      split: [{ variant: 'a', weight: 1234 }, { variant: 'b', weight: 4321 }, { variant: 'c', weight: 4445 }],
    });
    const client = new FlagClient({ source: new FakeSource(bundleOf([rollout, split])), environment: 'production' });
    const wanted = { 'edge-rollout': [1233, 1234], 'edge-split': [1233, 1234, 5554, 5555] } as Record<string, number[]>;
    let found = 0;
    for (const flag of [rollout, split]) {
      const edges = new Set(wanted[flag.id]);
      for (let i = 0; edges.size > 0 && i < 400_000; i++) {
        const user = `edge-${i}`;
        if (!edges.delete(bucketOf(flag, { targetingKey: user }))) continue;
        found++;
        const flags = await client.forRequest(undefined, { userId: user });
        expect(flags.evaluate(flag.id)).toEqual(expected(flag, flag.id, { targetingKey: user }, 'production'));
      }
    }
    expect(found).toBe(6);
  });

  it('typed getters agree with the async ones and fall back to the default on a mismatch', async () => {
    const theme = snapshot({ id: 'theme', type: 'string', variants: { dark: 'dark', light: 'light' }, on_variant: 'dark', off_variant: 'light' });
    const limit = snapshot({ id: 'limit', type: 'number', variants: { low: 10, high: 100 }, on_variant: 'high', off_variant: 'low', rollout_percentage: 0 });
    const broken = snapshot({ id: 'broken', type: 'string', variants: { a: 'a' }, on_variant: 'missing', off_variant: 'a' });
    const client = new FlagClient({ source: new FakeSource(bundleOf([theme, limit, broken])), environment: 'production' });
    const flags = await client.forRequest(undefined, { userId: 'u' });
    expect(flags.getStringValue('theme', 'x')).toBe('dark');
    expect(flags.getNumberValue('limit', 1)).toBe(10);
    expect(flags.getBooleanValue('theme', true)).toBe(true);
    expect(flags.getBooleanDetails('theme', true)).toMatchObject({ value: true, errorCode: 'TYPE_MISMATCH', flagType: 'string' });
    expect(flags.getStringDetails('broken', 'dflt')).toMatchObject({ value: 'dflt', errorCode: 'GENERAL' });
    expect(flags.getObjectDetails('nope', { a: 1 })).toMatchObject({ value: { a: 1 }, errorCode: 'FLAG_NOT_FOUND' });
    for (const [id, kind, fallback] of [['theme', 'string', 'x'], ['limit', 'number', 1], ['theme', 'boolean', false], ['broken', 'string', 'd']] as const) {
      expect(flags.resolve(id, kind, fallback)).toEqual(await client.resolve(id, kind, fallback, { userId: 'u' }));
    }
  });

  it('hand the async methods\' callers objects of their own; the synchronous path shares frozen ones', async () => {
    const client = new FlagClient({ source: new FakeSource(bundleOf([snapshot({ id: 'on' })])), environment: 'production' });
    const mine = await client.evaluate('on', { userId: 'u' });
    (mine as { value: unknown }).value = 'changed';
    expect((await client.evaluate('on', { userId: 'u' })).value).toBe(true);
    const details = await client.getBooleanDetails('on', false, { userId: 'u' });
    details.value = false;
    expect(await client.getBooleanValue('on', false, { userId: 'u' })).toBe(true);
    let handed: unknown;
    await client.withFallback({ waitUntil: () => undefined }, 'on', { userId: 'u' }, {
      enabled: (evaluation) => {
        (evaluation as { value: unknown }).value = 'mutated by a handler';
        handed = evaluation;
      },
      fallback: () => undefined,
    });
    expect(handed).toMatchObject({ value: 'mutated by a handler' });
    const flags = await client.forRequest(undefined, { userId: 'u' });
    expect(flags.evaluate('on').value).toBe(true);
    expect(Object.isFrozen(flags.evaluate('on'))).toBe(true);
  });

  it('answer PROVIDER_NOT_READY while no bundle was ever loaded', async () => {
    const client = new FlagClient({ source: new FakeSource(null), environment: 'production' });
    const flags = await client.forRequest(undefined, { userId: 'u' });
    expect(flags.ready).toBe(false);
    expect(flags.isEnabled('any')).toBe(false);
    expect(flags.getBooleanDetails('any', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'PROVIDER_NOT_READY' });
  });

  it('are replaced when a flag version changes, and a request keeps the snapshots it started with', async () => {
    const source = new FakeSource(bundleOf([snapshot({ id: 'a', rollout_percentage: 0 }), snapshot({ id: 'b' })]));
    const client = new FlagClient({ source, environment: 'production', cacheTtlSeconds: 0 });
    const before = await client.forRequest(undefined, { userId: 'u' });
    expect(before.evaluate('a')).toMatchObject({ value: false, version: 1, reason: 'DEFAULT' });
    const unchanged = before.evaluate('b');

    source.bundle = bundleOf([snapshot({ id: 'a', version: 2, rollout_percentage: 100 }), snapshot({ id: 'b' })], '2026-01-01T00:00:01.000Z');
    const after = await client.forRequest(undefined, { userId: 'u' });
    expect(after.evaluate('a')).toMatchObject({ value: true, version: 2, reason: 'STATIC' });
    // Same version: the compiled evaluator (and so its answer object) is kept across bundle reads.
    expect(after.evaluate('b')).toBe(unchanged);

    source.bundle = bundleOf([snapshot({ id: 'b', version: 3, archived: true })], '2026-01-01T00:00:02.000Z');
    const archived = await client.forRequest(undefined, { userId: 'u' });
    expect(archived.evaluate('a')).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
    expect(archived.evaluate('b')).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
  });
});
