import { describe, expect, it } from 'vitest';
import { compareSemver, compareSemverStrings, isValidSemver, MAX_SEMVER_LENGTH, parseSemver } from '../../src/flags/semver';

describe('parseSemver', () => {
  it('parses core, pre-release and build parts', () => {
    expect(parseSemver('1.2.3')).toEqual({ major: '1', minor: '2', patch: '3', prerelease: [], build: [] });
    expect(parseSemver('10.20.30-rc.1+build.5.sha-abc')).toEqual({
      major: '10',
      minor: '20',
      patch: '30',
      prerelease: ['rc', '1'],
      build: ['build', '5', 'sha-abc'],
    });
    expect(parseSemver('0.0.0-0.3.7')?.prerelease).toEqual(['0', '3', '7']);
    expect(parseSemver('1.0.0-x-y-z.--')?.prerelease).toEqual(['x-y-z', '--']);
    expect(parseSemver('1.0.0+0017')?.build).toEqual(['0017']); // build identifiers may have leading zeros
  });

  it('allows one leading v', () => {
    expect(parseSemver('v1.2.3')).toEqual(parseSemver('1.2.3'));
    expect(parseSemver('V1.2.3')).toEqual(parseSemver('1.2.3'));
    expect(parseSemver('vv1.2.3')).toBeUndefined();
  });

  it.each([
    '',
    '1',
    '1.2',
    '1.2.3.4',
    '01.2.3',
    '1.02.3',
    '1.2.03',
    '1.2.3-01', // numeric pre-release identifiers have no leading zeros
    '1.2.3-',
    '1.2.3-alpha..1',
    '1.2.3+',
    '1.2.3+a..b',
    '1.2.3-alpha_1',
    ' 1.2.3',
    '1.2.3 ',
    '=1.2.3',
    '^1.2.3',
    '1.2.x',
    '-1.2.3',
    'a.b.c',
  ])('refuses %j', (input) => {
    expect(parseSemver(input)).toBeUndefined();
    expect(isValidSemver(input)).toBe(false);
  });

  it('refuses inputs longer than the limit', () => {
    const long = `1.2.3-${'a'.repeat(MAX_SEMVER_LENGTH)}`;
    expect(parseSemver(long)).toBeUndefined();
    expect(parseSemver(`1.2.3-${'a'.repeat(MAX_SEMVER_LENGTH - 6)}`)).toBeDefined();
  });

  it('refuses non-strings without throwing', () => {
    expect(parseSemver(123 as unknown as string)).toBeUndefined();
    expect(parseSemver(undefined as unknown as string)).toBeUndefined();
  });
});

describe('compareSemver precedence', () => {
  const cmp = (a: string, b: string) => Math.sign(compareSemverStrings(a, b)!);

  it('orders the spec example chain strictly', () => {
    const chain = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1-0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
    ];
    for (let i = 0; i < chain.length; i++) {
      for (let j = 0; j < chain.length; j++) {
        expect(cmp(chain[i]!, chain[j]!), `${chain[i]} vs ${chain[j]}`).toBe(Math.sign(i - j));
      }
    }
  });

  it('compares numbers numerically, not as text', () => {
    expect(cmp('1.10.0', '1.9.0')).toBe(1);
    expect(cmp('10.0.0', '9.99.99')).toBe(1);
    expect(cmp('1.0.0-rc.10', '1.0.0-rc.9')).toBe(1);
    expect(cmp('1.0.0-2', '1.0.0-10')).toBe(-1);
  });

  it('ranks numeric identifiers below alphanumeric ones, and compares alphanumerics in ASCII order', () => {
    expect(cmp('1.0.0-1', '1.0.0-a')).toBe(-1);
    expect(cmp('1.0.0-999', '1.0.0-0a')).toBe(-1);
    expect(cmp('1.0.0-Beta', '1.0.0-alpha')).toBe(-1); // 'B' < 'a' in ASCII
    expect(cmp('1.0.0-alpha-2', '1.0.0-alpha-10')).toBe(1); // text, not numbers
  });

  it('ignores build metadata and a leading v', () => {
    expect(cmp('1.0.0+build.1', '1.0.0+build.2')).toBe(0);
    expect(cmp('1.0.0-rc.1+a', '1.0.0-rc.1')).toBe(0);
    expect(cmp('v2.3.4', '2.3.4+x')).toBe(0);
  });

  it('keeps precision on numbers beyond 2^53', () => {
    expect(cmp('9007199254740993.0.0', '9007199254740992.0.0')).toBe(1);
    expect(cmp('1.0.0-9007199254740993', '1.0.0-9007199254740992')).toBe(1);
  });

  it('returns undefined when either side is invalid', () => {
    expect(compareSemverStrings('1.0', '1.0.0')).toBeUndefined();
    expect(compareSemverStrings('1.0.0', 'latest')).toBeUndefined();
  });

  it('is antisymmetric on parsed values', () => {
    const a = parseSemver('3.1.4-rc.2')!;
    const b = parseSemver('3.1.4-rc.10')!;
    expect(compareSemver(a, b)).toBeLessThan(0);
    expect(compareSemver(b, a)).toBeGreaterThan(0);
    expect(compareSemver(a, a)).toBe(0);
  });
});
