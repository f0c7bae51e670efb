import { describe, expect, it } from 'vitest';
import {
  conditionsMatch,
  MAX_SEGMENT_DEPTH,
  numericValue,
  parseIsoInstant,
  type ConditionOptions,
  type SegmentLookup,
} from '../../src/flags/conditions';
import type { Condition, Operator } from '../../src/flags/schema';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0); // 2026-03-01T12:00:00Z
const OPTIONS: ConditionOptions = { now: NOW };

function c(attribute: string, op: Operator, values: (string | number)[], extra: Partial<Condition> = {}): Condition {
  return { attribute, op, values, ...extra };
}

/** Whether the single condition holds, and whether its negation holds. */
function both(condition: Condition, context: Record<string, unknown>, options: ConditionOptions = OPTIONS) {
  return [conditionsMatch([condition], context, options), conditionsMatch([{ ...condition, negate: true }], context, options)];
}

function holds(condition: Condition, context: Record<string, unknown>, options: ConditionOptions = OPTIONS): boolean {
  return conditionsMatch([condition], context, options);
}

/** One valid condition per operator (besides in_segment), with a context value that matches it. */
const SAMPLES: [Operator, (string | number)[], unknown][] = [
  ['in', ['pro'], 'pro'],
  ['not_in', ['free'], 'pro'],
  ['contains', ['@acme'], 'ann@acme.com'],
  ['starts_with', ['ann'], 'ann@acme.com'],
  ['ends_with', ['.com'], 'ann@acme.com'],
  ['eq', [3], 3],
  ['gt', [3], 4],
  ['gte', [3], 3],
  ['lt', [3], 2],
  ['lte', [3], 3],
  ['before', ['2026-03-01T00:00:00Z'], '2026-02-01T00:00:00Z'],
  ['after', ['2026-03-01T00:00:00Z'], '2026-04-01T00:00:00Z'],
  ['semver_eq', ['1.2.3'], '1.2.3'],
  ['semver_gt', ['1.2.3'], '1.2.4'],
  ['semver_lt', ['1.2.3'], '1.2.2'],
];

describe('conditionsMatch: combining conditions', () => {
  it('requires every condition to hold', () => {
    const plan = c('plan', 'in', ['pro']);
    const country = c('country', 'in', ['FR', 'DE']);
    expect(conditionsMatch([plan, country], { plan: 'pro', country: 'DE' }, OPTIONS)).toBe(true);
    expect(conditionsMatch([plan, country], { plan: 'pro', country: 'US' }, OPTIONS)).toBe(false);
    expect(conditionsMatch([plan, country], { plan: 'free', country: 'DE' }, OPTIONS)).toBe(false);
  });

  it('holds for an empty list', () => {
    expect(conditionsMatch([], {}, OPTIONS)).toBe(true);
  });
});

describe('missing attributes and wrong types fail, negated or not', () => {
  it.each(SAMPLES)('%s: the sample matches, its negation does not', (op, values, value) => {
    expect(both(c('attr', op, values), { attr: value })).toEqual([true, false]);
  });

  it.each(SAMPLES)('%s: a missing attribute fails either way', (op, values) => {
    expect(both(c('attr', op, values), {})).toEqual([false, false]);
    expect(both(c('attr', op, values), { attr: undefined })).toEqual([false, false]);
    expect(both(c('attr', op, values), { attr: null })).toEqual([false, false]);
    expect(both(c('attr', op, values), { other: value(op) })).toEqual([false, false]);
  });

  it.each(SAMPLES)('%s: an object, an array or a function fails either way', (op, values) => {
    for (const wrong of [{ v: 1 }, ['pro'], [3], () => 'pro', Symbol('x'), 10n]) {
      expect(both(c('attr', op, values), { attr: wrong })).toEqual([false, false]);
    }
  });

  it.each(SAMPLES.filter(([op]) => !['in', 'not_in', 'contains', 'starts_with', 'ends_with'].includes(op)))(
    '%s: a boolean fails either way',
    (op, values) => {
      expect(both(c('attr', op, values), { attr: true })).toEqual([false, false]);
    },
  );

  it('does not read inherited properties of the context as attributes', () => {
    for (const attribute of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(both(c(attribute, 'in', ['x']), {})).toEqual([false, false]);
      expect(both(c(attribute, 'not_in', ['x']), {})).toEqual([false, false]);
    }
  });

  it('treats NaN and Infinity in the context as unusable', () => {
    for (const op of ['eq', 'gt', 'lt', 'in', 'not_in', 'before', 'after'] as const) {
      expect(both(c('n', op, op === 'before' || op === 'after' ? ['2026-01-01'] : [1]), { n: NaN })).toEqual([false, false]);
      expect(both(c('n', op, op === 'before' || op === 'after' ? ['2026-01-01'] : [1]), { n: Infinity })).toEqual([false, false]);
    }
  });

  function value(op: Operator): unknown {
    return SAMPLES.find(([o]) => o === op)![2];
  }
});

