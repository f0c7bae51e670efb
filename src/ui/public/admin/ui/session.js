// Who is signed in, as GET /admin/me reported it: a person through Cloudflare Access (with a
// role) or an API token (whose secret stays in sessionStorage, see api.js).
export const session = {
  name: '',
  role: null,
  via: '',
  scopes: [],
  get canWrite() {
    return this.scopes.includes('flags:write');
  },
  /** Approves change requests and marks flags protected (the admin role). */
  get canApprove() {
    return this.scopes.includes('flags:approve');
  },
  get viaAccess() {
    return this.via === 'access';
  },
  set(identity) {
    this.name = String(identity?.name ?? '');
    this.role = typeof identity?.role === 'string' ? identity.role : null;
    this.via = identity?.via === 'access' ? 'access' : 'token';
    this.scopes = Array.isArray(identity?.scopes) ? identity.scopes.map(String) : [];
  },
  clear() {
    this.name = '';
    this.role = null;
    this.via = '';
    this.scopes = [];
  },
};
