/**
 * The bench Worker (bench only; `npm run bench` runs it through bench/run.mjs). It is the
 * coordinator Worker of src/index.ts, unchanged, with its Durable Objects extended by measurement
 * hooks (./instrumented.ts), plus `GET /__bench/<section>` routes that run one benchmark inside
 * workerd and answer its figures as JSON. Callers reach the coordinator as an application Worker
 * would: RPC through the `FlagCoordinator` entrypoint's loopback binding, HTTP through the Worker's.
 */
import coordinator from '../../src/index';
import type { Env } from '../../src/env';
import { interceptReceivers } from './helpers';
import { adminList } from './sections/admin-list';
import { adminBurst, adminToKv } from './sections/admin-to-kv';
import { failureCounting } from './sections/failure-counting';
import { hotPath } from './sections/hot-path';
import { readPath } from './sections/read-path';
import { reportBatching, reportThroughput } from './sections/report-throughput';
import { storageGrowth } from './sections/storage-growth';
import { experiments } from './sections/experiments';
import { changeChannel } from './sections/change-channel';

export { FlagCoordinator } from '../../src/index';
export { CatalogObject, FlagObject, RelayObject } from './instrumented';

interceptReceivers();

const SECTIONS: Record<string, (ctx: ExecutionContext) => Promise<Record<string, unknown>>> = {
  hot_path: (ctx) => hotPath(ctx),
  failure_counting: () => failureCounting(),
  report_throughput: () => reportThroughput(),
  report_batching: () => reportBatching(),
  admin_to_kv: () => adminToKv(),
  admin_burst: () => adminBurst(),
  storage_growth: () => storageGrowth(),
  read_path: () => readPath(),
  admin_list: () => adminList(),
  experiments: () => experiments(),
  change_channel: () => changeChannel(),
};

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/__bench') return Response.json({ sections: Object.keys(SECTIONS) });
    if (url.pathname.startsWith('/__bench/')) {
      const name = url.pathname.slice('/__bench/'.length);
      const run = SECTIONS[name];
      if (!run) return Response.json({ error: `no section "${name}"` }, { status: 404 });
      const started = performance.now();
      try {
        const figures = await run(ctx);
        return Response.json({ section: name, wall_ms: Math.round(performance.now() - started), ...figures });
      } catch (error) {
        const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
        return Response.json({ section: name, error: message }, { status: 500 });
      }
    }
    return coordinator.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