describe('string operators', () => {
  it('in: any value equal', () => {
    expect(both(c('plan', 'in', ['pro', 'enterprise']), { plan: 'enterprise' })).toEqual([true, false]);
    expect(both(c('plan', 'in', ['pro', 'enterprise']), { plan: 'free' })).toEqual([false, true]);
    expect(both(c('plan', 'in', ['pro']), { plan: 'Pro' })).toEqual([false, true]);
    expect(both(c('plan', 'in', ['pro']), { plan: 'pro ' })).toEqual([false, true]);
    expect(both(c('plan', 'in', ['pro']), { plan: '' })).toEqual([false, true]);
  });

  it('in: numbers and booleans compare as their string form, on either side', () => {
    expect(holds(c('age', 'in', ['42']), { age: 42 })).toBe(true);
    expect(holds(c('age', 'in', [42]), { age: '42' })).toBe(true);
    expect(holds(c('age', 'in', [42]), { age: 42 })).toBe(true);
    expect(holds(c('age', 'in', [42]), { age: '42.0' })).toBe(false); // string equality, not numeric
    expect(holds(c('ratio', 'in', ['0.5']), { ratio: 0.5 })).toBe(true);
    expect(holds(c('beta', 'in', ['true']), { beta: true })).toBe(true);
    expect(holds(c('beta', 'in', ['true']), { beta: false })).toBe(false);
  });

  it('not_in: holds when equal to none; negated it is `in`', () => {
    expect(both(c('country', 'not_in', ['US', 'CA']), { country: 'FR' })).toEqual([true, false]);
    expect(both(c('country', 'not_in', ['US', 'CA']), { country: 'CA' })).toEqual([false, true]);
    expect(both(c('country', 'not_in', ['US']), {})).toEqual([false, false]);
  });

  it('contains / starts_with / ends_with on both sides of the boundary', () => {
    const email = { email: 'ann@acme.com' };
    expect(both(c('email', 'contains', ['@acme.']), email)).toEqual([true, false]);
    expect(both(c('email', 'contains', ['@acme.org']), email)).toEqual([false, true]);
    expect(both(c('email', 'contains', ['x', 'acme']), email)).toEqual([true, false]);
    expect(both(c('email', 'starts_with', ['ann@']), email)).toEqual([true, false]);
    expect(both(c('email', 'starts_with', ['nn@']), email)).toEqual([false, true]);
    expect(both(c('email', 'ends_with', ['acme.com']), email)).toEqual([true, false]);
    expect(both(c('email', 'ends_with', ['acme.co']), email)).toEqual([false, true]);
    expect(both(c('email', 'ends_with', ['ann@acme.com.au']), email)).toEqual([false, true]);
    expect(holds(c('build', 'starts_with', [20]), { build: 2026 })).toBe(true);
  });

  it('an empty needle matches any present string: an "is set" test', () => {
    expect(both(c('email', 'starts_with', ['']), { email: 'x' })).toEqual([true, false]);
    expect(both(c('email', 'starts_with', ['']), { email: '' })).toEqual([true, false]);
    expect(both(c('email', 'starts_with', ['']), {})).toEqual([false, false]);
  });

  it('case_insensitive applies to the five string operators', () => {
    const ci = { case_insensitive: true };
    expect(both(c('plan', 'in', ['PRO'], ci), { plan: 'pro' })).toEqual([true, false]);
    expect(both(c('plan', 'in', ['pro'], ci), { plan: 'Pro' })).toEqual([true, false]);
    expect(both(c('plan', 'not_in', ['FREE'], ci), { plan: 'free' })).toEqual([false, true]);
    expect(both(c('email', 'contains', ['@ACME'], ci), { email: 'Ann@Acme.com' })).toEqual([true, false]);
    expect(both(c('email', 'starts_with', ['ANN'], ci), { email: 'ann@acme.com' })).toEqual([true, false]);
    expect(both(c('email', 'ends_with', ['.COM'], ci), { email: 'ann@acme.com' })).toEqual([true, false]);
    expect(both(c('email', 'ends_with', ['.org'], ci), { email: 'ANN@ACME.COM' })).toEqual([false, true]);
    // and without the option, case matters
    expect(both(c('email', 'contains', ['@ACME']), { email: 'Ann@Acme.com' })).toEqual([false, true]);
  });
});

