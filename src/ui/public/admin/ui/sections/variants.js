// Typed variants, splits and targeting rules (issue 9). Shown readably; edited as JSON, with the
// API's path-exact messages ("rules.0.conditions.1.values: …") shown under the editor.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { toast } from '../lib/toast.js';

const FIELDS = ['type', 'variants', 'on_variant', 'off_variant', 'split', 'bucket_by', 'rules'];
/** Fields PATCH clears with null; `rules` is cleared with [] and `type` always has a value. */
const NULLABLE = new Set(['variants', 'on_variant', 'off_variant', 'split', 'bucket_by']);

export function variantsSection(page) {
  const f = page.flag;
  const hasAny = (f.type && f.type !== 'boolean') || f.variants || f.split || (f.rules?.length ?? 0) > 0 || f.bucket_by;
  const body = [];
  body.push(
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Type'), h('dd', {}, f.type ?? 'boolean'),
      h('dt', {}, 'Served when on'), h('dd', {}, h('code', {}, f.on_variant ?? 'on')),
      h('dt', {}, 'Served when off or killed'), h('dd', {}, h('code', {}, f.off_variant ?? 'off')),
      h('dt', {}, 'Bucket by'), h('dd', {}, h('code', {}, f.bucket_by ?? 'targetingKey'), ' (user id unless set)'),
    ),
  );
  if (f.variants && Object.keys(f.variants).length) {
    body.push(
      h(
        'table',
        { class: 'table compact' },
        h('caption', {}, 'Variants'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, 'Value'))),
        h('tbody', {}, Object.entries(f.variants).map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, h('code', {}, k)), h('td', {}, h('code', { class: 'value' }, JSON.stringify(v)))))),
      ),
    );
  }
  if (f.split?.length) body.push(h('div', {}, h('h3', {}, 'Default split'), splitBar(f.split)));
  if (f.rules?.length) {
    body.push(
      h('h3', {}, 'Targeting rules (first match wins)'),
      h(
        'ol',
        { class: 'rules' },
        f.rules.map((rule) =>
          h(
            'li',
            {},
            rule.description ? h('p', { class: 'rule-desc' }, rule.description) : null,
            h('p', {}, 'When ', rule.conditions.map((c, i) => [i ? ' and ' : '', conditionText(c)]), ', serve ', serveText(rule.serve)),
          ),
        ),
      ),
    );
  }
  if (!hasAny) body.push(h('p', { class: 'muted' }, 'A plain on/off flag: no variants, split or targeting rules.'));
  if (page.canWrite) body.push(jsonEditor(page));
  return section('Variants and targeting rules', { id: 'sec-variants' }, body);
}

/** One condition in words: `not country in ["DE", "AT"]`. The segment page uses it too. */
export function conditionText(c) {
  const values = (c.values ?? []).map((v) => JSON.stringify(v)).join(', ');
  return h('code', {}, `${c.negate ? 'not ' : ''}${c.attribute} ${c.op}${c.case_insensitive ? ' (any case)' : ''} [${values}]`);
}

function serveText(serve) {
  if (serve?.variant) return h('code', {}, serve.variant);
  if (serve?.split) return serve.split.map((s) => `${s.variant} ${(s.weight / 100).toFixed(2).replace(/\.?0+$/, '')}%`).join(' / ');
  return JSON.stringify(serve);
}

function splitBar(split) {
  return h(
    'ul',
    { class: 'split' },
    split.map((s) => h('li', {}, h('code', {}, s.variant), `: ${(s.weight / 100).toFixed(2).replace(/\.?0+$/, '')}%`)),
  );
}

function jsonEditor(page) {
  const f = page.flag;
  const current = {};
  for (const key of FIELDS) if (f[key] !== undefined) current[key] = f[key];
  const editor = h('textarea', { name: 'variants-json', rows: '10', spellcheck: 'false', class: 'code', value: JSON.stringify(current, null, 2) });
  const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Variants, split and rules (JSON)', editor, {
      path: FIELDS.join(' '),
      hint: `Fields: ${FIELDS.join(', ')}. A field you remove is cleared.`,
    }),
    field('Reason', reason, { path: 'reason' }),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save variants and rules'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let next;
    try {
      next = JSON.parse(editor.value);
      if (!next || typeof next !== 'object' || Array.isArray(next)) throw new Error('expected a JSON object');
    } catch (err) {
      showErrors(form, [{ path: 'rules', message: `Not valid JSON: ${err.message}` }]);
      return;
    }
    const patch = {};
    for (const key of Object.keys(next)) if (!FIELDS.includes(key)) patch[key] = next[key]; // let the API name unknown keys
    for (const key of FIELDS) {
      if (key in next) {
        if (JSON.stringify(next[key]) !== JSON.stringify(f[key])) patch[key] = next[key];
      } else if (f[key] !== undefined) {
        if (NULLABLE.has(key)) patch[key] = null;
        else if (key === 'rules') patch.rules = [];
      }
    }
    if (Object.keys(patch).length === 0) {
      toast('Nothing changed.', 'info');
      return;
    }
    if (reason.value.trim()) patch.reason = reason.value.trim();
    busy(form, () => page.mutate('Update variants and rules', (flag) => api.patchFlag(flag.id, flag.version, patch), { form, focus: 'variants' }));
  });
  return h('details', { class: 'editor' }, h('summary', {}, 'Edit as JSON'), form);
}
