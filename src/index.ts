/**
 * The coordinator Worker: admin API, report API, OFREP evaluation and the admin UI over HTTP,
 * plus `FlagCoordinator`, the RPC entrypoint application Workers reach through a service binding.
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import { Router, type IRequest } from 'itty-router';
import type { Env } from './env';
import { readChanges } from './channel';
import type { ChangesAnswer } from './flags/model';
import {
  changesCursorSchema,
  changesOptionsSchema,
  normaliseReport,
  reportSchema,
  usageSchema,
  type ReportOutcome,
  type UsageOutcome,
} from './flags/reports';
import { fail, invalid, ok, toFieldIssues, type Result } from './flags/result';
import { idSchema } from './flags/schema';
import { errorResponse, HttpError } from './http/responses';
import { adminRouter } from './routes/admin';
import { changeRequestsRouter } from './routes/change-requests';
import { flagStub } from './do/stubs';
import type { Args } from './routes/context';
import { ofrepRouter } from './routes/ofrep';
import { reportsRouter } from './routes/reports';
import { segmentsRouter } from './routes/segments';
import { seedDemoFlags } from './seed';

export { FlagObject } from './do/flag-object';
export { CatalogObject } from './do/catalog-object';
export { RelayObject } from './do/relay-object';

const router = Router<IRequest, Args>({
  catch: (error: unknown) => {
    if (error instanceof HttpError) return errorResponse(error.status, error.code, error.message, error.details);
    console.error('unhandled error', error);
    return errorResponse(500, 'internal_error', 'internal error');
  },
  finally: [(response: Response | undefined) => response ?? errorResponse(404, 'not_found', 'no such route')],
})
  .get('/', (request) => Response.redirect(new URL('/admin', request.url).toString(), 302))
  .get('/admin', serveUi)
  .get('/admin/', serveUi)
  .get('/admin/ui/*', serveUi)
  .all('/admin/segments', segmentsRouter.fetch)
  .all('/admin/segments/*', segmentsRouter.fetch)
  .all('/admin/change-requests', changeRequestsRouter.fetch)
  .all('/admin/change-requests/*', changeRequestsRouter.fetch)
  .all('/admin/*', adminRouter.fetch)
  .all('/v1/*', reportsRouter.fetch)
  .all('/ofrep/v1/*', ofrepRouter.fetch);

async function serveUi(request: IRequest, env: Env): Promise<Response> {
  if (!env.ASSETS) return errorResponse(404, 'not_found', 'the admin UI is not deployed');
  const url = new URL(request.url);
  // The assets binding serves /admin/ from admin/index.html (and redirects /admin to it).
  return env.ASSETS.fetch(new Request(url, request));
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    await seedDemoFlags(env);
    return router.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

/**
 * RPC for application Workers (service binding with `entrypoint = "FlagCoordinator"`). Inputs are
 * validated like HTTP bodies; answers are `{ ok: true, value }` or `{ ok: false, status, code, … }`.
 */
export class FlagCoordinator extends WorkerEntrypoint<Env> {
  /** Counts a batch of failures/successes; the answer says whether this report tripped the kill. */
  async report(flagId: string, report: unknown): Promise<Result<ReportOutcome>> {
    const id = idSchema.safeParse(flagId);
    if (!id.success) return invalid(toFieldIssues(id.error.issues, 'flagId'));
    const parsed = reportSchema.safeParse(report ?? {});
    if (!parsed.success) return invalid(toFieldIssues(parsed.error.issues));
    return flagStub(this.env, id.data).report(id.data, normaliseReport(parsed.data));
  }

  /** Evaluation counts per variant since the last flush (exposures, last use); the answer carries the flag's state. */
  async recordUsage(flagId: string, usage: unknown): Promise<Result<UsageOutcome>> {
    const id = idSchema.safeParse(flagId);
    if (!id.success) return invalid(toFieldIssues(id.error.issues, 'flagId'));
    const parsed = usageSchema.safeParse(usage);
    if (!parsed.success) return invalid(toFieldIssues(parsed.error.issues));
    return flagStub(this.env, id.data).recordUsage(id.data, parsed.data);
  }

  /**
   * The change channel (issue 13): every retained flag and segment change after `cursor` (0 for
   * everything retained), from the relay `options.reader` hashes to, cached per data centre for
   * CHANNEL_CACHE_MS. Never throws: a bad input or an unreachable relay is `{ ok: false, … }`.
   */
  async changes(cursor: unknown, options?: unknown): Promise<Result<ChangesAnswer>> {
    const parsedCursor = changesCursorSchema.safeParse(cursor);
    if (!parsedCursor.success) return invalid(toFieldIssues(parsedCursor.error.issues, 'cursor'));
    const parsedOptions = changesOptionsSchema.safeParse(options ?? {});
    if (!parsedOptions.success) return invalid(toFieldIssues(parsedOptions.error.issues, 'options'));
    try {
      return ok(await readChanges(this.env, (p) => this.ctx.waitUntil(p), parsedCursor.data, parsedOptions.data.reader));
    } catch (error) {
      console.error('change channel: relay unreachable', error);
      return fail(503, 'unavailable', 'the change feed is unavailable; serve from the bulk source and ask again');
    }
  }
}
