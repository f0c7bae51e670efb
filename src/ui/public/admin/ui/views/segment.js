// The segment page: its conditions in words and as JSON, its description, history and delete.
// Like the flag page it holds the segment as last read (with its version); every edit is sent
// with If-Match: <that version>, and a 412 shows the current state instead of applying anything.
import { api } from '../api.js';
import { field, h, replace, section } from '../lib/dom.js';
import { confirmDialog } from '../lib/dialog.js';
import { renderDiff } from '../lib/diff.js';
import { busy, errorSummary, showErrors } from '../lib/forms.js';
import { formatDate, timeEl } from '../lib/format.js';
import { toast } from '../lib/toast.js';
import { session } from '../session.js';
import { actionLabel } from '../sections/history.js';
import { conditionText } from '../sections/variants.js';
import { CONDITIONS_HINT, parseConditions } from './segment-create.js';

const HISTORY_PAGE_SIZE = 20;

export async function renderSegmentPage(main, { id }, _query, ctx) {
  let segment;
  try {
    ({ segment } = await api.getSegment(id));
  } catch (err) {
    if (err.status === 404) {
      replace(main, h('div', { class: 'notice', role: 'alert' }, h('h1', {}, 'Segment not found'), h('p', {}, `There is no segment called "${id}".`), h('a', { href: '#/segments' }, 'Back to all segments')));
      return;
    }
    throw err;
  }
  if (!ctx.isCurrent()) return;

  const page = {
    segment,
    /** What the user tried when a 412 came back. */
    conflict: null,
    /** A failed request other than a validation error: { message, flags? }. */
    error: null,
    get canWrite() {
      return session.canWrite && !this.segment.archived;
    },
  };

  /** Runs a write; a 400 goes to `form`'s fields, a 412 to the conflict banner. */
  async function mutate(label, run, { form, focus } = {}) {
    try {
      const result = await run(page.segment);
      page.segment = result?.segment ?? (await api.getSegment(id)).segment;
      page.conflict = null;
      page.error = null;
      toast(`${label} — saved as version ${page.segment.version}.`);
      render({ focus });
    } catch (err) {
      await fail(err, label, form);
    }
  }

  async function fail(err, label, form) {
    if (err?.status === 412) {
      const current = err.details?.current;
      page.segment = current && typeof current === 'object' && current.id ? current : (await api.getSegment(id)).segment;
      page.conflict = { label };
      page.error = null;
      render({ focus: 'conflict' });
      return;
    }
    if (err?.status === 400 && form) {
      showErrors(form, err.issues, err.issues.length ? undefined : err.message);
      return;
    }
    const flags = err?.status === 409 && Array.isArray(err.details?.flags) ? err.details.flags.map(String) : null;
    page.error = {
      message: err?.status === 403
        ? `Not allowed: ${err.message || 'your token lacks the flags:write scope.'}`
        : flags
          ? `${label} failed: the segment is in use. Remove it from these rules first:`
          : `${label} failed: ${err?.message ?? String(err)}`,
      flags,
    };
    render({ focus: 'error' });
  }

  function render({ focus } = {}) {
    if (!ctx.isCurrent()) return;
    const s = page.segment;
    replace(
      main,
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/segments' }, '← All segments')),
      h(
        'div',
        { class: 'page-head flag-head' },
        h('h1', {}, h('span', { class: 'sr-only' }, 'Segment '), h('code', { class: 'flag-id' }, s.id)),
        s.archived ? h('span', { class: 'badge badge-muted' }, 'archived') : null,
        h('span', { class: 'meta' }, `version ${s.version} · changed `, timeEl(s.updated_at)),
      ),
      s.description ? h('p', { class: 'lede' }, s.description) : null,
      conflictBanner(),
      errorBanner(),
      s.archived ? h('div', { class: 'notice' }, 'This segment is deleted (archived): no flag can use it and it cannot be edited. Its history is kept.') : null,
      !session.canWrite ? h('p', { class: 'notice notice-info' }, 'Read-only: your token can view this segment but not change it.') : null,
      h(
        'div',
        { class: 'flag-grid' },
        h('div', { class: 'col' }, conditionsSection(), detailsSection(), deleteSection()),
        h('div', { class: 'col' }, historySection()),
      ),
    );
    if (focus === 'conflict' || focus === 'error') main.querySelector(`[data-banner="${focus}"]`)?.focus();
    else if (focus) main.querySelector(`#sec-${focus} [tabindex="-1"]`)?.focus();
  }

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

  function historySection() {
    const list = h('ol', { class: 'timeline', 'aria-busy': 'true' });
    const status = h('p', { class: 'loading' }, 'Loading history…');
    const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Show older changes');
    const card = section('History', { id: 'sec-history' }, status, list, more);
    let before;
    const loadPage = async () => {
      more.disabled = true;
      try {
        const result = await api.segmentHistory(page.segment.id, { limit: HISTORY_PAGE_SIZE, before });
        const entries = result.entries ?? [];
        if (before === undefined && entries[0]) fillConflictWho(entries[0]);
        list.append(...entries.map(entryItem));
        before = result.next_before ?? undefined;
        more.hidden = before === undefined;
        status.remove();
        if (list.children.length === 0) replace(status, 'No history yet.');
      } catch (err) {
        replace(status, `Could not load history: ${err.message}`);
      } finally {
        list.removeAttribute('aria-busy');
        more.disabled = false;
      }
    };
    more.addEventListener('click', loadPage);
    loadPage();
    return card;
  }

  function entryItem(entry) {
    return h(
      'li',
      { class: `entry entry-${String(entry.action ?? '').replace(/[^a-z0-9-]/gi, '-')}`, dataset: { version: entry.version, action: entry.action } },
      h(
        'div',
        { class: 'entry-head' },
        h('span', { class: 'entry-version' }, `v${entry.version}`),
        h('strong', { class: 'entry-action' }, entry.action === 'archive' ? 'Deleted' : actionLabel(entry.action)),
        h('span', { class: 'entry-actor' }, `by ${entry.actor ?? 'unknown'}`),
        h('span', { class: 'entry-time', title: formatDate(entry.created_at) }, timeEl(entry.created_at)),
        entry.version === page.segment.version ? h('span', { class: 'badge badge-muted' }, 'current') : null,
      ),
      entry.reason ? h('blockquote', { class: 'entry-reason' }, h('span', { class: 'sr-only' }, 'Reason: '), entry.reason) : null,
      renderDiff(entry.before, entry.after),
    );
  }

  /** Says who made the change that won a race, once the history has loaded. */
  let conflictWho = null;
  function fillConflictWho(entry) {
    if (conflictWho && entry && entry.version === page.segment.version && entry.actor) conflictWho.textContent = ` by ${entry.actor}`;
  }

  function conflictBanner() {
    conflictWho = null;
    if (!page.conflict) return null;
    conflictWho = h('span', { class: 'conflict-who' });
    return h(
      'div',
      { class: 'notice notice-warn conflict', role: 'alert', tabindex: '-1', dataset: { banner: 'conflict', testid: 'conflict' } },
      h('h2', {}, 'Someone else changed this segment'),
      h(
        'p',
        {},
        'While you were looking at it, the segment was changed',
        conflictWho,
        `. Your change — ${page.conflict.label} — was not applied. The page now shows the current state (version ${page.segment.version}); review it and try again if your change is still needed.`,
      ),
      h('button', { type: 'button', class: 'btn', onclick: () => { page.conflict = null; render(); } }, 'Dismiss'),
    );
  }

  function errorBanner() {
    if (!page.error) return null;
    const { message, flags } = page.error;
    return h(
      'div',
      { class: 'notice notice-error', role: 'alert', tabindex: '-1', dataset: { banner: 'error', testid: 'segment-error' } },
      h('p', {}, message),
      flags?.length ? h('ul', { class: 'in-use' }, flags.map((f) => h('li', {}, userLink(f)))) : null,
      h('button', { type: 'button', class: 'btn', onclick: () => { page.error = null; render(); } }, 'Dismiss'),
    );
  }

  render();
}

/** A user of a segment: a flag id, or "segment:<id>" for another segment. */
function userLink(user) {
  if (user.startsWith('segment:')) {
    const segmentId = user.slice('segment:'.length);
    return [h('span', {}, 'segment '), h('a', { href: `#/segments/${encodeURIComponent(segmentId)}` }, segmentId)];
  }
  return [h('span', {}, 'flag '), h('a', { href: `#/flags/${encodeURIComponent(user)}` }, user)];
}
