// Who is signed in. The token itself stays in sessionStorage (see api.js); this module keeps
// the identity the server reported for it.
export const session = {
  name: '',
  scopes: [],
  get canWrite() {
    return this.scopes.includes('flags:write');
  },
  set(identity) {
    this.name = String(identity?.name ?? '');
    this.scopes = Array.isArray(identity?.scopes) ? identity.scopes.map(String) : [];
  },
  clear() {
    this.name = '';
    this.scopes = [];
  },
};
