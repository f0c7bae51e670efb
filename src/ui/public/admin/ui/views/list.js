// The flag list, like the article's table: flag, status, rollout, use case, owner, last change.
// The server pages, searches, filters and sorts (GET /admin/flags, 50 flags a page, by cursor), so
// the list never loads every flag. Filters, sort and the page's cursor live in the URL
// (#/flags?q=…&status=…&cursor=…) and the cursors of earlier pages in the history entry, so going
// to a flag and back returns to the same page. While a search is typed, the rows this view has
// already loaded are filtered at once; the server's answer replaces them a moment later.
// With write access, rows can be selected (across pages) for bulk actions.
import { api } from '../api.js';
import { confirmDialog } from '../lib/dialog.js';
import { field, h, replace, uid } from '../lib/dom.js';
import { STATUSES, percent, statusBadge, statusOf, timeEl } from '../lib/format.js';
import { session } from '../session.js';

const PAGE_SIZE = 50;
/** The server takes at most 500 flags per bulk request; a bigger selection goes in several. */
const BULK_CHUNK = 500;
const SEARCH_DELAY_MS = 250;

const SORTS = [
  { value: 'id:asc', label: 'Flag id, A to Z' },
  { value: 'id:desc', label: 'Flag id, Z to A' },
  { value: 'updated_at:desc', label: 'Last change, newest first' },
  { value: 'updated_at:asc', label: 'Last change, oldest first' },
  { value: 'created_at:desc', label: 'Created, newest first' },
  { value: 'owner:asc', label: 'Owner, A to Z' },
];
const LIFECYCLES = [
  { value: '', label: 'Any' },
  { value: 'stale', label: 'Stale (30 days)' },
  { value: 'fresh', label: 'Not stale' },
  { value: 'permanent', label: 'Permanent' },
];

