// Allowlists and environments. Only the fields that changed are sent, with If-Match.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { busy, errorSummary } from '../lib/forms.js';
import { parseList } from '../lib/format.js';
import { toast } from '../lib/toast.js';

export function targetingSection(page) {
  const f = page.flag;
  const envText = (f.environments ?? []).join(', ');
  if (!page.canWrite) {
    return section(
      'Allowlists and environments',
      { id: 'sec-targeting' },
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Allowed users'), h('dd', {}, listText(f.allowed_users)),
        h('dt', {}, 'Allowed tenants'), h('dd', {}, listText(f.allowed_tenants)),
        h('dt', {}, 'Environments'), h('dd', {}, f.environments ? envText : 'all environments'),
      ),
    );
  }

  const users = h('textarea', { name: 'allowed_users', rows: '3', value: (f.allowed_users ?? []).join('\n') });
  const tenants = h('textarea', { name: 'allowed_tenants', rows: '3', value: (f.allowed_tenants ?? []).join('\n') });
  const envs = h('input', { name: 'environments', autocomplete: 'off', value: envText });
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Allowed users', users, { path: 'allowed_users', hint: 'Always get the flag while it is enabled. One id per line or comma-separated.' }),
    field('Allowed tenants', tenants, { path: 'allowed_tenants', hint: 'Tenant ids that always get the flag while it is enabled.' }),
    field('Environments', envs, { path: 'environments', hint: 'Comma-separated. Empty means every environment; elsewhere the flag is off.' }),
    field('Reason', reason, { path: 'reason' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save allowlists and environments'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch = {};
    const nextUsers = parseList(users.value);
    const nextTenants = parseList(tenants.value);
    const nextEnvs = parseList(envs.value);
    if (!sameList(nextUsers, f.allowed_users)) patch.allowed_users = nextUsers;
    if (!sameList(nextTenants, f.allowed_tenants)) patch.allowed_tenants = nextTenants;
    if (nextEnvs.length === 0 && f.environments) patch.environments = null;
    else if (nextEnvs.length > 0 && !sameList(nextEnvs, f.environments)) patch.environments = nextEnvs;
    if (Object.keys(patch).length === 0) {
      toast('Nothing changed.', 'info');
      return;
    }
    if (reason.value.trim()) patch.reason = reason.value.trim();
    busy(form, () => page.mutate('Update allowlists and environments', (flag) => api.patchFlag(flag.id, flag.version, patch), { form, focus: 'targeting' }));
  });
  return section('Allowlists and environments', { id: 'sec-targeting' }, form);
}

function sameList(a, b) {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function listText(list) {
  return list?.length ? list.join(', ') : h('span', { class: 'muted' }, 'none');
}
