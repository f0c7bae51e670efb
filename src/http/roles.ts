/**
 * People's roles for Cloudflare Access sign-in. `ACCESS_ROLES` is a JSON object mapping each role
 * to people, by exact email or `*@domain`:
 *
 *   {"admin": ["ada@acme.com"], "editor": ["*@acme.com"], "viewer": ["vic@partner.com"]}
 *
 * A person matching several entries gets the highest role; a person matching none has no role.
 * Emails are compared case-insensitively. Pure: no Cloudflare APIs.
 */
import { z } from 'zod';
import { ROLES, type Role, type Scope } from './principal';

/** What each role may do, as the API's scopes: an admin also approves and marks flags protected. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: ['flags:read'],
  editor: ['flags:read', 'flags:write'],
  admin: ['flags:read', 'flags:write', 'flags:approve'],
};

const entrySchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .regex(/^(\*|[^@\s*]+)@[^@\s*]+$/, 'expected an email address or *@domain');

const people = z.array(entrySchema).max(1000).optional();

export const rolesSchema = z.object({ viewer: people, editor: people, admin: people }).strict();

export type RoleMap = z.infer<typeof rolesSchema>;

/** `ACCESS_ROLES` parsed, or the reason it cannot be. Unset means nobody has a role. */
export function parseRoles(text: string | undefined): { ok: true; roles: RoleMap } | { ok: false; reason: string } {
  if (text === undefined || text.trim() === '') return { ok: true, roles: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'ACCESS_ROLES is not valid JSON' };
  }
  const parsed = rolesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `ACCESS_ROLES is invalid at "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'unknown'}` };
  }
  return { ok: true, roles: parsed.data };
}

/** The highest role whose entries match `email`, or null. */
export function roleFor(email: string, roles: RoleMap): Role | null {
  const address = email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  for (const role of [...ROLES].reverse()) {
    if (roles[role]?.some((entry) => entry === address || entry === `*@${domain}`)) return role;
  }
  return null;
}
