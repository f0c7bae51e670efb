/**
 * The flag model as application Workers see it, without validation code: KV key names and the
 * shapes of what the coordinator publishes. The SDK imports runtime values from here and from the
 * evaluation modules only, never from `schema.ts`, which builds zod schemas when it loads.
 */

export const KV_KEYS = {
  /** Every flag and segment in one value: the hot path's only read. Written by the catalog alone. */
  bundle: 'flags:bundle',
  /** The article's per-flag key, kept for migration. Written by that flag's object alone. */
  flag: (id: string) => `flag:${id}`,
} as const;
