/**
 * Cross-field checks of a flag's variants and targeting rules: what the zod schemas cannot check one
 * field at a time. Run on the configuration as it will be stored (after defaults and a patch are
 * applied); every issue names the exact path of the offending field within the flag's body, e.g.
 * `['rules', 2, 'conditions', 0, 'values', 1]` or `['variants', 'blue']`, for a 400 response.
 *
 * Checks:
 *  - a string, number or JSON flag declares `variants`, `on_variant` and `off_variant`; a boolean
 *    flag may omit them (`{ on: true, off: false }`, `on`, `off`), and any variants it declares are
 *    booleans;
 *  - each variant's value has the flag's type: a string, a finite number, or any JSON value (null,
 *    boolean, finite number, string, array, plain object, nested);
 *  - `on_variant`, `off_variant`, the default split's variants, and each rule's served variant or split
 *    variants exist among the variants (explicit, or a boolean flag's implicit `on`/`off`);
 *  - a split names each variant at most once;
 *  - an experiment's `control` is one of the variants;
 *  - each condition's values suit its operator (see `validateConditions`).
 */
import { numericValue, parseIsoInstant } from './conditions';
import { idSchema, type Condition, type FlagConfig, type Split } from './schema';
import { parseSemver } from './semver';

export interface ValidationIssue {
  path: (string | number)[];
  message: string;
}

export type ValidatableFlag = Pick<FlagConfig, 'type' | 'variants' | 'on_variant' | 'off_variant' | 'split' | 'rules'> & Partial<Pick<FlagConfig, 'experiment'>>;

const IMPLICIT_BOOLEAN_VARIANTS: Readonly<Record<string, unknown>> = Object.freeze({ on: true, off: false });

export function validateFlagConfig(flag: ValidatableFlag): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const type = flag.type ?? 'boolean';
  const isBoolean = type === 'boolean';

  if (!isBoolean) {
    for (const field of ['variants', 'on_variant', 'off_variant'] as const) {
      if (flag[field] === undefined || flag[field] === null) {
        issues.push({ path: [field], message: `a ${type} flag must declare "${field}"` });
      }
    }
  }

  const declared = flag.variants ?? undefined;
  if (declared) {
    for (const key of Object.keys(declared)) {
      const problem = valueTypeProblem(type, declared[key]);
      if (problem) issues.push({ path: ['variants', key], message: `variant "${key}" ${problem}` });
    }
  }

  // Without variants, a non-boolean flag has nothing to reference: the missing field was reported.
  const variants = declared ?? (isBoolean ? IMPLICIT_BOOLEAN_VARIANTS : undefined);
  if (variants) {
    const keys = Object.keys(variants);
    const known = (key: string) => Object.hasOwn(variants, key);
    const listed = () => (keys.length === 0 ? 'the flag declares no variants' : `variants are ${keys.map((k) => `"${k}"`).join(', ')}`);

    for (const [field, fallback] of [
      ['on_variant', 'on'],
      ['off_variant', 'off'],
    ] as const) {
      const explicit = flag[field] ?? undefined;
      if (explicit === undefined && !isBoolean) continue; // reported above
      const key = explicit ?? fallback;
      if (!known(key)) {
        issues.push({
          path: [field],
          message:
            explicit === undefined
              ? `"${field}" defaults to "${fallback}", which is not a variant; set "${field}" (${listed()})`
              : `"${key}" is not a variant (${listed()})`,
        });
      }
    }

    if (flag.split) checkSplit(flag.split, ['split'], known, listed, issues);
    const control = flag.experiment?.control;
    if (control !== undefined && !known(control)) {
      issues.push({ path: ['experiment', 'control'], message: `"${control}" is not a variant (${listed()})` });
    }
    (flag.rules ?? []).forEach((rule, i) => {
      const serve = rule?.serve;
      if (serve && 'variant' in serve) {
        if (!known(serve.variant)) {
          issues.push({ path: ['rules', i, 'serve', 'variant'], message: `"${serve.variant}" is not a variant (${listed()})` });
        }
      } else if (serve && 'split' in serve) {
        checkSplit(serve.split, ['rules', i, 'serve', 'split'], known, listed, issues);
      }
    });
  } else {
    // Still catch repeated split variants when there are no variants to check against.
    if (flag.split) checkSplit(flag.split, ['split'], () => true, () => '', issues);
    (flag.rules ?? []).forEach((rule, i) => {
      if (rule?.serve && 'split' in rule.serve) checkSplit(rule.serve.split, ['rules', i, 'serve', 'split'], () => true, () => '', issues);
    });
  }

  (flag.rules ?? []).forEach((rule, i) => {
    if (Array.isArray(rule?.conditions)) issues.push(...validateConditions(rule.conditions, ['rules', i, 'conditions']));
  });

  return issues;
}

