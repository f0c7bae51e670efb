/**
 * Targeting conditions: whether an evaluation context satisfies a list of conditions (all must hold).
 * Pure and synchronous; evaluation calls it once per rule, so it is written for the hot path.
 *
 * A condition `{ attribute, op, values, negate?, case_insensitive? }` holds when the context's
 * `attribute` matches ANY of `values`; with `negate: true`, when it matches NONE. Independently of
 * negation, the condition FAILS when the attribute
 *  - is missing (`undefined` or `null`), or
 *  - cannot be read for the operator: a wrong type (an object, an array, a boolean for a numeric
 *    operator…), a string that is not a number for `eq`/`gt`/…, not a strict ISO-8601 instant for
 *    `before`/`after`, or not a semantic version for `semver_*`.
 * so an unknown or malformed user is never targeted by accident, negated or not.
 *
 * The attribute `now` is the time of evaluation (`options.now`, ms since the epoch) unless the
 * context sets it, so `{ attribute: 'now', op: 'after', values: ['2026-03-01T00:00:00Z'] }` switches
 * a rule on at a date.
 *
 * Operators:
 *  - `in`, `not_in`: string equality. A number (or boolean) in the context compares as its string
 *    form (`42` ≡ `'42'`, `true` ≡ `'true'`), and so does a number in `values`. `not_in` holds when
 *    the attribute equals none of the values.
 *  - `contains`, `starts_with`, `ends_with`: substring tests on the same string form.
 *    `case_insensitive: true` applies to these five string operators (and only to them).
 *  - `eq`, `gt`, `gte`, `lt`, `lte`: numbers. A numeric string (plain decimal, optional sign,
 *    fraction and exponent; no hex, no `Infinity`, no surrounding spaces) counts as its number, in the
 *    context and in `values`; values that are not numbers never match. With several values, "any"
 *    applies: `gt: [10, 20]` holds above 10.
 *  - `before`, `after`: instants, both exclusive. The attribute is a strict ISO-8601 string or a
 *    number of ms since the epoch; values are strict ISO-8601 strings (see `parseIsoInstant`).
 *  - `semver_eq`, `semver_gt`, `semver_lt`: semantic-version precedence (pre-release ordering, build
 *    metadata ignored, leading `v` allowed; see `./semver`).
 *  - `in_segment`: `values` are segment ids and the condition's `attribute` is IGNORED. It holds
 *    when the context satisfies all conditions of at least one listed segment (looked up in
 *    `options.segments`). A segment with no conditions contains nobody. A segment that is unknown,
 *    nested deeper than `MAX_SEGMENT_DEPTH` (which is how a cycle ends) or past the per-call
 *    `MAX_SEGMENT_EVALUATIONS` budget cannot be decided: it never puts the context in a segment, and a
 *    condition that depends on it fails even when negated (a deleted or cyclic segment must not turn
 *    `not in segment` into "everyone").
 *
 * No pattern is ever built from user input. Parsed forms of a condition's `values` (lower-cased
 * strings, numbers, instants, versions) are computed once per condition object and kept in a
 * `WeakMap`; conditions are therefore treated as immutable once evaluated (replacing a condition's
 * `values` array, `op` or `case_insensitive` is detected; editing the array in place is not).
 */
import type { Condition } from './schema';
import { compareSemver, parseSemver, type SemVer } from './semver';

export type SegmentLookup = Readonly<Record<string, { conditions: Condition[] }>>;

export interface ConditionOptions {
  /** Time of evaluation, ms since the epoch: the `now` attribute unless the context sets one. */
  now: number;
  /** Segments that `in_segment` conditions may reference. */
  segments?: SegmentLookup;
}

/** How many segments may nest (a rule's segment referencing a segment…) before evaluation stops. */
export const MAX_SEGMENT_DEPTH = 4;
/** Segment look-ups allowed in one `conditionsMatch` call, bounding the work of wide segment graphs. */
export const MAX_SEGMENT_EVALUATIONS = 1_000;

/** Whether `context` satisfies every condition (true for an empty list). */
export function conditionsMatch(
  conditions: readonly Condition[],
  context: Readonly<Record<string, unknown>>,
  options: ConditionOptions,
): boolean {
  segmentBudget = MAX_SEGMENT_EVALUATIONS;
  return allHold(conditions, context, options, 0) === HOLDS;
}

// ---------- three-valued logic ----------

/** A condition's outcome: holds, fails, or cannot be decided (a segment that is unknown or too deep). */
type Outcome = 0 | 1 | 2;
const FAILS: Outcome = 0;
const HOLDS: Outcome = 1;
const UNDECIDED: Outcome = 2;

/**
 * Remaining segment look-ups in the current `conditionsMatch` call. Module state is safe here: the
 * evaluation is synchronous and never re-entered, and each top-level call resets it.
 */
let segmentBudget = MAX_SEGMENT_EVALUATIONS;

