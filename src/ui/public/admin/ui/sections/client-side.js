// Client-side: whether browsers and mobile apps may evaluate the flag with a public client key.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { busy, errorSummary } from '../lib/forms.js';

const HINT = 'Client keys (public, shipped in web pages and apps) evaluate only client-side flags. Values and variants become visible to anyone with the page; targeting rules and allowlists never leave the service.';

export function clientSideSection(page) {
  const on = page.flag.client_side === true;
  const state = h('p', { class: 'client-side-state' }, on ? 'Served to client keys (browsers and mobile apps).' : 'Server-side only: client keys get FLAG_NOT_FOUND.');
  if (!page.canWrite) return section('Client-side', { id: 'sec-clientside' }, state);

  const toggle = h('input', { type: 'checkbox', role: 'switch', name: 'client_side', checked: on });
  const form = h('form', { novalidate: true }, errorSummary(), field('Client-side', toggle, { path: 'client_side', hint: HINT }));
  // A switch saves when flipped, like the kill switch, with the version shown as If-Match.
  toggle.addEventListener('change', () => {
    const next = toggle.checked;
    const label = next ? 'Make client-side' : 'Make server-side only';
    toggle.disabled = true;
    busy(form, async () => {
      // On success the page renders afresh; on a refusal the switch shows what is stored again.
      if (!(await page.mutate(label, (flag) => api.patchFlag(flag.id, flag.version, { client_side: next }), { form, focus: 'clientside' }))) {
        toggle.checked = !next;
        toggle.disabled = false;
      }
    });
  });
  return section('Client-side', { id: 'sec-clientside' }, state, form);
}
