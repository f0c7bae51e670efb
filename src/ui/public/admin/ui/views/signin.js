// Sign in with an API token. The token is checked with GET /admin/whoami before it is kept
// (in sessionStorage only).
import { api, tokenStore } from '../api.js';
import { field, h } from '../lib/dom.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';

export function renderSignIn({ onSignedIn }) {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const summary = errorSummary();
  const form = h(
    'form',
    { class: 'card signin', novalidate: true },
    h('h1', {}, 'Sign in'),
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
        const identity = await api.whoami(token);
        tokenStore.set(token);
        onSignedIn(identity);
      } catch (err) {
        const message = err?.status === 401 || err?.status === 403 ? 'That token was not accepted.' : err?.message ?? String(err);
        showErrors(form, [{ path: 'token', message }]);
      }
    });
  });
  queueMicrotask(() => input.focus());
  return h('div', { class: 'signin-wrap' }, form);
}
