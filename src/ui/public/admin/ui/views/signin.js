// The sign-in screen, shown when GET /admin/me named nobody. Where the deployment signs people in
// through Cloudflare Access it says so first (and why the Access sign-in did not work); the token
// form stays, for API tokens. A token is checked with GET /admin/me before it is kept (in
// sessionStorage only).
import { api, tokenStore } from '../api.js';
import { field, h } from '../lib/dom.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';

export const ACCESS_LOGOUT = '/cdn-cgi/access/logout';

/**
 * @param {{ onSignedIn: (identity: object) => void, access?: boolean, problem?: { status: number, message: string } | null }} options
 *   access: the deployment signs people in through Cloudflare Access;
 *   problem: why /admin/me refused the Access sign-in (401) or the person (403: no role)
 */
export function renderSignIn({ onSignedIn, access = false, problem = null }) {
  if (problem?.status === 403) return h('div', { class: 'signin-wrap' }, noRole(problem.message));
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const summary = errorSummary();
  const form = h(
    'form',
    { class: 'card signin', novalidate: true },
    access ? h('h2', {}, 'Or use an API token') : h('h1', {}, 'Sign in'),
    h('p', {}, 'Use an admin API token. It is kept only for this browser tab and forgotten when you close it.'),
    summary,
    field('API token', input, { path: 'token' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) {
      showErrors(form, [{ path: 'token', message: 'Enter your token.' }]);
      return;
    }
    busy(form, async () => {
      try {
        const identity = await api.me(token);
        tokenStore.set(token);
        onSignedIn(identity);
      } catch (err) {
        const message = err?.status === 401 || err?.status === 403 ? 'That token was not accepted.' : err?.message ?? String(err);
        showErrors(form, [{ path: 'token', message }]);
      }
    });
  });
  if (!access) queueMicrotask(() => input.focus());
  return h('div', { class: 'signin-wrap signin-stack' }, access ? accessCard(problem) : null, form);
}

/** Access is configured but this request carried no valid Access sign-in (expired, or not behind Access). */
function accessCard(problem) {
  return h(
    'section',
    { class: 'card signin', 'aria-labelledby': 'access-signin-title' },
    h('h1', { id: 'access-signin-title' }, 'Sign in with Cloudflare Access'),
    h('p', {}, 'People sign in to this deployment through Cloudflare Access. Your Access session is missing or no longer valid.'),
    problem?.message ? h('p', { class: 'muted' }, `The server said: ${problem.message}.`) : null,
    // Reloading through Access's edge starts its login when the session has gone.
    h('a', { class: 'btn btn-primary', href: '/admin' }, 'Sign in with Cloudflare Access'),
  );
}

function noRole(message) {
  return h(
    'section',
    { class: 'card signin', role: 'alert' },
    h('h1', {}, 'No access to flags'),
    h('p', {}, `${message}.`),
    h('p', {}, 'Ask an admin to add you to ACCESS_ROLES as a viewer, editor or admin.'),
    h('a', { class: 'btn', href: ACCESS_LOGOUT }, 'Sign out of Cloudflare Access'),
  );
}
