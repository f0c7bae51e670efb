/** What every route handler receives besides the request. */
import type { Env } from '../env';
import { CATALOG_NAME, type CatalogObject } from '../do/catalog-object';
import type { FlagObject } from '../do/flag-object';
import { idSchema } from '../flags/schema';
import type { Result } from '../flags/result';
import { parse } from '../http/body';
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

type FlagMethods = 'create' | 'get' | 'patch' | 'setRollout' | 'kill' | 'archive' | 'revert' | 'history' | 'report' | 'recordUsage' | 'health';
type CatalogMethods = 'list' | 'stale' | 'claimSeed' | 'bundle' | 'upsertFlag' | 'recordUsage';

export function flagStub(env: Env, flagId: string): RpcView<FlagObject, FlagMethods> {
  return env.FLAGS.get(env.FLAGS.idFromName(flagId)) as unknown as RpcView<FlagObject, FlagMethods>;
}

export function catalogStub(env: Env): RpcView<CatalogObject, CatalogMethods> {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME)) as unknown as RpcView<CatalogObject, CatalogMethods>;
}

/** The `:id` path parameter, validated. */
export function flagIdParam(request: { params: Record<string, string> }): string {
  return parse(idSchema, decodeURIComponent(request.params['id'] ?? ''), 'id');
}

/** The value of a successful result; a failure ends the request with its status. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw HttpError.from(result);
  return result.value;
}