/** Conjunction: fails if any condition fails, else undecided if any is, else holds. */
function allHold(
  conditions: readonly Condition[],
  context: Readonly<Record<string, unknown>>,
  options: ConditionOptions,
  depth: number,
): Outcome {
  let result: Outcome = HOLDS;
  for (let i = 0; i < conditions.length; i++) {
    const outcome = conditionOutcome(conditions[i]!, context, options, depth);
    if (outcome === FAILS) return FAILS;
    if (outcome === UNDECIDED) result = UNDECIDED;
  }
  return result;
}

function conditionOutcome(
  condition: Condition,
  context: Readonly<Record<string, unknown>>,
  options: ConditionOptions,
  depth: number,
): Outcome {
  if (condition === null || typeof condition !== 'object') return FAILS;
  if (condition.op === 'in_segment') return segmentOutcome(condition, context, options, depth);

  let value = context[condition.attribute];
  if ((value === undefined || value === null) && condition.attribute === 'now') value = options.now;
  if (value === undefined || value === null) return FAILS;
  const match = matches(prepared(condition), value);
  if (match === INVALID) return FAILS;
  return (match === MATCH) !== (condition.negate === true) ? HOLDS : FAILS;
}

function segmentOutcome(
  condition: Condition,
  context: Readonly<Record<string, unknown>>,
  options: ConditionOptions,
  depth: number,
): Outcome {
  const ids = condition.values;
  let undecided = false;
  for (let i = 0; i < ids.length; i++) {
    const membership = segmentMembership(ids[i], context, options, depth);
    if (membership === HOLDS) return condition.negate === true ? FAILS : HOLDS;
    if (membership === UNDECIDED) undecided = true;
  }
  if (undecided) return UNDECIDED;
  return condition.negate === true ? HOLDS : FAILS;
}

/** Whether the context is in segment `id`: HOLDS (member), FAILS (not a member) or UNDECIDED. */
function segmentMembership(
  id: unknown,
  context: Readonly<Record<string, unknown>>,
  options: ConditionOptions,
  depth: number,
): Outcome {
  if (depth >= MAX_SEGMENT_DEPTH || segmentBudget <= 0) return UNDECIDED;
  segmentBudget--;
  const segments = options.segments;
  // `hasOwn`, not `in`: `constructor` is a valid segment id and must not resolve to Object's.
  if (typeof id !== 'string' || !segments || !Object.hasOwn(segments, id)) return UNDECIDED;
  const conditions = segments[id]?.conditions;
  if (!Array.isArray(conditions)) return UNDECIDED;
  if (conditions.length === 0) return FAILS;
  return allHold(conditions, context, options, depth + 1);
}

// ---------- operators ----------

type Match = 0 | 1 | 2;
const NO_MATCH: Match = 0;
const MATCH: Match = 1;
/** The attribute cannot be read for this operator (wrong type or unparseable). */
const INVALID: Match = 2;

interface Prepared {
  /** What this preparation was computed from, to notice a replaced condition field. */
  readonly source: readonly unknown[];
  readonly op: Condition['op'];
  readonly caseInsensitive: boolean;
  /** `in` / `not_in`: the values' string forms (lower-cased when case-insensitive). */
  readonly set?: ReadonlySet<string>;
  /** `contains` / `starts_with` / `ends_with`: the same, as a list. */
  readonly strings?: readonly string[];
  /** `eq`: the numeric values. */
  readonly numbers?: readonly number[];
  /** Smallest and largest numeric (or instant) value: ±Infinity when there is none. */
  readonly min: number;
  readonly max: number;
  /** `semver_*`: parsed values, and the lowest and highest of them. */
  readonly versions?: readonly SemVer[];
  readonly minVersion?: SemVer;
  readonly maxVersion?: SemVer;
}

const preparedCache = new WeakMap<Condition, Prepared>();

function prepared(condition: Condition): Prepared {
  const caseInsensitive = condition.case_insensitive === true;
  const cached = preparedCache.get(condition);
  if (cached && cached.source === condition.values && cached.op === condition.op && cached.caseInsensitive === caseInsensitive) {
    return cached;
  }
  const fresh = prepare(condition.op, condition.values, caseInsensitive);
  preparedCache.set(condition, fresh);
  return fresh;
}

function prepare(op: Condition['op'], values: readonly unknown[], caseInsensitive: boolean): Prepared {
  const base = { source: values, op, caseInsensitive, min: Infinity, max: -Infinity };
  switch (op) {
    case 'in':
    case 'not_in':
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      const strings: string[] = [];
      for (const v of values) {
        const s = stringForm(v);
        if (s !== undefined) strings.push(caseInsensitive ? s.toLowerCase() : s);
      }
      return op === 'in' || op === 'not_in' ? { ...base, set: new Set(strings) } : { ...base, strings };
    }
    case 'eq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const numbers: number[] = [];
      for (const v of values) {
        const n = numericValue(v);
        if (n !== undefined) numbers.push(n);
      }
      return { ...base, numbers, min: Math.min(...numbers), max: Math.max(...numbers) };
    }
    case 'before':
    case 'after': {
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        const t = typeof v === 'string' ? parseIsoInstant(v) : undefined;
        if (t === undefined) continue;
        if (t < min) min = t;
        if (t > max) max = t;
      }
      return { ...base, min, max };
    }
    case 'semver_eq':
    case 'semver_gt':
    case 'semver_lt': {
      const versions: SemVer[] = [];
      let minVersion: SemVer | undefined;
      let maxVersion: SemVer | undefined;
      for (const v of values) {
        const parsed = typeof v === 'string' ? parseSemver(v) : undefined;
        if (!parsed) continue;
        versions.push(parsed);
        if (!minVersion || compareSemver(parsed, minVersion) < 0) minVersion = parsed;
        if (!maxVersion || compareSemver(parsed, maxVersion) > 0) maxVersion = parsed;
      }
      return { ...base, versions, minVersion, maxVersion };
    }
    default:
      return base;
  }
}

