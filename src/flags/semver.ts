/**
 * Semantic Versioning 2.0.0 (https://semver.org): parsing and precedence, for the `semver_eq`,
 * `semver_gt` and `semver_lt` targeting operators.
 *
 * - A single leading `v` or `V` is allowed (`v1.2.3`), as app versions are often written that way.
 * - Precedence follows §11: major, minor and patch numerically; a version with a pre-release is lower
 *   than the same version without one; pre-release identifiers compare left to right, numeric ones
 *   numerically, alphanumeric ones in ASCII order, numeric below alphanumeric, and a shorter list
 *   below a longer one that it prefixes. So `1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta <
 *   1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0`.
 * - Build metadata (`+build.5`) is parsed and validated but ignored by precedence.
 * - Numeric identifiers have no leading zeros (per the spec) and may be arbitrarily long: they are
 *   compared by length, then digit by digit, so precision is never lost.
 *
 * The grammar is the spec's own, as one fixed internal regular expression; nothing here ever builds a
 * pattern from user input. Inputs longer than `MAX_SEMVER_LENGTH` are refused before matching.
 */

export interface SemVer {
  /** Decimal digits, no leading zeros (except `0` itself). */
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** Pre-release identifiers (`['rc', '1']` for `-rc.1`); empty for a release. */
  readonly prerelease: readonly string[];
  /** Build metadata identifiers; ignored by precedence. */
  readonly build: readonly string[];
}

/** Longest string accepted as a version (the flag schema's item length). */
export const MAX_SEMVER_LENGTH = 256;

const NUMERIC = '0|[1-9]\\d*';
const PRERELEASE_ID = `(?:${NUMERIC}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_ID = '[0-9A-Za-z-]+';
const SEMVER_PATTERN = new RegExp(
  `^[vV]?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})` +
    `(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?` +
    `(?:\\+(${BUILD_ID}(?:\\.${BUILD_ID})*))?$`,
);

const NO_IDENTIFIERS: readonly string[] = Object.freeze([]);

/** Parses a version, or returns `undefined` when it is not valid semver 2.0 (after an optional `v`). */
export function parseSemver(input: string): SemVer | undefined {
  if (typeof input !== 'string' || input.length === 0 || input.length > MAX_SEMVER_LENGTH) return undefined;
  const m = SEMVER_PATTERN.exec(input);
  if (!m) return undefined;
  return {
    major: m[1]!,
    minor: m[2]!,
    patch: m[3]!,
    prerelease: m[4] === undefined ? NO_IDENTIFIERS : m[4].split('.'),
    build: m[5] === undefined ? NO_IDENTIFIERS : m[5].split('.'),
  };
}

export function isValidSemver(input: string): boolean {
  return parseSemver(input) !== undefined;
}

/** Precedence of `a` against `b`: negative, zero or positive. Build metadata is ignored. */
export function compareSemver(a: SemVer, b: SemVer): number {
  return (
    compareNumeric(a.major, b.major) ||
    compareNumeric(a.minor, b.minor) ||
    compareNumeric(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** Compares two version strings; `undefined` when either is not valid semver. */
export function compareSemverStrings(a: string, b: string): number | undefined {
  const left = parseSemver(a);
  const right = parseSemver(b);
  if (!left || !right) return undefined;
  return compareSemver(left, right);
}

function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  // A release (no identifiers) ranks above any pre-release of the same version.
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xNumeric = isDigits(x);
    const yNumeric = isDigits(y);
    let c: number;
    if (xNumeric && yNumeric) c = compareNumeric(x, y);
    else if (xNumeric) c = -1;
    else if (yNumeric) c = 1;
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Compares digit strings without leading zeros: the longer is larger, else the first differing digit. */
function compareNumeric(x: string, y: string): number {
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return s.length > 0;
}
