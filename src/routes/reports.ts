/** `POST /v1/flags/:id/failures`: failure/success reports over HTTP, for anything without RPC. */
import { Router, type IRequest } from 'itty-router';
import { normaliseReport, reportSchema, usageSchema } from '../flags/reports';
import { authenticate, requireScope } from '../http/auth';
import { readJson } from '../http/body';
import { json } from '../http/responses';
import { flagIdParam, flagStub, unwrap, type Args } from './context';

async function reporter(request: IRequest, env: Args[0]) {
  requireScope(await authenticate(request, env.ADMIN_TOKENS), 'reports:write');
}

export const reportsRouter = Router<IRequest, Args>({ base: '/v1' })
  .post('/flags/:id/failures', reporter, async (request, env) => {
    const id = flagIdParam(request);
    const report = normaliseReport(await readJson(request, reportSchema, { optional: true }));
    return json(unwrap(await flagStub(env, id).report(id, report)));
  })
  .post('/flags/:id/usage', reporter, async (request, env) => {
    const id = flagIdParam(request);
    const usage = await readJson(request, usageSchema);
    return json(unwrap(await flagStub(env, id).recordUsage(id, usage)));
  });
