/** A valid flag snapshot for pure evaluation tests: an enabled boolean flag at 0% unless overridden. */
import type { FlagSnapshot } from '../../src/flags/schema';

export function snapshot(overrides: Partial<FlagSnapshot> = {}): FlagSnapshot {
  return {
    id: 'new-checkout',
    version: 1,
    enabled: true,
    rollout_percentage: 0,
    allowed_users: [],
    allowed_tenants: [],
    metadata: {},
    type: 'boolean',
    rules: [],
    archived: false,
    updated_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