export async function renderFlagList(main, _params, query, ctx) {
  const state = {
    q: query.q ?? '',
    status: STATUSES.some((s) => s.value === query.status) ? query.status : '',
    archived: query.archived === '1',
    lifecycle: LIFECYCLES.some((l) => l.value === query.lifecycle) ? query.lifecycle : '',
    sort: SORTS.some((s) => s.value === query.sort) ? query.sort : SORTS[0].value,
  };
  /** This page's cursor (null: the first page) and those of the pages before it. */
  let cursor = query.cursor || null;
  let trail = Array.isArray(history.state?.trail) && cursor ? history.state.trail.map(String) : [];
  if (!cursor) trail = [];
  /** Every flag this view has loaded, for the instant preview while the server answers. */
  const known = new Map();
  /** Ids of the selected flags, kept across pages and filters until acted on or cleared. */
  const selected = new Set();
  let page = { flags: [], next_cursor: null, total: 0 };
  let loadSeq = 0;
  let searchTimer = null;

  const search = h('input', { type: 'search', id: uid('q'), value: state.q, placeholder: 'id, use case or owner', autocomplete: 'off' });
  const statusSelect = h(
    'select',
    { id: uid('status') },
    h('option', { value: '' }, 'All statuses'),
    STATUSES.map((s) => h('option', { value: s.value, selected: s.value === state.status }, s.label)),
  );
  const lifecycleSelect = h('select', { id: uid('life') }, LIFECYCLES.map((l) => h('option', { value: l.value, selected: l.value === state.lifecycle }, l.label)));
  const sortSelect = h('select', { id: uid('sort') }, SORTS.map((s) => h('option', { value: s.value, selected: s.value === state.sort }, s.label)));
  const archivedBox = h('input', { type: 'checkbox', id: uid('arch'), checked: state.archived });
  const count = h('p', { class: 'count', role: 'status', 'aria-live': 'polite' });
  const problem = h('div', { class: 'notice notice-error', role: 'alert', hidden: true });
  const results = h('div', { class: 'bulk-results' });
  const tbody = h('tbody');
  const prev = h('button', { type: 'button', class: 'btn btn-small', 'data-page': 'prev' }, '← Previous');
  const next = h('button', { type: 'button', class: 'btn btn-small', 'data-page': 'next' }, 'Next →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of flags' }, prev, next);
  const selectAll = session.canWrite ? h('input', { type: 'checkbox', 'aria-label': 'Select every flag on this page' }) : null;
  const bulkBar = session.canWrite ? bulkActions() : null;

  const filters = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter flags', onsubmit: (e) => e.preventDefault() },
    h('div', { class: 'field' }, h('label', { for: search.id }, 'Search'), search),
    h('div', { class: 'field' }, h('label', { for: statusSelect.id }, 'Status'), statusSelect),
    h('div', { class: 'field' }, h('label', { for: lifecycleSelect.id }, 'Lifecycle'), lifecycleSelect),
    h('div', { class: 'field' }, h('label', { for: sortSelect.id }, 'Sort by'), sortSelect),
    h('div', { class: 'field field-check' }, archivedBox, h('label', { for: archivedBox.id }, 'Show archived')),
  );

  function apiQuery() {
    const [sort, order] = state.sort.split(':');
    return {
      limit: PAGE_SIZE,
      cursor: cursor ?? undefined,
      q: state.q.trim() || undefined,
      status: state.status || undefined,
      archived: state.archived ? 'any' : undefined,
      stale: state.lifecycle === 'stale' ? 'true' : state.lifecycle === 'fresh' ? 'false' : undefined,
      permanent: state.lifecycle === 'permanent' ? 'true' : undefined,
      sort: sort === 'id' ? undefined : sort,
      order: order === 'asc' ? undefined : order,
    };
  }

  function syncUrl() {
    const params = new URLSearchParams();
    if (state.q) params.set('q', state.q);
    if (state.status) params.set('status', state.status);
    if (state.lifecycle) params.set('lifecycle', state.lifecycle);
    if (state.sort !== SORTS[0].value) params.set('sort', state.sort);
    if (state.archived) params.set('archived', '1');
    if (cursor) params.set('cursor', cursor);
    history.replaceState({ trail }, '', `#/flags${params.toString() ? `?${params}` : ''}`);
  }

  /** Asks the server for the current page; an answer to an older question is dropped. */
  async function load() {
    const seq = ++loadSeq;
    syncUrl();
    let answer;
    try {
      answer = await api.listFlags(apiQuery());
    } catch (err) {
      if (seq !== loadSeq || !ctx.isCurrent()) return;
      if (err?.code === 'validation_failed' && cursor) {
        // A cursor from an old URL no longer fits: start again from the first page.
        cursor = null;
        trail = [];
        return load();
      }
      problem.textContent = `Could not load flags: ${err?.message ?? String(err)}`;
      problem.hidden = false;
      return;
    }
    if (seq !== loadSeq || !ctx.isCurrent()) return;
    problem.hidden = true;
    page = answer;
    for (const flag of page.flags) known.set(flag.id, flag);
    showRows(page.flags);
    const from = trail.length * PAGE_SIZE;
    const total = `${page.total.toLocaleString('en-US')} flag${page.total === 1 ? '' : 's'}`;
    count.textContent = page.flags.length ? `Showing ${from + 1}–${from + page.flags.length} of ${total}` : `0 of ${total}`;
    prev.disabled = !cursor;
    next.disabled = !page.next_cursor;
  }

  function showRows(flags) {
    const empty = known.size === 0 ? 'No flags yet.' : 'No flags match these filters.';
    replace(tbody, flags.length ? flags.map(row) : h('tr', {}, h('td', { colspan: session.canWrite ? '7' : '6', class: 'empty' }, empty)));
    syncSelection();
  }

  /** Filters and sorts what is already loaded, at once, while the server is asked. */
  function preview() {
    if (state.lifecycle === 'stale' || state.lifecycle === 'fresh') return; // only the server knows
    const shown = sortFlags(filterFlags([...known.values()], state), state.sort)
      .filter((f) => state.lifecycle !== 'permanent' || f.permanent)
      .slice(0, PAGE_SIZE);
    showRows(shown);
    count.textContent = 'Searching…';
  }

  /** A filter or the sort changed: back to the first page. */
  function changed({ delay = 0 } = {}) {
    state.q = search.value;
    state.status = statusSelect.value;
    state.lifecycle = lifecycleSelect.value;
    state.sort = sortSelect.value;
    state.archived = archivedBox.checked;
    cursor = null;
    trail = [];
    preview();
    clearTimeout(searchTimer);
    if (delay) searchTimer = setTimeout(load, delay);
    else void load();
  }

  search.addEventListener('input', () => changed({ delay: SEARCH_DELAY_MS }));
  for (const control of [statusSelect, lifecycleSelect, sortSelect, archivedBox]) control.addEventListener('change', () => changed());
  next.addEventListener('click', () => {
    if (!page.next_cursor) return;
    trail = [...trail, cursor ?? ''];
    cursor = page.next_cursor;
    void load().then(() => tbody.closest('table')?.scrollIntoView({ block: 'start' }));
  });
  prev.addEventListener('click', () => {
    if (!cursor) return;
    cursor = trail[trail.length - 1] || null;
    trail = trail.slice(0, -1);
    void load();
  });

  // ---------------------------------------------------------------- selection and bulk actions

  function row(flag) {
    const status = statusOf(flag);
    const box = session.canWrite
      ? h('input', {
          type: 'checkbox',
          'aria-label': `Select ${flag.id}`,
          checked: selected.has(flag.id),
          onchange: (e) => {
            if (e.target.checked) selected.add(flag.id);
            else selected.delete(flag.id);
            syncSelection();
          },
        })
      : null;
    return h(
      'tr',
      { dataset: { flag: flag.id } },
      box ? h('td', { 'data-label': 'Select', class: 'select-cell' }, box) : null,
      h(
        'th',
        { scope: 'row', 'data-label': 'Flag' },
        h('a', { href: `#/flags/${encodeURIComponent(flag.id)}` }, flag.id),
        flag.archived ? h('span', { class: 'badge badge-muted' }, 'archived') : null,
        flag.permanent ? h('span', { class: 'badge badge-muted', title: 'Never reported stale' }, 'permanent') : null,
      ),
      h('td', { 'data-label': 'Status' }, statusBadge(status), planNote(flag)),
      h('td', { 'data-label': 'Rollout', class: 'num' }, percent(flag.rollout_percentage)),
      h('td', { 'data-label': 'Use case' }, flag.description || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Owner' }, flag.owner || h('span', { class: 'muted' }, '—')),
      h('td', { 'data-label': 'Last change' }, timeEl(flag.updated_at)),
    );
  }

  function syncSelection() {
    if (!session.canWrite) return;
    const onPage = [...tbody.querySelectorAll('tr[data-flag]')].map((tr) => tr.dataset.flag);
    const chosen = onPage.filter((id) => selected.has(id)).length;
    selectAll.checked = onPage.length > 0 && chosen === onPage.length;
    selectAll.indeterminate = chosen > 0 && chosen < onPage.length;
    bulkBar.update();
  }

  selectAll?.addEventListener('change', () => {
    for (const tr of tbody.querySelectorAll('tr[data-flag]')) {
      const id = tr.dataset.flag;
      if (selectAll.checked) selected.add(id);
      else selected.delete(id);
      const box = tr.querySelector('input[type=checkbox]');
      if (box) box.checked = selectAll.checked;
    }
    syncSelection();
  });

  function bulkActions() {
    const label = h('span', { class: 'bulk-count' });
    const bar = h(
      'div',
      { class: 'bulk-bar', role: 'region', 'aria-label': 'Bulk actions', hidden: true },
      label,
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => askOwner() }, 'Change owner…'),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => ask('mark_permanent') }, 'Mark permanent…'),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => ask('archive') }, 'Archive…'),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-quiet',
          onclick: () => {
            selected.clear();
            for (const box of tbody.querySelectorAll('input[type=checkbox]')) box.checked = false;
            syncSelection();
          },
        },
        'Clear selection',
      ),
    );
    return Object.assign(bar, {
      update() {
        bar.hidden = selected.size === 0;
        label.textContent = `${selected.size} selected`;
      },
    });
  }

  const ACTIONS = {
    archive: { title: (n) => `Archive ${plural(n, 'flag')}?`, body: 'Application Workers stop finding these flags and fall back to their defaults. Each history is kept.', confirm: 'Archive', danger: true },
    mark_permanent: { title: (n) => `Mark ${plural(n, 'flag')} permanent?`, body: 'A permanent flag (an ops kill switch, a long-lived setting) is never reported stale.', confirm: 'Mark permanent' },
    set_owner: { title: (n) => `Change the owner of ${plural(n, 'flag')}`, body: 'Each flag gets a new version and a history entry.', confirm: 'Change owner' },
  };

  function askOwner() {
    const owner = h('input', { name: 'owner', autocomplete: 'off', maxlength: '128' });
    return ask('set_owner', [field('New owner', owner, { path: 'owner' })], () => ({ owner: owner.value.trim() }));
  }

  async function ask(action, fields = [], collect = undefined) {
    const ids = [...selected];
    const text = ACTIONS[action];
    const outcome = await confirmDialog({
      title: text.title(ids.length),
      body: h('div', {}, h('p', {}, text.body), h('p', { class: 'muted' }, ids.slice(0, 10).join(', ') + (ids.length > 10 ? `, and ${ids.length - 10} more` : ''))),
      confirmLabel: text.confirm,
      danger: Boolean(text.danger),
      fields,
      collect,
      onConfirm: async ({ reason, values }) => {
        const answers = [];
        for (let i = 0; i < ids.length; i += BULK_CHUNK) {
          const answer = await api.bulkFlags(action, ids.slice(i, i + BULK_CHUNK), { ...values, reason });
          answers.push(...answer.results);
        }
        showResults(action, answers);
      },
    });
    if (outcome?.error) {
      problem.textContent = `The bulk action was not applied: ${outcome.error.message}`;
      problem.hidden = false;
    }
    if (outcome) await load();
  }

  function showResults(action, answers) {
    const failed = answers.filter((r) => !r.ok);
    // What worked leaves the selection; what failed stays selected for another try.
    for (const r of answers) if (r.ok) selected.delete(r.id);
    const heading = `${ACTIONS[action].confirm}: ${answers.length - failed.length} of ${plural(answers.length, 'flag')} done${failed.length ? `, ${failed.length} failed` : ''}`;
    replace(
      results,
      h(
        'section',
        { class: `notice ${failed.length ? 'notice-warn' : 'notice-info'}`, role: failed.length ? 'alert' : 'status', 'aria-label': 'Bulk action results' },
        h('h2', {}, heading),
        h(
          'ul',
          { class: 'bulk-result-list' },
          answers.map((r) =>
            h(
              'li',
              { dataset: { result: r.id, ok: String(r.ok) } },
              h('a', { href: `#/flags/${encodeURIComponent(r.id)}` }, r.id),
              r.ok ? ` — done (version ${r.version})` : ` — failed: ${r.error?.message ?? `HTTP ${r.status}`}`,
            ),
          ),
        ),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => results.replaceChildren() }, 'Dismiss'),
      ),
    );
  }

  replace(
    main,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Flags'),
      session.canWrite ? h('a', { class: 'btn btn-primary', href: '#/new' }, 'New flag') : null,
    ),
    filters,
    count,
    problem,
    results,
    bulkBar,
    h(
      'table',
      { class: 'table flags-table' },
      h('caption', { class: 'sr-only' }, 'Feature flags'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          selectAll ? h('th', { scope: 'col', class: 'select-cell' }, selectAll) : null,
          ['Flag', 'Status', 'Rollout', 'Use case', 'Owner', 'Last change'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      tbody,
    ),
    pager,
  );
  count.textContent = 'Loading…';
  await load();
}

/** The loaded flags matching the text, status and archived filters, by id (the instant preview). */
export function filterFlags(flags, { q, status, archived }) {
  const needle = q.trim().toLowerCase();
  return flags
    .filter((f) => archived || !f.archived)
    .filter((f) => !status || statusOf(f) === status)
    .filter((f) => !needle || [f.id, f.description, f.owner].some((v) => String(v ?? '').toLowerCase().includes(needle)))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** Orders flags as the server does for `sort` ("key:asc|desc"): by the key, then by id. */
function sortFlags(flags, sort) {
  const [key, order] = sort.split(':');
  const sign = order === 'desc' ? -1 : 1;
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return [...flags].sort((a, b) => sign * (cmp(String(a[key] ?? ''), String(b[key] ?? '')) || cmp(a.id, b.id)));
}

/** A short note when a rollout plan drives the flag ("plan: running"). */
function planNote(flag) {
  const state = typeof flag.plan_state === 'string' ? flag.plan_state : flag.plan_state?.status ?? flag.plan?.status;
  if (!state) return null;
  return h('span', { class: 'plan-note' }, ` plan: ${state}`);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
