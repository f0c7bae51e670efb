/**
 * Who a request acts as, and the words for what they may do: the API's scopes and people's roles.
 * Its own module so that token auth (auth.ts), Access sign-in (access.ts) and role rules
 * (roles.ts) share these names without importing each other in a loop.
 */

/**
 * `flags:approve`: approve, reject or cancel change requests and mark flags protected; a write to
 * a protected flag by a principal without it is held for approval (src/flags/change-requests.ts).
 */
export const SCOPES = ['flags:read', 'flags:write', 'flags:approve', 'reports:write', 'evaluate'] as const;
export type Scope = (typeof SCOPES)[number];

/** People's roles, lowest to highest. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The actor recorded in the history: a token's name, or a person's email. */
  name: string;
  scopes: readonly Scope[];
  via: 'token' | 'access';
  /** A person's role (Access sign-in only); an admin holds `flags:approve`. */
  role?: Role;
}

/** Whether `principal` may approve change requests and mark flags protected. */
export function mayApprove(principal: Principal): boolean {
  return principal.scopes.includes('flags:approve');
}
