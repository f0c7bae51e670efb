// The segment page: its conditions in words and as JSON, its description, history and delete,
// around the shared versioned-page state (lib/versioned-page.js): every edit is sent with
// If-Match: <the version shown>, and a 412 shows the current state instead of applying anything.
import { api } from '../api.js';
import { field, h, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { formatDate } from '../lib/format.js';
import { toast } from '../lib/toast.js';
import { loadOrNotFound, versionedPage } from '../lib/versioned-page.js';
import { actionLabel, historySection } from '../sections/history.js';
import { conditionText } from '../sections/variants.js';
import { CONDITIONS_HINT, parseConditions } from './segment-create.js';

export async function renderSegmentPage(main, { id }, _query, ctx) {
  const load = async (segmentId) => (await api.getSegment(segmentId)).segment;
  const segment = await loadOrNotFound(main, 'segment', id, load);
  if (!segment || !ctx.isCurrent()) return;

  const page = versionedPage(main, ctx, id, segment, {
    kind: 'segment',
    load,
    archivedNotice: 'This segment is deleted (archived): no flag can use it and it cannot be edited. Its history is kept.',
    body: () =>
      h(
        'div',
        { class: 'flag-grid' },
        h('div', { class: 'col' }, conditionsSection(), detailsSection(), deleteSection()),
        h('div', { class: 'col' }, historySection(page, {
          current: () => page.segment,
          fetch: (query) => api.segmentHistory(page.segment.id, query),
          label: (action) => (action === 'archive' ? 'Deleted' : actionLabel(action)),
          details: false,
          revert: false,
        })),
      ),
    // A 409 on delete names the flags (and segments) whose rules still use this segment.
    explainError: (err, label) => {
      const flags = err?.status === 409 && Array.isArray(err.details?.flags) ? err.details.flags.map(String) : null;
      return flags ? { message: `${label} failed: the segment is in use. Remove it from these rules first:`, flags } : undefined;
    },
    errorExtra: ({ flags }) => (flags?.length ? h('ul', { class: 'in-use' }, flags.map((f) => h('li', {}, userLink(f)))) : null),
    errorTestId: 'segment-error',
  });
  const { mutate, fail } = page;

  function conditionsSection() {
    const s = page.segment;
    const conditions = s.conditions ?? [];
    const body = [
      conditions.length
        ? [
            h('p', {}, 'A context is in this segment when all of these hold:'),
            h('ol', { class: 'rules conditions' }, conditions.map((c) => h('li', {}, h('p', {}, conditionText(c))))),
          ]
        : h('p', { class: 'muted' }, 'No conditions: this segment contains nobody.'),
    ];
    if (page.canWrite) {
      const editor = h('textarea', { name: 'conditions', rows: '10', spellcheck: 'false', class: 'code', value: JSON.stringify(conditions, null, 2) });
      const reason = h('input', { name: 'reason', autocomplete: 'off', maxlength: '500' });
      const form = h(
        'form',
        { novalidate: true },
        errorSummary(),
        field('Conditions (JSON)', editor, { path: 'conditions', hint: CONDITIONS_HINT }),
        field('Reason', reason, { path: 'reason' }),
        h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save conditions'),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const parsed = parseConditions(editor.value);
        if (parsed.issue) {
          showErrors(form, [parsed.issue]);
          return;
        }
        if (JSON.stringify(parsed.value) === JSON.stringify(s.conditions ?? [])) {
          toast('Nothing changed.', 'info');
          return;
        }
        const patch = { conditions: parsed.value };
        if (reason.value.trim()) patch.reason = reason.value.trim();
        busy(form, () => mutate('Update conditions', (seg) => api.patchSegment(seg.id, seg.version, patch), { form, focus: 'conditions' }));
      });
      body.push(h('details', { class: 'editor' }, h('summary', {}, 'Edit as JSON'), form));
    }
    return section('Conditions', { id: 'sec-conditions' }, body);
  }

  function detailsSection() {
    const s = page.segment;
    const facts = h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Created'), h('dd', {}, formatDate(s.created_at)),
      h('dt', {}, 'Last change'), h('dd', {}, formatDate(s.updated_at)),
      h('dt', {}, 'Use in a rule'), h('dd', {}, h('code', {}, JSON.stringify({ attribute: 'targetingKey', op: 'in_segment', values: [s.id] }))),
    );
    if (!page.canWrite) return section('Details', { id: 'sec-details' }, h('p', {}, s.description || h('span', { class: 'muted' }, 'No description given.')), facts);

    const description = h('textarea', { name: 'description', rows: '2', maxlength: '1000', value: s.description ?? '' });
    const form = h(
      'form',
      { novalidate: true },
      errorSummary(),
      field('Description', description, { path: 'description' }),
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save description'),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const next = description.value.trim();
      if (next === (s.description ?? '')) {
        toast('Nothing changed.', 'info');
        return;
      }
      busy(form, () => mutate('Update description', (seg) => api.patchSegment(seg.id, seg.version, { description: next }), { form, focus: 'details' }));
    });
    return section('Details', { id: 'sec-details' }, facts, form);
  }

  function deleteSection() {
    if (!page.canWrite) return null;
    const open = async () => {
      const s = page.segment;
      const result = await confirmDialog({
        title: `Delete segment ${s.id}?`,
        body: h('p', {}, 'The segment is archived: it leaves the list and the published bundle, and no rule can use it any more. Its history is kept. A segment still used by a flag or another segment cannot be deleted.'),
        confirmLabel: 'Delete segment',
        danger: true,
        onConfirm: ({ reason }) => api.deleteSegment(s.id, s.version, reason),
      });
      if (!result) return;
      if (result.error) return fail(result.error, 'Delete');
      toast(`Deleted segment ${s.id}.`);
      location.hash = '#/segments';
    };
    return section(
      'Delete',
      { id: 'sec-delete', className: 'card card-danger' },
      h('p', {}, 'Remove a segment no rule uses any more.'),
      h('button', { type: 'button', class: 'btn btn-danger', onclick: open }, 'Delete segment…'),
    );
  }

  page.render();
}

/** A user of a segment: a flag id, or "segment:<id>" for another segment. */
function userLink(user) {
  if (user.startsWith('segment:')) {
    const segmentId = user.slice('segment:'.length);
    return [h('span', {}, 'segment '), h('a', { href: `#/segments/${encodeURIComponent(segmentId)}` }, segmentId)];
  }
  return [h('span', {}, 'flag '), h('a', { href: `#/flags/${encodeURIComponent(user)}` }, user)];
}
