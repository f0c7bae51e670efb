/**
 * The article's approach, written as the article writes it, for comparison only (never used by the
 * product): a KV read and a WebCrypto SHA-256 for every flag check (`FeatureFlagService`), and a
 * failure counter kept with a read-modify-write on KV that kills the flag at `count >= 10`
 * (`recordFailure`). The only additions are counters so the benchmark can see what happened.
 */

interface FeatureFlag {
  id: string;
  enabled: boolean;
  rollout_percentage: number; // 0-100
  allowed_users?: string[];
  allowed_tenants?: string[];
  environments?: string[];
  metadata?: Record<string, any>;
}

export class FeatureFlagService {
  constructor(
    private kv: KVNamespace,
    private environment: string,
  ) {}

  async isEnabled(flagId: string, context: { userId?: string; tenantId?: string }): Promise<boolean> {
    // Get flag config (cached in KV)
    const flag = await this.getFlag(flagId);
    if (!flag || !flag.enabled) {
      return false; // Kill switch
    }
    // Check environment
    if (flag.environments && !flag.environments.includes(this.environment)) {
      return false;
    }
    // Check explicit allowlist
    if (context.userId && flag.allowed_users?.includes(context.userId)) {
      return true;
    }
    if (context.tenantId && flag.allowed_tenants?.includes(context.tenantId)) {
      return true;
    }
    // Percentage-based rollout
    if (flag.rollout_percentage >= 100) {
      return true;
    }
    if (flag.rollout_percentage <= 0) {
      return false;
    }
    // Deterministic hash for consistent experience
    const bucket = await this.getBucket(flagId, context.userId || 'anonymous');
    return bucket < flag.rollout_percentage;
  }

  private async getFlag(flagId: string): Promise<FeatureFlag | null> {
    return this.kv.get<FeatureFlag>(`flag:${flagId}`, 'json');
  }

  private async getBucket(flagId: string, userId: string): Promise<number> {
    // Hash flag+user for consistent 0-99 bucket
    const data = new TextEncoder().encode(`${flagId}:${userId}`);
    const hash = await crypto.subtle.digest('SHA-256', data);
    const view = new DataView(hash);
    return view.getUint32(0) % 100;
  }
}

/** What the baseline's side effects did, for the benchmark. */
export interface ArticleEffects {
  /** `disableFlag` calls: the kills fired. */
  kills: number;
  /** `sendAlert` calls. */
  alerts: number;
  /** Time (ms) at which each kill finished writing the flag off to KV. */
  killWrittenAt: number[];
  /** Time (ms) at which each report that saw `count >= 10` read its count. */
  thresholdSeenAt: number[];
  /** KV puts per key, with their times. */
  puts: { key: string; at: number }[];
}

export function newEffects(): ArticleEffects {
  return { kills: 0, alerts: 0, killWrittenAt: [], thresholdSeenAt: [], puts: [] };
}

interface Env {
  KV: KVNamespace;
}

/** The article's automatic kill switch, as written: read, add one, write, compare. */
export async function recordFailure(flagId: string, _error: Error, env: Env, effects: ArticleEffects): Promise<void> {
  const key = `flag-failures:${flagId}`;
  const count = parseInt((await env.KV.get(key)) || '0') + 1;
  await put(env, effects, key, count.toString(), { expirationTtl: 300 });
  if (count >= 10) {
    effects.thresholdSeenAt.push(Date.now());
    // Auto-disable feature
    await disableFlag(flagId, env, effects);
    await sendAlert(`🚨 Auto-disabled ${flagId} after ${count} failures`, env, effects);
  }
}

/** Not shown in the article; written like its `killFlag`: read the flag, switch it off, write it back. */
async function disableFlag(flagId: string, env: Env, effects: ArticleEffects): Promise<void> {
  const flag = await env.KV.get<FeatureFlag>(`flag:${flagId}`, 'json');
  if (!flag) return;
  flag.enabled = false;
  flag.rollout_percentage = 0;
  await put(env, effects, `flag:${flagId}`, JSON.stringify(flag));
  effects.kills++;
  effects.killWrittenAt.push(Date.now());
}

async function sendAlert(_message: string, _env: Env, effects: ArticleEffects): Promise<void> {
  effects.alerts++;
}

/** The article's `updateRollout` without the HTTP and Slack parts: read the flag, change it, write it. */
export async function updateRollout(flagId: string, percentage: number, env: Env, effects: ArticleEffects): Promise<void> {
  const flag = await env.KV.get<FeatureFlag>(`flag:${flagId}`, 'json');
  if (!flag) throw new Error('Flag not found');
  flag.rollout_percentage = percentage;
  await put(env, effects, `flag:${flagId}`, JSON.stringify(flag));
}

async function put(env: Env, effects: ArticleEffects, key: string, value: string, options?: KVNamespacePutOptions): Promise<void> {
  effects.puts.push({ key, at: Date.now() });
  await env.KV.put(key, value, options);
}
