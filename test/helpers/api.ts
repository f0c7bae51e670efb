/** Calls the coordinator Worker in-process, as an HTTP client would. */
import type { FlagBundle, FlagSnapshot } from '../../src/flags/model';
import { apiClient, kvBundle, kvSnapshot, waitFor } from '../support/coordinator';

export const TOKENS = {
  admin: 'test-admin-token',
  viewer: 'test-read-token',
  reporter: 'test-report-token',
} as const;

export type { ApiResponse, CallOptions } from '../support/coordinator';
export { kvBundle, kvSnapshot, waitFor } from '../support/coordinator';

export const { api, createFlag } = apiClient('https://flags.test', TOKENS.admin);

/** Waits until the per-flag KV key holds exactly `version`. */
export function kvVersion(flagId: string, version: number, timeoutMs = 5_000): Promise<FlagSnapshot> {
  return waitFor(async () => {
    const snapshot = await kvSnapshot(flagId);
    return snapshot && snapshot.version === version ? snapshot : undefined;
  }, timeoutMs, `KV flag:${flagId} at version ${version}`);
}

/** Waits until the bundle holds `flagId` at `version` (or without it, for `null`). */
export function bundleVersion(flagId: string, version: number | null, timeoutMs = 5_000): Promise<FlagBundle> {
  return waitFor(async () => {
    const bundle = await kvBundle();
    if (!bundle) return undefined;
    const found = bundle.flags[flagId];
    if (version === null) return found ? undefined : bundle;
    return found && found.version === version ? bundle : undefined;
  }, timeoutMs, `bundle with ${flagId} at ${version}`);
}