describe('numeric operators', () => {
  const boundaries: [Operator, number, [number, boolean][]][] = [
    ['eq', 10, [[9.999, false], [10, true], [10.001, false]]],
    ['gt', 10, [[10, false], [10.001, true], [9, false]]],
    ['gte', 10, [[9.999, false], [10, true], [11, true]]],
    ['lt', 10, [[10, false], [9.999, true], [11, false]]],
    ['lte', 10, [[10.001, false], [10, true], [9, true]]],
  ];
  it.each(boundaries)('%s %d on both sides of the boundary', (op, bound, cases) => {
    for (const [value, expected] of cases) {
      expect(both(c('n', op, [bound]), { n: value }), `${value} ${op} ${bound}`).toEqual([expected, !expected]);
    }
  });

  it('reads numeric strings in the context and in values as numbers', () => {
    expect(holds(c('seats', 'gt', [10]), { seats: '11' })).toBe(true);
    expect(holds(c('seats', 'gt', ['10']), { seats: 11 })).toBe(true);
    expect(holds(c('seats', 'eq', ['10']), { seats: '10.0' })).toBe(true);
    expect(holds(c('seats', 'eq', [10]), { seats: '1e1' })).toBe(true);
    expect(holds(c('seats', 'lt', [0]), { seats: '-0.5' })).toBe(true);
    expect(holds(c('seats', 'gte', ['.5']), { seats: '+0.5' })).toBe(true);
  });

  it('with several values, any applies', () => {
    expect(holds(c('n', 'eq', [1, 2, 3]), { n: 2 })).toBe(true);
    expect(holds(c('n', 'gt', [10, 20]), { n: 15 })).toBe(true);
    expect(holds(c('n', 'lt', [10, 20]), { n: 15 })).toBe(true);
    expect(holds(c('n', 'lt', [10, 20]), { n: 20 })).toBe(false);
  });

  it('a non-numeric context string fails either way', () => {
    for (const bad of ['abc', '', ' 5', '5 ', '0x10', 'Infinity', '1,000', '5px', '1e', '.']) {
      expect(both(c('n', 'gte', [0]), { n: bad }), JSON.stringify(bad)).toEqual([false, false]);
      expect(both(c('n', 'eq', [5]), { n: bad }), JSON.stringify(bad)).toEqual([false, false]);
    }
  });

  it('a non-numeric value never matches (validation refuses it)', () => {
    expect(both(c('n', 'eq', ['ten']), { n: 10 })).toEqual([false, true]);
    expect(both(c('n', 'gt', ['ten']), { n: 10 })).toEqual([false, true]);
    expect(both(c('n', 'lt', ['ten', 20]), { n: 10 })).toEqual([true, false]);
  });

  it('numericValue parses plain decimals only', () => {
    expect(numericValue('42')).toBe(42);
    expect(numericValue('-1.5e3')).toBe(-1500);
    expect(numericValue(7)).toBe(7);
    expect(numericValue('0b1')).toBeUndefined();
    expect(numericValue('1e400')).toBeUndefined(); // overflows to Infinity
    expect(numericValue(true)).toBeUndefined();
  });
});

