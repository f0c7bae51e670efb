/** What every route handler receives besides the request. */
import type { Env } from '../env';
import { catalogStub } from '../do/stubs';
import { idSchema, type Rule } from '../flags/schema';
import { invalid, type Result } from '../flags/result';
import { referencedSegments } from '../flags/segments';
import { parse, pathParam } from '../http/body';
import { HttpError } from '../http/responses';

export type Args = [env: Env, ctx: ExecutionContext];

/** The `:id` path parameter, validated. */
export function flagIdParam(request: { params: Record<string, string> }): string {
  return parse(idSchema, pathParam(request, 'id'), 'id');
}

/** Refuses rules that use a segment which does not exist, naming the condition's path. */
export async function requireSegments(env: Env, rules: readonly Rule[] | undefined): Promise<void> {
  if (!rules?.length) return;
  const used = [...referencedSegments(rules)];
  if (used.length === 0) return;
  const missing = new Set(await catalogStub(env).missingSegments(used));
  if (missing.size === 0) return;
  const details = rules.flatMap((rule, r) =>
    rule.conditions.flatMap((condition, c) =>
      condition.op === 'in_segment' && condition.values.some((v) => missing.has(String(v)))
        ? [{ path: `rules.${r}.conditions.${c}.values`, message: `unknown segment(s): ${[...missing].join(', ')}` }]
        : [],
    ),
  );
  throw HttpError.from(invalid(details));
}

/** The value of a successful result; a failure ends the request with its status. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw HttpError.from(result);
  return result.value;
}
