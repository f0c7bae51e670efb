/**
 * The two distributions the experiment read-out needs, written here rather than taken from npm:
 * the standard normal CDF Φ and the chi-square survival function. Both come from one routine, the
 * regularised incomplete gamma function (Numerical Recipes §6.2: its power series below `a + 1`,
 * Lentz's continued fraction above), because
 *   Φ(x) = ½ (1 + sign(x) · P(½, x²/2))   and   P(χ² > x | k) = Q(k/2, x/2).
 * Both parts converge to a relative error near 1e-15, far inside the ~1e-7 the read-out needs, and
 * the continued fraction keeps far tails (Φ(−8) ≈ 6e-16) accurate in relative terms instead of
 * rounding them to 0 the way `1 − Φ(8)` would. A few dozen lines do not justify a dependency.
 */

const EPSILON = 1e-15;
const MAX_ITERATIONS = 500;
/** Guards Lentz's method against division by zero. */
const TINY = 1e-300;

// Lanczos approximation (g = 7, 9 terms): relative error below 1e-15 for positive arguments.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(a) for a > 0. */
export function logGamma(a: number): number {
  if (!(a > 0)) throw new RangeError('logGamma needs a > 0');
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a); // reflection
  const x = a - 1;
  let sum = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i]! / (x + i);
  const t = x + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** e^{−x} x^a / Γ(a): the factor shared by the series and the continued fraction. */
function gammaPrefactor(a: number, x: number): number {
  return Math.exp(-x + a * Math.log(x) - logGamma(a));
}

/** P(a, x) by its power series; converges quickly for x < a + 1. */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n <= MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * gammaPrefactor(a, x);
}

/** Q(a, x) by its continued fraction (modified Lentz); converges quickly for x ≥ a + 1. */
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h * gammaPrefactor(a, x);
}

/**
 * Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x), for a > 0, x ≥ 0;
 * computed directly (not as 1 − P) in the tail, where it is small.
 */
export function regularizedGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError('regularizedGammaQ needs a > 0 and x >= 0');
  if (x === 0) return 1;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  const half = regularizedGammaQ(0.5, (x * x) / 2) / 2; // = Φ(−|x|), exact in the tail
  return x < 0 ? half : 1 - half;
}

/** Chi-square survival function P(X > x) with `df` degrees of freedom (df ≥ 1, x ≥ 0). */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError('chiSquareSurvival needs df > 0');
  if (!(x > 0)) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return regularizedGammaQ(df / 2, x / 2);
}
