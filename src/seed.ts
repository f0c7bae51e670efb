/**
 * The article's four flags, created on the first request of a local deployment that sets
 * SEED_DEMO_FLAGS = "true", through the same flag objects as any admin change (actor `seed`).
 */
import type { Env } from './env';
import type { CreateFlagInput } from './flags/schema';
import { createFlagSchema } from './flags/schema';
import { catalogStub, flagStub } from './do/stubs';

const DEMO_FLAGS = [
  {
    id: 'new-chatbot',
    description: 'Testing new AI chatbot',
    owner: 'ai-team',
    enabled: true,
    rollout_percentage: 25,
    allowed_users: ['user_internal_1', 'user_internal_2'],
    environments: ['production'],
  },
  {
    id: 'ai-valuation-v2',
    description: 'Fully rolled out',
    owner: 'valuation-team',
    enabled: true,
    rollout_percentage: 100,
    environments: ['staging', 'production'],
  },
  // Client-side: the web example (examples/web) reads it in the browser with a client key.
  { id: 'experimental-ui', description: 'Caused issues, disabled', owner: 'web-team', enabled: true, rollout_percentage: 10, client_side: true },
  {
    id: 'beta-features',
    description: 'Testing with team',
    owner: 'platform-team',
    enabled: true,
    rollout_percentage: 0,
    allowed_users: ['user_internal_1', 'user_internal_2'],
  },
] as const;

let seeding: Promise<void> | null = null;

/** Seeds once per deployment (the catalog remembers), and once per isolate at most asks. */
export function seedDemoFlags(env: Env): Promise<void> {
  if (env.SEED_DEMO_FLAGS !== 'true') return Promise.resolve();
  seeding ??= (async () => {
    if (!(await catalogStub(env).claimSeed())) return;
    for (const demo of DEMO_FLAGS) {
      const input: CreateFlagInput = createFlagSchema.parse({ ...demo, reason: 'demo data from the article' });
      await flagStub(env, demo.id).create(input, 'seed');
    }
    // The article's experimental-ui "caused issues" and was killed: record that as a real kill.
    await flagStub(env, 'experimental-ui').kill('experimental-ui', 'seed', 'caused issues in the article');
  })().catch((error: unknown) => {
    seeding = null;
    console.error('seeding demo flags failed', error);
  });
  return seeding;
}