describe('before / after', () => {
  const at = '2026-03-01T00:00:00Z';
  const ms = Date.UTC(2026, 2, 1);

  it('are exclusive on both sides of the instant', () => {
    expect(both(c('t', 'before', [at]), { t: ms - 1 })).toEqual([true, false]);
    expect(both(c('t', 'before', [at]), { t: ms })).toEqual([false, true]);
    expect(both(c('t', 'after', [at]), { t: ms + 1 })).toEqual([true, false]);
    expect(both(c('t', 'after', [at]), { t: ms })).toEqual([false, true]);
    expect(both(c('t', 'after', [at]), { t: '2026-03-01T00:00:00.001Z' })).toEqual([true, false]);
    expect(both(c('t', 'before', [at]), { t: '2026-02-28T23:59:59.999Z' })).toEqual([true, false]);
  });

  it('compare instants across time zones', () => {
    // 2026-03-01T00:00:00+02:00 is 2026-02-28T22:00:00Z: before midnight UTC.
    expect(holds(c('t', 'before', [at]), { t: '2026-03-01T00:00:00+02:00' })).toBe(true);
    expect(holds(c('t', 'after', [at]), { t: '2026-03-01T00:00:00+02:00' })).toBe(false);
    // 2026-02-28T20:00:00-05:00 is 2026-03-01T01:00:00Z: after.
    expect(holds(c('t', 'after', [at]), { t: '2026-02-28T20:00:00-05:00' })).toBe(true);
    // The same instant in another zone is neither before nor after.
    expect(holds(c('t', 'before', ['2026-03-01T05:30:00+05:30']), { t: at })).toBe(false);
    expect(holds(c('t', 'after', ['2026-03-01T05:30:00+05:30']), { t: at })).toBe(false);
    expect(holds(c('t', 'after', ['2026-03-01T05:30:00+05:30']), { t: '2026-03-01T00:00:00.001Z' })).toBe(true);
    // Offsets on the value side, too.
    expect(holds(c('t', 'before', ['2026-03-01T00:00:00-01:00']), { t: '2026-03-01T00:30:00Z' })).toBe(true);
  });

  it('accept a date alone as midnight UTC', () => {
    expect(holds(c('t', 'before', ['2026-03-01']), { t: ms - 1 })).toBe(true);
    expect(holds(c('t', 'before', ['2026-03-01']), { t: ms })).toBe(false);
    expect(holds(c('t', 'after', ['2026-02-28']), { t: '2026-02-28T00:00:01Z' })).toBe(true);
  });

  it('with several values, any applies', () => {
    expect(holds(c('t', 'before', ['2026-01-01', '2026-06-01']), { t: '2026-03-01' })).toBe(true);
    expect(holds(c('t', 'after', ['2026-01-01', '2026-06-01']), { t: '2026-03-01' })).toBe(true);
    expect(holds(c('t', 'after', ['2026-04-01', '2026-06-01']), { t: '2026-03-01' })).toBe(false);
  });

  it('an unparseable context value fails either way', () => {
    for (const bad of [
      '2026-03-01T00:00:00', // no offset: not an instant
      '2026-03-01 00:00:00Z',
      'March 1, 2026',
      'Sun, 01 Mar 2026 00:00:00 GMT',
      '2026-02-29', // not a leap year
      '2026-13-01',
      '2026-03-01T24:00:00Z',
      '2026-03-01T23:59:60Z',
      '2026-03-01T12:00:00+24:00',
      '2026-3-1',
      '26-03-01',
      '+002026-03-01',
      '',
    ]) {
      expect(both(c('t', 'before', [at]), { t: bad }), bad).toEqual([false, false]);
      expect(both(c('t', 'after', [at]), { t: bad }), bad).toEqual([false, false]);
    }
  });

  it('an unparseable or numeric value never matches (validation refuses it)', () => {
    expect(both(c('t', 'before', ['next tuesday']), { t: ms })).toEqual([false, true]);
    expect(both(c('t', 'before', [ms + 1]), { t: ms })).toEqual([false, true]);
  });
});

