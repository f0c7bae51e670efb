// Use case (description), owner, and whether the flag is permanent (never reported stale).
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { busy, errorSummary } from '../lib/forms.js';
import { formatDate } from '../lib/format.js';
import { toast } from '../lib/toast.js';

export function detailsSection(page) {
  const f = page.flag;
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Owner'), h('dd', {}, f.owner || '—'),
    h('dt', {}, 'Permanent'), h('dd', {}, f.permanent ? 'yes, never reported stale' : 'no'),
    h('dt', {}, 'Created'), h('dd', {}, formatDate(f.created_at)),
    h('dt', {}, 'Last change'), h('dd', {}, formatDate(f.updated_at)),
    f.last_evaluated_at ? [h('dt', {}, 'Last evaluated'), h('dd', {}, formatDate(f.last_evaluated_at))] : null,
  );
  if (!page.canWrite) return section('Details', { id: 'sec-details' }, h('p', {}, f.description || h('span', { class: 'muted' }, 'No use case given.')), facts);

  const description = h('textarea', { name: 'description', rows: '2', value: f.description ?? '' });
  const owner = h('input', { name: 'owner', autocomplete: 'off', value: f.owner ?? '' });
  const permanent = h('input', { type: 'checkbox', name: 'permanent', checked: Boolean(f.permanent) });
  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Use case', description, { path: 'description' }),
    field('Owner', owner, { path: 'owner' }),
    field('Permanent', permanent, { path: 'permanent', hint: 'A flag meant to stay (an ops kill switch, say): never reported stale.' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save details'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const patch = {};
    if (description.value.trim() !== (f.description ?? '')) patch.description = description.value.trim();
    if (owner.value.trim() !== (f.owner ?? '')) patch.owner = owner.value.trim();
    if (permanent.checked !== Boolean(f.permanent)) patch.permanent = permanent.checked ? true : null;
    if (Object.keys(patch).length === 0) {
      toast('Nothing changed.', 'info');
      return;
    }
    busy(form, () => page.mutate('Update details', (flag) => api.patchFlag(flag.id, flag.version, patch), { form, focus: 'details' }));
  });
  return section('Details', { id: 'sec-details' }, facts, form);
}
