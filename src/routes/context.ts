/** What every route handler receives besides the request. */
import type { Env } from '../env';
import { CATALOG_NAME, type CatalogObject } from '../do/catalog-object';
import type { FlagObject } from '../do/flag-object';
import { idSchema, type Rule } from '../flags/schema';
import { invalid, type Result } from '../flags/result';
import { referencedSegments } from '../flags/segments';
import { parse, pathParam } from '../http/body';
import { HttpError } from '../http/responses';

export type Args = [env: Env, ctx: ExecutionContext];

/**
 * A Durable Object's RPC methods as the caller sees them. workers-types derives stub types that
 * give up (`never`) on values typed `unknown` such as flag metadata; the objects only ever
 * return structured-clonable data, so this plain promisified view is accurate.
 */
export type RpcView<T, K extends keyof T> = {
  [M in K]: T[M] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

type FlagMethods =
  | 'create'
  | 'get'
  | 'patch'
  | 'setRollout'
  | 'kill'
  | 'archive'
  | 'revert'
  | 'history'
  | 'report'
  | 'recordUsage'
  | 'health'
  | 'setPlan'
  | 'controlPlan';
type CatalogMethods =
  | 'listPage'
  | 'stale'
  | 'claimSeed'
  | 'bundle'
  | 'upsertFlag'
  | 'recordUsage'
  | 'listSegments'
  | 'getSegment'
  | 'createSegment'
  | 'patchSegment'
  | 'deleteSegment'
  | 'segmentHistory'
  | 'missingSegments';

export function flagStub(env: Env, flagId: string): RpcView<FlagObject, FlagMethods> {
  return env.FLAGS.get(env.FLAGS.idFromName(flagId)) as unknown as RpcView<FlagObject, FlagMethods>;
}

export function catalogStub(env: Env): RpcView<CatalogObject, CatalogMethods> {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME)) as unknown as RpcView<CatalogObject, CatalogMethods>;
}

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