/** Whether `value` (present) matches any of the prepared values, or cannot be read for the operator. */
function matches(p: Prepared, value: unknown): Match {
  switch (p.op) {
    case 'in':
    case 'not_in': {
      let s = stringForm(value);
      if (s === undefined) return INVALID;
      if (p.caseInsensitive) s = s.toLowerCase();
      const found = p.set!.has(s);
      return (p.op === 'in' ? found : !found) ? MATCH : NO_MATCH;
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      let s = stringForm(value);
      if (s === undefined) return INVALID;
      if (p.caseInsensitive) s = s.toLowerCase();
      const strings = p.strings!;
      for (let i = 0; i < strings.length; i++) {
        const v = strings[i]!;
        if (p.op === 'contains' ? s.includes(v) : p.op === 'starts_with' ? s.startsWith(v) : s.endsWith(v)) return MATCH;
      }
      return NO_MATCH;
    }
    case 'eq': {
      const n = numericValue(value);
      if (n === undefined) return INVALID;
      const numbers = p.numbers!;
      for (let i = 0; i < numbers.length; i++) if (numbers[i] === n) return MATCH;
      return NO_MATCH;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const n = numericValue(value);
      if (n === undefined) return INVALID;
      const hit = p.op === 'gt' ? n > p.min : p.op === 'gte' ? n >= p.min : p.op === 'lt' ? n < p.max : n <= p.max;
      return hit ? MATCH : NO_MATCH;
    }
    case 'before':
    case 'after': {
      const t = instantValue(value);
      if (t === undefined) return INVALID;
      return (p.op === 'before' ? t < p.max : t > p.min) ? MATCH : NO_MATCH;
    }
    case 'semver_eq':
    case 'semver_gt':
    case 'semver_lt': {
      const version = typeof value === 'string' ? parseSemver(value) : undefined;
      if (!version) return INVALID;
      if (p.op === 'semver_gt') return p.minVersion && compareSemver(version, p.minVersion) > 0 ? MATCH : NO_MATCH;
      if (p.op === 'semver_lt') return p.maxVersion && compareSemver(version, p.maxVersion) < 0 ? MATCH : NO_MATCH;
      const versions = p.versions!;
      for (let i = 0; i < versions.length; i++) if (compareSemver(version, versions[i]!) === 0) return MATCH;
      return NO_MATCH;
    }
    default:
      // An operator this build does not know (a newer configuration): never targets.
      return INVALID;
  }
}

// ---------- value readers (shared with validation) ----------

/** The string form used by the string operators: strings, finite numbers and booleans. */
export function stringForm(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite number, or a plain decimal string's number; anything else is `undefined`. */
export function numericValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length > 64 || !DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** An instant in ms: a finite number as is, or a strict ISO-8601 string. */
function instantValue(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return parseIsoInstant(value);
  return undefined;
}

const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?))?$/;

/**
 * Parses a strict ISO-8601 instant to ms since the epoch, or `undefined`. Accepted forms:
 *  - a date, `2026-03-01`, taken as midnight UTC;
 *  - a date and time with an offset: `2026-03-01T09:30Z`, `2026-03-01T09:30:15.250+05:30`,
 *    `…-0800`, `…+02`. Seconds and a fraction (1–9 digits, truncated to ms) are optional.
 * A date-time without an offset is refused (it is not an instant), as are calendar dates that do not
 * exist (`2026-02-29`), hour 24, leap second 60, and everything `Date.parse` would merely guess at.
 */
export function parseIsoInstant(input: string): number | undefined {
  if (typeof input !== 'string' || input.length > 40) return undefined;
  const m = ISO_INSTANT.exec(input);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  let ms = daysFromCivil(year, month, day) * 86_400_000;
  if (m[4] === undefined) return ms;
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  ms += hour * 3_600_000 + minute * 60_000 + second * 1_000;
  if (m[7] !== undefined) ms += Number(m[7].length >= 3 ? m[7].slice(0, 3) : m[7].padEnd(3, '0'));
  if (m[8] === undefined) {
    const offsetHours = Number(m[10]);
    const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
    ms -= m[9] === '-' ? -offset : offset;
  }
  return ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; no `Date`, no two-digit-year quirks). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