describe('parseIsoInstant', () => {
  it.each([
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T09:30Z', '2026-03-01T09:30:00.000Z'],
    ['2026-03-01T09:30:15Z', '2026-03-01T09:30:15.000Z'],
    ['2026-03-01T09:30:15.2Z', '2026-03-01T09:30:15.200Z'],
    ['2026-03-01T09:30:15.123456789Z', '2026-03-01T09:30:15.123Z'],
    ['2026-03-01t09:30:15z', '2026-03-01T09:30:15.000Z'],
    ['2026-03-01T09:30:15+05:30', '2026-03-01T04:00:15.000Z'],
    ['2026-03-01T09:30:15+0530', '2026-03-01T04:00:15.000Z'],
    ['2026-03-01T09:30:15+05', '2026-03-01T04:30:15.000Z'],
    ['2026-03-01T01:00:00-03:00', '2026-03-01T04:00:00.000Z'],
    ['2024-02-29T23:59:59.999-00:00', '2024-02-29T23:59:59.999Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['1969-12-31T23:59:59Z', '1969-12-31T23:59:59.000Z'],
    ['0099-01-01', '0099-01-01T00:00:00.000Z'],
  ])('%s is %s', (input, iso) => {
    const expected = new Date(iso).getTime();
    expect(parseIsoInstant(input)).toBe(expected);
  });

  it('refuses years that are not leap years on 29 February', () => {
    expect(parseIsoInstant('1900-02-29')).toBeUndefined();
    expect(parseIsoInstant('2023-02-29')).toBeUndefined();
    expect(parseIsoInstant('2026-04-31')).toBeUndefined();
  });
});

describe('the `now` attribute', () => {
  const launch = c('now', 'after', ['2026-03-01T00:00:00+01:00']); // 2026-02-28T23:00:00Z
  const switchAt = Date.UTC(2026, 1, 28, 23);

  it('is the evaluation time, so a rule switches on at a date', () => {
    expect(holds(launch, {}, { now: switchAt - 1 })).toBe(false);
    expect(holds(launch, {}, { now: switchAt })).toBe(false); // exclusive
    expect(holds(launch, {}, { now: switchAt + 1 })).toBe(true);
    expect(holds({ ...launch, negate: true }, {}, { now: switchAt - 1 })).toBe(true);
    expect(holds({ ...launch, negate: true }, {}, { now: switchAt + 1 })).toBe(false);
  });

  it('a context may set it, as an ISO string or ms', () => {
    expect(holds(launch, { now: '2026-03-02T00:00:00Z' }, { now: switchAt - 1 })).toBe(true);
    expect(holds(launch, { now: switchAt - 1 }, { now: switchAt + 1 })).toBe(false);
    // an undefined or null context `now` is the clock
    expect(holds(launch, { now: undefined }, { now: switchAt + 1 })).toBe(true);
    expect(holds(launch, { now: null }, { now: switchAt + 1 })).toBe(true);
    // a context `now` that is not an instant fails, it does not fall back to the clock
    expect(holds(launch, { now: 'tomorrow' }, { now: switchAt + 1 })).toBe(false);
  });

  it('works with numeric operators too (ms since the epoch)', () => {
    expect(holds(c('now', 'gte', [switchAt]), {}, { now: switchAt })).toBe(true);
    expect(holds(c('now', 'gt', [switchAt]), {}, { now: switchAt })).toBe(false);
  });
});

describe('semver operators', () => {
  const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0-rc.1', '1.0.0'];

  it('order pre-releases: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-beta < 1.0.0-rc.1 < 1.0.0', () => {
    for (let i = 0; i < chain.length; i++) {
      for (let j = 0; j < chain.length; j++) {
        const ctx = { version: chain[i] };
        expect(holds(c('version', 'semver_gt', [chain[j]!]), ctx), `${chain[i]} > ${chain[j]}`).toBe(i > j);
        expect(holds(c('version', 'semver_lt', [chain[j]!]), ctx), `${chain[i]} < ${chain[j]}`).toBe(i < j);
        expect(holds(c('version', 'semver_eq', [chain[j]!]), ctx), `${chain[i]} = ${chain[j]}`).toBe(i === j);
      }
    }
  });

  it('on both sides of a boundary', () => {
    expect(both(c('v', 'semver_gt', ['2.3.0']), { v: '2.3.1' })).toEqual([true, false]);
    expect(both(c('v', 'semver_gt', ['2.3.0']), { v: '2.3.0' })).toEqual([false, true]);
    expect(both(c('v', 'semver_gt', ['2.3.0']), { v: '2.3.0-rc.9' })).toEqual([false, true]);
    expect(both(c('v', 'semver_lt', ['2.3.0']), { v: '2.3.0-rc.9' })).toEqual([true, false]);
    expect(both(c('v', 'semver_lt', ['2.3.0']), { v: '2.3.0' })).toEqual([false, true]);
    expect(both(c('v', 'semver_gt', ['2.9.0']), { v: '2.10.0' })).toEqual([true, false]);
  });

  it('ignore build metadata and accept a leading v', () => {
    expect(holds(c('v', 'semver_eq', ['1.4.0']), { v: 'v1.4.0+build.77' })).toBe(true);
    expect(holds(c('v', 'semver_eq', ['v1.4.0+other']), { v: '1.4.0' })).toBe(true);
    expect(holds(c('v', 'semver_gt', ['1.4.0+zzz']), { v: '1.4.0+aaa' })).toBe(false);
  });

  it('with several values, any applies', () => {
    expect(holds(c('v', 'semver_eq', ['1.0.0', '2.0.0']), { v: '2.0.0' })).toBe(true);
    expect(holds(c('v', 'semver_gt', ['3.0.0', '1.0.0']), { v: '2.0.0' })).toBe(true);
    expect(holds(c('v', 'semver_lt', ['1.0.0', '3.0.0']), { v: '2.0.0' })).toBe(true);
  });

  it('an invalid context version fails either way', () => {
    for (const bad of ['1.2', '1.2.3.4', '01.2.3', 'latest', '', ' 1.2.3', '1.2.3-']) {
      expect(both(c('v', 'semver_eq', ['1.2.3']), { v: bad }), bad).toEqual([false, false]);
      expect(both(c('v', 'semver_gt', ['1.0.0']), { v: bad }), bad).toEqual([false, false]);
    }
    expect(both(c('v', 'semver_gt', ['1.0.0']), { v: 2 })).toEqual([false, false]);
  });

  it('an invalid value never matches (validation refuses it)', () => {
    expect(both(c('v', 'semver_gt', ['1.x']), { v: '2.0.0' })).toEqual([false, true]);
    expect(both(c('v', 'semver_eq', ['latest']), { v: '2.0.0' })).toEqual([false, true]);
  });
});

describe('in_segment', () => {
  const segments: SegmentLookup = {
    'beta-testers': { conditions: [c('email', 'ends_with', ['@acme.com'])] },
    'eu-pro': { conditions: [c('country', 'in', ['FR', 'DE']), c('plan', 'in', ['pro'])] },
    empty: { conditions: [] },
  };
  const options: ConditionOptions = { now: NOW, segments };

  it('holds when the context satisfies all conditions of a listed segment', () => {
    const cond = c('ignored', 'in_segment', ['eu-pro']);
    expect(both(cond, { country: 'FR', plan: 'pro' }, options)).toEqual([true, false]);
    expect(both(cond, { country: 'FR', plan: 'free' }, options)).toEqual([false, true]);
    expect(both(cond, { country: 'FR' }, options)).toEqual([false, true]); // not a member: negation holds
  });

  it('holds for any of several segments', () => {
    const cond = c('x', 'in_segment', ['eu-pro', 'beta-testers']);
    expect(holds(cond, { email: 'bo@acme.com' }, options)).toBe(true);
    expect(holds(cond, { country: 'DE', plan: 'pro' }, options)).toBe(true);
    expect(holds(cond, { email: 'bo@example.com' }, options)).toBe(false);
  });

  it('ignores the condition attribute', () => {
    const ctx = { email: 'bo@acme.com' };
    expect(holds(c('email', 'in_segment', ['beta-testers']), ctx, options)).toBe(true);
    expect(holds(c('anything', 'in_segment', ['beta-testers']), ctx, options)).toBe(true);
  });

  it('an unknown segment never matches, and its negation does not hold either', () => {
    expect(both(c('x', 'in_segment', ['gone']), { email: 'bo@acme.com' }, options)).toEqual([false, false]);
    expect(both(c('x', 'in_segment', ['beta-testers']), { email: 'bo@acme.com' }, { now: NOW })).toEqual([false, false]);
    // inherited names are not segments
    expect(both(c('x', 'in_segment', ['constructor']), {}, options)).toEqual([false, false]);
    expect(both(c('x', 'in_segment', ['toString']), {}, options)).toEqual([false, false]);
    // a known member still matches beside an unknown segment; a non-member is undecided
    expect(both(c('x', 'in_segment', ['gone', 'beta-testers']), { email: 'bo@acme.com' }, options)).toEqual([true, false]);
    expect(both(c('x', 'in_segment', ['gone', 'beta-testers']), { email: 'bo@example.com' }, options)).toEqual([false, false]);
  });

  it('a segment with no conditions contains nobody', () => {
    expect(both(c('x', 'in_segment', ['empty']), { email: 'bo@acme.com' }, options)).toEqual([false, true]);
  });

  it('combines with other conditions in a rule', () => {
    const rule = [c('x', 'in_segment', ['beta-testers']), c('version', 'semver_gt', ['2.0.0'])];
    expect(conditionsMatch(rule, { email: 'bo@acme.com', version: '2.1.0' }, options)).toBe(true);
    expect(conditionsMatch(rule, { email: 'bo@acme.com', version: '1.9.0' }, options)).toBe(false);
  });

  it('a segment may use another segment, up to the depth limit', () => {
    const chain: Record<string, { conditions: Condition[] }> = {};
    // s1 -> s2 -> ... -> sN -> (email check)
    const build = (n: number) => {
      for (let i = 1; i < n; i++) chain[`s${i}`] = { conditions: [c('x', 'in_segment', [`s${i + 1}`])] };
      chain[`s${n}`] = { conditions: [c('email', 'ends_with', ['@acme.com'])] };
    };
    build(MAX_SEGMENT_DEPTH);
    expect(holds(c('x', 'in_segment', ['s1']), { email: 'bo@acme.com' }, { now: NOW, segments: chain })).toBe(true);
    build(MAX_SEGMENT_DEPTH + 1);
    expect(both(c('x', 'in_segment', ['s1']), { email: 'bo@acme.com' }, { now: NOW, segments: chain })).toEqual([false, false]);
  });

  it('guards against recursion: a cycle ends without a match and without throwing', () => {
    const cyclic: SegmentLookup = {
      self: { conditions: [c('x', 'in_segment', ['self'])] },
      a: { conditions: [c('email', 'ends_with', ['@acme.com']), c('x', 'in_segment', ['b'])] },
      b: { conditions: [c('x', 'in_segment', ['a'])] },
      negated: { conditions: [c('x', 'in_segment', ['negated'], { negate: true })] },
    };
    const o = { now: NOW, segments: cyclic };
    expect(both(c('x', 'in_segment', ['self']), {}, o)).toEqual([false, false]);
    expect(both(c('x', 'in_segment', ['a']), { email: 'bo@acme.com' }, o)).toEqual([false, false]);
    expect(both(c('x', 'in_segment', ['negated']), {}, o)).toEqual([false, false]);
    // a definite failure beside the cycle decides: not a member, so the negation holds
    expect(both(c('x', 'in_segment', ['a']), { email: 'bo@example.com' }, o)).toEqual([false, true]);
  });

  it('bounds the work of a wide, deep segment graph', () => {
    const wide: Record<string, { conditions: Condition[] }> = {};
    const ids = Array.from({ length: 500 }, () => 'w');
    wide.w = { conditions: Array.from({ length: 20 }, () => c('x', 'in_segment', ids)) };
    const started = Date.now();
    expect(both(c('x', 'in_segment', ['w']), {}, { now: NOW, segments: wide })).toEqual([false, false]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('prepared values', () => {
  it('notice a replaced values array or operator', () => {
    const cond = c('plan', 'in', ['pro']);
    expect(holds(cond, { plan: 'pro' })).toBe(true);
    cond.values = ['free'];
    expect(holds(cond, { plan: 'pro' })).toBe(false);
    expect(holds(cond, { plan: 'free' })).toBe(true);
    cond.op = 'not_in';
    expect(holds(cond, { plan: 'free' })).toBe(false);
    cond.case_insensitive = true;
    expect(holds(cond, { plan: 'FREE' })).toBe(false);
    expect(holds(cond, { plan: 'PRO' })).toBe(true);
  });

  it('an unknown operator never matches', () => {
    const cond = { attribute: 'plan', op: 'matches_regex', values: ['.*'] } as unknown as Condition;
    expect(both(cond, { plan: 'pro' })).toEqual([false, false]);
  });
});
