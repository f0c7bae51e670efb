/**
 * Bulk actions on a selection of flags (`POST /admin/flags/bulk`). Each flag is changed through
 * its own flag object, as one ordinary change (so one history entry per flag, with the actor and
 * reason), and each gets its own result: one flag failing never stops or undoes the others.
 */
import { z } from 'zod';
import { flagFields, idSchema, LIMITS, type FlagPatch } from './schema';
import type { ErrorCode } from './result';

export const BULK_MAX_IDS = 500;
/** Flag objects changed at once: enough to finish 500 flags in seconds, few enough to be gentle. */
export const BULK_CONCURRENCY = 8;

export const bulkSchema = z
  .object({
    action: z.enum(['archive', 'mark_permanent', 'unmark_permanent', 'set_owner']),
    ids: z
      .array(idSchema)
      .min(1)
      .max(BULK_MAX_IDS)
      .superRefine((ids, ctx) => {
        const seen = new Set<string>();
        ids.forEach((id, i) => {
          if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [i], message: `"${id}" is listed twice` });
          seen.add(id);
        });
      }),
    owner: flagFields.owner.removeDefault().optional(),
    reason: z.string().max(LIMITS.reasonLength).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.action === 'set_owner' && body.owner === undefined) ctx.addIssue({ code: 'custom', path: ['owner'], message: 'set_owner needs the new owner' });
    if (body.action !== 'set_owner' && body.owner !== undefined) ctx.addIssue({ code: 'custom', path: ['owner'], message: `only set_owner takes an owner, not ${body.action}` });
  });
export type BulkRequest = z.infer<typeof bulkSchema>;

/** What happens to each flag: an archive, or a patch of one field. */
export type BulkOperation = { kind: 'archive' } | { kind: 'patch'; patch: FlagPatch };

export function bulkOperation(body: BulkRequest): BulkOperation {
  const reason = body.reason === undefined ? {} : { reason: body.reason };
  switch (body.action) {
    case 'archive':
      return { kind: 'archive' };
    case 'mark_permanent':
      return { kind: 'patch', patch: { permanent: true, ...reason } };
    case 'unmark_permanent':
      return { kind: 'patch', patch: { permanent: null, ...reason } };
    case 'set_owner':
      return { kind: 'patch', patch: { owner: body.owner ?? '', ...reason } };
  }
}

export interface BulkResult {
  id: string;
  ok: boolean;
  /** The HTTP status the single-flag route would have answered. */
  status: number;
  /** The flag's version after the action (unchanged when there was nothing to change). */
  version?: number;
  /** The change request holding the action (a protected flag, and a caller who may not approve): status 202. */
  change_request?: string;
  error?: { code: ErrorCode | 'internal_error'; message: string };
}

/** Runs `run` over `items` with at most `limit` in flight; results keep the items' order. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
