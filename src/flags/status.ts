/** The one-word status the admin list shows, as in the article's table. */
import type { FlagConfig } from './schema';

export type FlagStatus = 'on' | 'off' | 'killed' | 'allowlist-only' | 'rolling-out';

export interface FlagSummary {
  id: string;
  version: number;
  status: FlagStatus;
  enabled: boolean;
  rollout_percentage: number;
  description: string;
  owner: string;
  /** Present (true) only on a flag marked permanent. */
  permanent?: true;
  type: FlagConfig['type'];
  environments?: string[];
  allowed_users_count: number;
  allowed_tenants_count: number;
  archived: boolean;
  created_at: string;
  updated_at: string;
}

/** `killed`: turned off by a kill (manual or automatic), not by an edit. */
export function flagStatus(flag: FlagConfig): FlagStatus {
  if (!flag.enabled) return flag.killed_by_switch ? 'killed' : 'off';
  if (flag.split || (flag.rollout_percentage > 0 && flag.rollout_percentage < 100)) return 'rolling-out';
  if (flag.rollout_percentage >= 100) return 'on';
  const hasAllowlist = flag.allowed_users.length > 0 || flag.allowed_tenants.length > 0 || flag.rules.length > 0;
  return hasAllowlist ? 'allowlist-only' : 'off';
}

export function summarise(flag: FlagConfig): FlagSummary {
  const summary: FlagSummary = {
    id: flag.id,
    version: flag.version,
    status: flagStatus(flag),
    enabled: flag.enabled,
    rollout_percentage: flag.rollout_percentage,
    description: flag.description,
    owner: flag.owner,
    type: flag.type,
    allowed_users_count: flag.allowed_users.length,
    allowed_tenants_count: flag.allowed_tenants.length,
    archived: flag.archived,
    created_at: flag.created_at,
    updated_at: flag.updated_at,
  };
  if (flag.environments) summary.environments = flag.environments;
  if (flag.permanent) summary.permanent = true;
  return summary;
}
