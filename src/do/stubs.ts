/**
 * The one place Durable Object stubs are built: the routes, seeding, the bench, the tests and the
 * flag objects themselves (to reach the catalog) all address the objects through here.
 *
 * A flag object's methods are declared here as `FlagApi`, which `FlagObject` implements, so this
 * module never imports the class that imports it (no cycle); the catalog's are read off its class.
 */
import type { Env } from '../env';
import type { HistoryEntry, HistoryPage } from '../flags/history';
import type { PlanCommand, PlanDefinition } from '../flags/plan/body';
import type { Report, ReportOutcome, Usage } from '../flags/reports';
import type { Result } from '../flags/result';
import type { CreateFlagInput, FlagConfig, FlagPatch } from '../flags/schema';
import type { FlagStatus } from '../flags/status';
import type { CatalogObject } from './catalog-object';

/** The catalog is one object for the whole deployment. */
export const CATALOG_NAME = 'catalog';

/** A flag as the admin API returns it. */
export type FlagView = FlagConfig & { status: FlagStatus };

export interface FlagHealth {
  flag_id: string;
  enabled: boolean;
  version: number;
  window_seconds: number;
  failures: number;
  successes: number;
  error_rate: number;
  policy: FlagConfig['auto_kill'];
  by_variant: Record<string, { failures: number; successes: number; error_rate: number }>;
  buckets: { start: string; failures: number; successes: number }[];
  exposures: Record<string, { count: number; last_at: string }>;
  last_incident: Record<string, unknown> | null;
  last_evaluated_at: string | null;
  pending_side_effects: { kind: string; count: number; attempts: number }[];
}

/** What a flag object (one per flag, `idFromName(flagId)`) answers over RPC. */
export interface FlagApi {
  create(input: CreateFlagInput, actor: string): Promise<Result<FlagView>>;
  get(flagId: string): Result<FlagView>;
  patch(flagId: string, patch: FlagPatch, actor: string, ifMatch?: number): Promise<Result<FlagView>>;
  setRollout(flagId: string, percentage: number, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>>;
  kill(flagId: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>>;
  archive(flagId: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>>;
  revert(flagId: string, version: number, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>>;
  setPlan(flagId: string, definition: PlanDefinition, actor: string, ifMatch?: number): Promise<Result<FlagView>>;
  controlPlan(flagId: string, command: PlanCommand, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>>;
  history(flagId: string, limit: number, before?: number): Result<HistoryPage<HistoryEntry>>;
  report(flagId: string, report: Report): Result<ReportOutcome>;
  recordUsage(flagId: string, usage: Usage): Result<{ recorded: number }>;
  health(flagId: string): Result<FlagHealth>;
}

/**
 * A Durable Object's RPC methods as the caller sees them. workers-types derives stub types that
 * give up (`never`) on values typed `unknown` such as flag metadata; the objects only ever
 * return structured-clonable data, so this plain promisified view is accurate.
 */
export type RpcView<T, K extends keyof T = keyof T> = {
  [M in K]: T[M] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

type CatalogApi = Pick<
  CatalogObject,
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
  | 'missingSegments'
>;

export type FlagStub = RpcView<FlagApi>;
export type CatalogStub = RpcView<CatalogApi>;

export function flagStub(env: Pick<Env, 'FLAGS'>, flagId: string): FlagStub {
  return env.FLAGS.get(env.FLAGS.idFromName(flagId)) as unknown as FlagStub;
}

export function catalogStub(env: Pick<Env, 'CATALOG'>): CatalogStub {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME)) as unknown as CatalogStub;
}
