import { describe, expect, it } from 'vitest';
import type { Condition, Rule } from '../../src/flags/schema';
import { validateConditions, validateFlagConfig, type ValidatableFlag } from '../../src/flags/validate';

function flag(overrides: Partial<ValidatableFlag> = {}): ValidatableFlag {
  return { type: 'boolean', rules: [], ...overrides };
}

const paths = (f: ValidatableFlag) => validateFlagConfig(f).map((i) => i.path);

function rule(conditions: Condition[], serve: Rule['serve'] = { variant: 'on' }): Rule {
  return { conditions, serve };
}

describe('validateFlagConfig: boolean flags', () => {
  it('accepts the article flag: no variants at all', () => {
    expect(validateFlagConfig(flag())).toEqual([]);
    expect(validateFlagConfig(flag({ split: [{ variant: 'on', weight: 2500 }, { variant: 'off', weight: 7500 }] }))).toEqual([]);
    expect(validateFlagConfig(flag({ rules: [rule([{ attribute: 'plan', op: 'in', values: ['pro'] }], { variant: 'off' })] }))).toEqual([]);
  });

  it('refuses references to variants other than the implicit on and off', () => {
    const issues = validateFlagConfig(
      flag({
        on_variant: 'yes',
        split: [{ variant: 'on', weight: 5000 }, { variant: 'maybe', weight: 5000 }],
        rules: [rule([{ attribute: 'a', op: 'in', values: ['x'] }], { variant: 'nope' })],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([['on_variant'], ['split', 1, 'variant'], ['rules', 0, 'serve', 'variant']]);
    expect(issues[0]!.message).toBe('"yes" is not a variant (variants are "on", "off")');
  });

  it('requires declared variants to be booleans', () => {
    const issues = validateFlagConfig(flag({ variants: { on: true, off: 'no' } }));
    expect(issues).toEqual([{ path: ['variants', 'off'], message: 'variant "off" must be true or false in a boolean flag, not a string' }]);
  });

  it('with declared variants, the default on/off names must exist or be set', () => {
    const issues = validateFlagConfig(flag({ variants: { enabled: true, disabled: false } }));
    expect(issues.map((i) => i.path)).toEqual([['on_variant'], ['off_variant']]);
    expect(issues[0]!.message).toContain('defaults to "on"');
    expect(validateFlagConfig(flag({ variants: { enabled: true, disabled: false }, on_variant: 'enabled', off_variant: 'disabled' }))).toEqual([]);
  });

  it('does not resolve inherited names as variants', () => {
    expect(paths(flag({ on_variant: 'constructor' }))).toEqual([['on_variant']]);
    expect(paths(flag({ variants: { on: true, off: false }, off_variant: 'toString' }))).toEqual([['off_variant']]);
  });
});

describe('validateFlagConfig: typed flags', () => {
  it('requires variants, on_variant and off_variant', () => {
    for (const type of ['string', 'number', 'json'] as const) {
      const issues = validateFlagConfig(flag({ type }));
      expect(issues.map((i) => i.path)).toEqual([['variants'], ['on_variant'], ['off_variant']]);
      expect(issues[0]!.message).toBe(`a ${type} flag must declare "variants"`);
    }
    expect(paths(flag({ type: 'string', variants: { a: 'A' }, on_variant: 'a' }))).toEqual([['off_variant']]);
  });

  it('accepts well-formed string, number and json flags', () => {
    expect(validateFlagConfig(flag({ type: 'string', variants: { blue: '#00f', red: '#f00', none: '' }, on_variant: 'blue', off_variant: 'none' }))).toEqual([]);
    expect(validateFlagConfig(flag({ type: 'number', variants: { low: 0.5, high: -3, zero: 0 }, on_variant: 'high', off_variant: 'zero' }))).toEqual([]);
    expect(
      validateFlagConfig(
        flag({
          type: 'json',
          variants: { obj: { a: [1, { b: null }], c: 'x' }, arr: [1, 2], str: 's', num: 1, nil: null, bool: false },
          on_variant: 'obj',
          off_variant: 'nil',
        }),
      ),
    ).toEqual([]);
  });

  it('checks each variant value against the type, naming the variant', () => {
    expect(validateFlagConfig(flag({ type: 'string', variants: { blue: 'b', red: 7 }, on_variant: 'blue', off_variant: 'blue' }))).toEqual([
      { path: ['variants', 'red'], message: 'variant "red" must be a string in a string flag, not a number' },
    ]);
    expect(
      paths(flag({ type: 'number', variants: { a: '1', b: NaN, c: Infinity, d: 2, e: true }, on_variant: 'd', off_variant: 'd' })),
    ).toEqual([
      ['variants', 'a'],
      ['variants', 'b'],
      ['variants', 'c'],
      ['variants', 'e'],
    ]);
    class Custom {}
    expect(
      paths(
        flag({
          type: 'json',
          variants: { ok: {}, fn: () => 1, deep: { a: [1, undefined] }, nan: { n: NaN }, cls: new Custom(), date: new Date(0), sparse: [1, , 3] },
          on_variant: 'ok',
          off_variant: 'ok',
        }),
      ),
    ).toEqual([
      ['variants', 'fn'],
      ['variants', 'deep'],
      ['variants', 'nan'],
      ['variants', 'cls'],
      ['variants', 'date'],
      ['variants', 'sparse'],
    ]);
  });

  it('checks every variant reference', () => {
    const issues = validateFlagConfig(
      flag({
        type: 'string',
        variants: { a: 'A', b: 'B' },
        on_variant: 'a',
        off_variant: 'z',
        split: [{ variant: 'a', weight: 5000 }, { variant: 'c', weight: 5000 }],
        rules: [
          rule([{ attribute: 'p', op: 'in', values: ['x'] }], { variant: 'b' }),
          rule([{ attribute: 'p', op: 'in', values: ['y'] }], { variant: 'q' }),
          rule([{ attribute: 'p', op: 'in', values: ['z'] }], { split: [{ variant: 'b', weight: 9000 }, { variant: 'w', weight: 1000 }] }),
        ],
      }),
    );
    expect(issues).toEqual([
      { path: ['off_variant'], message: '"z" is not a variant (variants are "a", "b")' },
      { path: ['split', 1, 'variant'], message: '"c" is not a variant (variants are "a", "b")' },
      { path: ['rules', 1, 'serve', 'variant'], message: '"q" is not a variant (variants are "a", "b")' },
      { path: ['rules', 2, 'serve', 'split', 1, 'variant'], message: '"w" is not a variant (variants are "a", "b")' },
    ]);
  });

  it('an empty variants object leaves nothing to serve', () => {
    const issues = validateFlagConfig(flag({ type: 'number', variants: {}, on_variant: 'a', off_variant: 'b' }));
    expect(issues.map((i) => i.path)).toEqual([['on_variant'], ['off_variant']]);
    expect(issues[0]!.message).toBe('"a" is not a variant (the flag declares no variants)');
  });
});

describe('validateFlagConfig: splits', () => {
  it('refuses a variant repeated in a split', () => {
    expect(
      validateFlagConfig(
        flag({ split: [{ variant: 'on', weight: 3000 }, { variant: 'off', weight: 4000 }, { variant: 'on', weight: 3000 }] }),
      ),
    ).toEqual([{ path: ['split', 2, 'variant'], message: '"on" appears more than once in this split (first at position 0)' }]);
    expect(
      paths(
        flag({
          rules: [rule([{ attribute: 'a', op: 'in', values: ['x'] }], { split: [{ variant: 'off', weight: 1 }, { variant: 'off', weight: 9999 }] })],
        }),
      ),
    ).toEqual([['rules', 0, 'serve', 'split', 1, 'variant']]);
  });

  it('still reports repeats when a typed flag is missing its variants', () => {
    expect(paths(flag({ type: 'string', split: [{ variant: 'a', weight: 5000 }, { variant: 'a', weight: 5000 }] }))).toEqual([
      ['variants'],
      ['on_variant'],
      ['off_variant'],
      ['split', 1, 'variant'],
    ]);
  });
});

describe('validateFlagConfig: operators and values', () => {
  const issuesFor = (conditions: Condition[]) => validateFlagConfig(flag({ rules: [rule([{ attribute: 'ok', op: 'in', values: ['x'] }]), rule(conditions)] }));

  it('accepts compatible values', () => {
    expect(
      issuesFor([
        { attribute: 'a', op: 'in', values: ['x', 1] },
        { attribute: 'a', op: 'contains', values: [''] },
        { attribute: 'n', op: 'gt', values: [1, '2.5', '-1e3'] },
        { attribute: 'now', op: 'after', values: ['2026-03-01', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00.5+05:30'] },
        { attribute: 'v', op: 'semver_lt', values: ['1.2.3', 'v2.0.0-rc.1+b7'] },
        { attribute: 'x', op: 'in_segment', values: ['beta-testers', 'eu.pro_2'] },
      ]),
    ).toEqual([]);
  });

  it('names the exact value of a numeric operator that is not a number', () => {
    expect(issuesFor([{ attribute: 'n', op: 'gte', values: [1, 'ten', '0x10'] }])).toEqual([
      { path: ['rules', 1, 'conditions', 0, 'values', 1], message: 'gte: "ten" is not a number' },
      { path: ['rules', 1, 'conditions', 0, 'values', 2], message: 'gte: "0x10" is not a number' },
    ]);
    for (const op of ['eq', 'gt', 'lt', 'lte'] as const) {
      expect(issuesFor([{ attribute: 'n', op, values: [''] }]).map((i) => i.path)).toEqual([['rules', 1, 'conditions', 0, 'values', 0]]);
    }
  });

  it('refuses dates that are not strict ISO-8601 instants', () => {
    const issues = issuesFor([
      { attribute: 'a', op: 'in', values: ['x'] },
      { attribute: 'now', op: 'before', values: ['2026-03-01T00:00:00', 'March 1 2026', 1772323200000, '2026-02-30'] },
    ]);
    expect(issues.map((i) => i.path)).toEqual([
      ['rules', 1, 'conditions', 1, 'values', 0],
      ['rules', 1, 'conditions', 1, 'values', 1],
      ['rules', 1, 'conditions', 1, 'values', 2],
      ['rules', 1, 'conditions', 1, 'values', 3],
    ]);
    expect(issues[0]!.message).toMatch(/^before: "2026-03-01T00:00:00" is not an ISO-8601 instant/);
    expect(issuesFor([{ attribute: 'now', op: 'after', values: ['soon'] }]).map((i) => i.path)).toEqual([['rules', 1, 'conditions', 0, 'values', 0]]);
  });

  it('refuses versions that are not semver', () => {
    const issues = issuesFor([{ attribute: 'v', op: 'semver_eq', values: ['1.2', '1.2.3', 'latest', 3] }]);
    expect(issues.map((i) => i.path)).toEqual([
      ['rules', 1, 'conditions', 0, 'values', 0],
      ['rules', 1, 'conditions', 0, 'values', 2],
      ['rules', 1, 'conditions', 0, 'values', 3],
    ]);
    expect(issues[0]!.message).toMatch(/^semver_eq: "1.2" is not a semantic version/);
    for (const op of ['semver_gt', 'semver_lt'] as const) {
      expect(issuesFor([{ attribute: 'v', op, values: ['01.0.0'] }]).map((i) => i.path)).toEqual([['rules', 1, 'conditions', 0, 'values', 0]]);
    }
  });

  it('refuses segment references that are not segment ids', () => {
    const issues = issuesFor([{ attribute: 'x', op: 'in_segment', values: ['ok', 'has space', '-lead', 42, 'a'.repeat(65)] }]);
    expect(issues.map((i) => i.path)).toEqual([
      ['rules', 1, 'conditions', 0, 'values', 1],
      ['rules', 1, 'conditions', 0, 'values', 2],
      ['rules', 1, 'conditions', 0, 'values', 3],
      ['rules', 1, 'conditions', 0, 'values', 4],
    ]);
    expect(issues[0]!.message).toBe('in_segment: "has space" is not a segment id');
  });

  it('validateConditions reports under any prefix (for segments)', () => {
    expect(validateConditions([{ attribute: 'n', op: 'lt', values: ['x'] }], ['conditions'])).toEqual([
      { path: ['conditions', 0, 'values', 0], message: 'lt: "x" is not a number' },
    ]);
  });

  it('reports every issue at once, in order', () => {
    const issues = validateFlagConfig(
      flag({
        type: 'number',
        variants: { a: 1, b: 'two' },
        on_variant: 'a',
        off_variant: 'c',
        rules: [rule([{ attribute: 'n', op: 'gt', values: ['x'] }], { variant: 'd' })],
      }),
    );
    expect(issues.map((i) => i.path)).toEqual([
      ['variants', 'b'],
      ['off_variant'],
      ['rules', 0, 'serve', 'variant'],
      ['rules', 0, 'conditions', 0, 'values', 0],
    ]);
  });
});