/**
 * Operator/value compatibility of a list of conditions, each issue's path under `prefix` (a rule's
 * `['rules', i, 'conditions']`, or a segment's `['conditions']`):
 *  - `eq`, `gt`, `gte`, `lt`, `lte`: each value a finite number or a plain decimal string;
 *  - `before`, `after`: each value a strict ISO-8601 instant (date, or date-time with an offset);
 *  - `semver_eq`, `semver_gt`, `semver_lt`: each value a semantic version (leading `v` allowed);
 *  - `in_segment`: each value a segment id (a string shaped like a flag id);
 *  - the string operators accept any string or number.
 */
export function validateConditions(conditions: readonly Condition[], prefix: (string | number)[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  conditions.forEach((condition, c) => {
    if (!condition || !Array.isArray(condition.values)) return;
    condition.values.forEach((value, v) => {
      const problem = conditionValueProblem(condition.op, value);
      if (problem) issues.push({ path: [...prefix, c, 'values', v], message: `${condition.op}: ${problem}` });
    });
  });
  return issues;
}

function conditionValueProblem(op: Condition['op'], value: unknown): string | undefined {
  const shown = JSON.stringify(value) ?? String(value);
  switch (op) {
    case 'eq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return numericValue(value) === undefined ? `${shown} is not a number` : undefined;
    case 'before':
    case 'after':
      return typeof value === 'string' && parseIsoInstant(value) !== undefined
        ? undefined
        : `${shown} is not an ISO-8601 instant (e.g. "2026-03-01", "2026-03-01T09:30:00Z" or "2026-03-01T09:30:00+02:00")`;
    case 'semver_eq':
    case 'semver_gt':
    case 'semver_lt':
      return typeof value === 'string' && parseSemver(value) ? undefined : `${shown} is not a semantic version (e.g. "1.4.0" or "2.0.0-rc.1")`;
    case 'in_segment':
      return typeof value === 'string' && idSchema.safeParse(value).success ? undefined : `${shown} is not a segment id`;
    default:
      return undefined;
  }
}

function checkSplit(
  split: Split,
  prefix: (string | number)[],
  known: (key: string) => boolean,
  listed: () => string,
  issues: ValidationIssue[],
): void {
  if (!Array.isArray(split)) return;
  const seen = new Map<string, number>();
  split.forEach((slice, j) => {
    const variant = slice?.variant;
    if (typeof variant !== 'string') return;
    const first = seen.get(variant);
    if (first !== undefined) {
      issues.push({ path: [...prefix, j, 'variant'], message: `"${variant}" appears more than once in this split (first at position ${first})` });
    } else {
      seen.set(variant, j);
    }
    if (!known(variant)) issues.push({ path: [...prefix, j, 'variant'], message: `"${variant}" is not a variant (${listed()})` });
  });
}

/** Why `value` is not a valid variant value of a flag of `type`, or `undefined` when it is. */
function valueTypeProblem(type: FlagConfig['type'], value: unknown): string | undefined {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `must be true or false in a boolean flag, not ${describe(value)}`;
    case 'string':
      return typeof value === 'string' ? undefined : `must be a string in a string flag, not ${describe(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a finite number in a number flag, not ${describe(value)}`;
    case 'json':
      return isJsonValue(value) ? undefined : `must be a JSON value in a json flag, not ${describe(value)}`;
    default:
      return `cannot be checked: unknown flag type ${JSON.stringify(type)}`;
  }
}

/** Whether `value` is plain JSON (null, boolean, finite number, string, array, plain object), at any depth. */
function isJsonValue(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) return false; // a hole serializes as null: not what was written
        stack.push(v[i]);
      }
      continue;
    }
    if (typeof v === 'object') {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key of Object.keys(v)) stack.push((v as Record<string, unknown>)[key]);
      continue;
    }
    return false; // undefined, function, symbol, bigint
  }
  return true;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  const t = typeof value;
  return t === 'object' ? 'an object' : t === 'undefined' ? 'undefined' : `a ${t}`;
}
