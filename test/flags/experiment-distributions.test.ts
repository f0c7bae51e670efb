import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, logGamma, normalCdf, regularizedGammaQ } from '../../src/flags/experiment/distributions';

/** erf by its Maclaurin series, summed in plain doubles: independent of the module's gamma code, good to ~1e-12 for |x| ≤ 3. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const phiSeries = (x: number) => 0.5 * (1 + erfSeries(x / Math.SQRT2));

/** Asymptotic tail Φ(−x) ≈ φ(x)/x · (1 − 1/x² + 3/x⁴ − 15/x⁶ + 105/x⁸), relative error below 1e-5 for x ≥ 8. */
function phiTail(x: number): number {
  const density = Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const inv = 1 / (x * x);
  return (density / x) * (1 - inv + 3 * inv ** 2 - 15 * inv ** 3 + 105 * inv ** 4);
}

/** Chi-square survival for even df, in closed form: e^{−x/2} Σ_{k<df/2} (x/2)^k / k!. */
function chiSquareEven(x: number, df: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < df / 2; k++) {
    term *= x / 2 / k;
    sum += term;
  }
  return Math.exp(-x / 2) * sum;
}

describe('normal CDF', () => {
  it('gives the textbook quantiles', () => {
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 7);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 7);
    expect(normalCdf(1.644854)).toBeCloseTo(0.95, 7);
    expect(normalCdf(2.575829)).toBeCloseTo(0.995, 7);
    expect(normalCdf(0)).toBe(0.5);
  });

  it('matches the erf series to 1e-10 across [-6, 6]', () => {
    for (let x = -6; x <= 6; x += 0.05) expect(Math.abs(normalCdf(x) - phiSeries(x))).toBeLessThan(1e-10);
  });

  it('keeps the far tail accurate in relative terms', () => {
    for (const x of [8, 10, 20, 30]) {
      const exact = phiTail(x);
      expect(Math.abs(normalCdf(-x) - exact) / exact).toBeLessThan(1e-5);
    }
    expect(normalCdf(-40)).toBeGreaterThanOrEqual(0);
    expect(normalCdf(40)).toBe(1);
  });

  it('is symmetric: Φ(x) + Φ(−x) = 1', () => {
    for (const x of [0.1, 0.5, 1, 2.5, 4]) expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 14);
  });

  it('handles infinities', () => {
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
  });
});

describe('incomplete gamma', () => {
  it('ln Γ at known points', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(20.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)) + Array.from({ length: 20 }, (_, i) => Math.log(i + 0.5)).reduce((a, b) => a + b), 10);
  });

  it('Q(1, x) = e^{−x} and Q(2, x) = (1 + x) e^{−x} on both branches (series below a + 1, fraction above)', () => {
    for (const x of [0.01, 0.5, 1.9, 2.1, 2.9, 3.1, 5, 30]) {
      expect(regularizedGammaQ(1, x)).toBeCloseTo(Math.exp(-x), 13);
      expect(regularizedGammaQ(2, x)).toBeCloseTo((1 + x) * Math.exp(-x), 13);
    }
    expect(regularizedGammaQ(3, 0)).toBe(1);
  });

  it('refuses arguments outside its domain', () => {
    expect(() => regularizedGammaQ(0, 1)).toThrow(RangeError);
    expect(() => regularizedGammaQ(1, -1)).toThrow(RangeError);
  });
});

describe('chi-square survival', () => {
  it('matches the critical-value tables', () => {
    expect(chiSquareSurvival(10.828, 1)).toBeCloseTo(0.001, 6);
    expect(chiSquareSurvival(13.816, 2)).toBeCloseTo(0.001, 6);
    expect(chiSquareSurvival(16.266, 3)).toBeCloseTo(0.001, 6);
    expect(chiSquareSurvival(3.841, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(5.991, 2)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(7.815, 3)).toBeCloseTo(0.05, 4);
    expect(chiSquareSurvival(18.307, 10)).toBeCloseTo(0.05, 4);
  });

  it('equals 2(1 − Φ(√x)) for df = 1, using the independent erf series', () => {
    for (const x of [0.1, 1, 2.5, 4, 9]) expect(chiSquareSurvival(x, 1)).toBeCloseTo(2 * (1 - phiSeries(Math.sqrt(x))), 10);
  });

  it('equals the closed form for even df', () => {
    for (const df of [2, 4, 6, 10, 40]) {
      for (const x of [0.5, 3, df, 2 * df + 7, 100]) {
        const exact = chiSquareEven(x, df);
        expect(Math.abs(chiSquareSurvival(x, df) - exact)).toBeLessThan(1e-12 + exact * 1e-10);
      }
    }
  });

  it('is 1 at 0 and 0 at infinity', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(Number.POSITIVE_INFINITY, 3)).toBe(0);
  });
});
