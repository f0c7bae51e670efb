// Create a flag. The form does no validation of its own (novalidate): the API's messages are
// the single source of truth and appear next to the field they name.
import { api } from '../api.js';
import { field, h, replace } from '../lib/dom.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { numberOrRaw, parseList } from '../lib/format.js';
import { toast } from '../lib/toast.js';
import { session } from '../session.js';

export async function renderCreate(main) {
  if (!session.canWrite) {
    replace(main, h('div', { class: 'notice', role: 'alert' }, h('h1', {}, 'New flag'), h('p', {}, `Your ${session.viaAccess ? 'role' : 'token'} can read flags but not change them.`)));
    return;
  }
  const id = h('input', { name: 'id', autocomplete: 'off', spellcheck: 'false', maxlength: '64' });
  const description = h('textarea', { name: 'description', rows: '2' });
  const owner = h('input', { name: 'owner', autocomplete: 'off' });
  const enabled = h('input', { type: 'checkbox', name: 'enabled' });
  const rollout = h('input', { type: 'number', name: 'rollout_percentage', min: '0', max: '100', step: '0.01', value: '0', inputmode: 'decimal' });
  const users = h('textarea', { name: 'allowed_users', rows: '3' });
  const tenants = h('textarea', { name: 'allowed_tenants', rows: '3' });
  const environments = h('input', { name: 'environments', autocomplete: 'off' });
  const reason = h('input', { name: 'reason', autocomplete: 'off' });

  const form = h(
    'form',
    { class: 'card form-grid', novalidate: true, 'aria-labelledby': 'create-title' },
    errorSummary(),
    field('Flag id', id, { path: 'id', hint: 'Letters, digits, "-", "_" and "."; at most 64. Cannot be changed later.' }),
    field('Use case', description, { path: 'description', hint: 'What the flag is for, in words a non-engineer understands.' }),
    field('Owner', owner, { path: 'owner', hint: 'Person or team to ask about this flag.' }),
    field('Enabled', enabled, { path: 'enabled', hint: 'A disabled flag is off for everyone (the kill switch).' }),
    field('Rollout percentage', rollout, { path: 'rollout_percentage', hint: '0–100, up to two decimals.' }),
    field('Allowed users', users, { path: 'allowed_users', hint: 'User ids that always get the flag; one per line or comma-separated.' }),
    field('Allowed tenants', tenants, { path: 'allowed_tenants', hint: 'Tenant ids that always get the flag.' }),
    field('Environments', environments, { path: 'environments', hint: 'Comma-separated, e.g. staging, production. Empty means every environment.' }),
    field('Reason', reason, { path: 'reason', hint: 'Optional; recorded in the history.' }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create flag'), h('a', { class: 'btn', href: '#/flags' }, 'Cancel')),
  );

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {
      id: id.value.trim(),
      description: description.value.trim(),
      owner: owner.value.trim(),
      enabled: enabled.checked,
      rollout_percentage: numberOrRaw(rollout.value),
      allowed_users: parseList(users.value),
      allowed_tenants: parseList(tenants.value),
    };
    const envs = parseList(environments.value);
    if (envs.length) body.environments = envs;
    if (reason.value.trim()) body.reason = reason.value.trim();
    busy(form, async () => {
      try {
        const { flag } = await api.createFlag(body);
        toast(`Created ${flag?.id ?? body.id}`);
        location.hash = `#/flags/${encodeURIComponent(flag?.id ?? body.id)}`;
      } catch (err) {
        const general = err.status === 409 ? `A flag called "${body.id}" already exists.` : err.message;
        const issues = err.status === 409 ? [{ path: 'id', message: 'This id is taken.' }, ...err.issues] : err.issues;
        showErrors(form, issues, issues.length && err.status === 400 ? 'Please fix the fields marked below.' : general);
      }
    });
  });

  replace(main, h('div', { class: 'page-head' }, h('h1', { id: 'create-title' }, 'New flag')), form);
  id.focus();
}
