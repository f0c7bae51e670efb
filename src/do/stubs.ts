/**
 * The one place Durable Object stubs are built: the routes, seeding, the bench, the tests and the
 * flag objects themselves (to reach the catalog) all address the objects through here.
 *
 * A flag object's methods are declared here as `FlagApi`, which `FlagObject` implements, so this
 * module never imports the class that imports it (no cycle); the catalog's are read off its class.
 */
import type { Env } from '../env';
import type { ChangeRequest, RequestAction, RequestActor, RequestedChange, RequestStatus } from '../flags/change-requests';
import { FEED_DEFAULTS, positiveSetting } from '../flags/feed';
import type { HistoryEntry, HistoryPage } from '../flags/history';
import type { PlanCommand, PlanDefinition } from '../flags/plan/body';
import type { Propagation } from '../flags/propagation';
import type { FlagExperimentReadout } from '../flags/experiments';
import type { EventOutcome, MetricEventInput, Report, ReportOutcome, Usage, UsageOutcome } from '../flags/reports';
import type { Result } from '../flags/result';
import type { CreateFlagInput, FlagConfig } from '../flags/schema';
import type { FlagStatus } from '../flags/status';
import type { CatalogObject } from './catalog-object';
import type { RelayObject } from './relay-object';

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

/** Who submits an admin write, and how. */
export interface Submission extends RequestActor {
  reason?: string | undefined;
  ifMatch?: number | undefined;
  /** Schedules the change (ms since epoch). */
  applyAt?: number | undefined;
}

/** A write applied at once, or held as a change request (for approval or for its time). */
export type Submitted = { kind: 'applied'; flag: FlagView } | { kind: 'held'; request: ChangeRequest };

/** A change request after an approval, rejection or cancellation, and the flag as it then stands. */
export interface RequestOutcome {
  request: ChangeRequest;
  flag: FlagView;
}

/** What a flag object (one per flag, `idFromName(flagId)`) answers over RPC. */
export interface FlagApi {
  create(input: CreateFlagInput, actor: string): Promise<Result<FlagView>>;
  get(flagId: string): Result<FlagView>;
  kill(flagId: string, actor: string, reason?: string, ifMatch?: number): Promise<Result<FlagView>>;
  submit(flagId: string, change: RequestedChange, who: Submission): Promise<Result<Submitted>>;
  actOnRequest(flagId: string, n: number, action: RequestAction, who: RequestActor & { note?: string | undefined }): Promise<Result<RequestOutcome>>;
  changeRequest(flagId: string, n: number): Result<ChangeRequest>;
  changeRequests(flagId: string, statuses: readonly RequestStatus[] | undefined, limit: number): Result<ChangeRequest[]>;
  history(flagId: string, limit: number, before?: number): Result<HistoryPage<HistoryEntry>>;
  report(flagId: string, report: Report): Promise<Result<ReportOutcome>>;
  recordUsage(flagId: string, usage: Usage): Result<UsageOutcome>;
  recordEvents(flagId: string, events: MetricEventInput[]): Result<EventOutcome>;
  experimentReadout(flagId: string): Result<FlagExperimentReadout>;
  health(flagId: string): Result<FlagHealth>;
  propagation(flagId: string): Result<Propagation>;
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
  | 'clientSideFlags'
  | 'roomForFlag'
  | 'upsertFlag'
  | 'recordUsage'
  | 'listSegments'
  | 'getSegment'
  | 'createSegment'
  | 'patchSegment'
  | 'deleteSegment'
  | 'segmentHistory'
  | 'missingSegments'
  | 'indexChangeRequest'
  | 'listChangeRequests'
  | 'feedSince'
>;

type RelayApi = Pick<RelayObject, 'accept' | 'changes'>;

export type FlagStub = RpcView<FlagApi>;
export type CatalogStub = RpcView<CatalogApi>;
export type RelayStub = RpcView<RelayApi>;

export function flagStub(env: Pick<Env, 'FLAGS'>, flagId: string): FlagStub {
  return env.FLAGS.get(env.FLAGS.idFromName(flagId)) as unknown as FlagStub;
}

export function catalogStub(env: Pick<Env, 'CATALOG'>): CatalogStub {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME)) as unknown as CatalogStub;
}

/** How many relays serve the change feed (`RELAY_COUNT`, default 4). */
export function relayCount(env: Pick<Env, 'RELAY_COUNT'>): number {
  return positiveSetting(env.RELAY_COUNT, FEED_DEFAULTS.relayCount);
}

/** Relay `index` (0 ≤ index < relayCount), one object per index. */
export function relayStub(env: Pick<Env, 'RELAYS'>, index: number): RelayStub {
  return env.RELAYS.get(env.RELAYS.idFromName(`relay-${index}`)) as unknown as RelayStub;
}

/** Every relay, in index order. */
export function relayStubs(env: Pick<Env, 'RELAYS' | 'RELAY_COUNT'>): RelayStub[] {
  return Array.from({ length: relayCount(env) }, (_, index) => relayStub(env, index));
}
