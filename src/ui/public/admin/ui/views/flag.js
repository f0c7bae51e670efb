// The flag page. It holds the flag as last read from the server (with its version); every edit
// is sent with If-Match: <that version>. When the server answers 412, someone else changed the
// flag: the page says so, shows the new state (the 412 carries it) and applies nothing.
import { api } from '../api.js';
import { h, replace } from '../lib/dom.js';
import { showErrors } from '../lib/forms.js';
import { percent, statusBadge, statusOf, timeEl } from '../lib/format.js';
import { toast } from '../lib/toast.js';
import { session } from '../session.js';
import { servingSection } from '../sections/serving.js';
import { planSection } from '../sections/plan.js';
import { targetingSection } from '../sections/targeting.js';
import { autoKillSection } from '../sections/autokill.js';
import { detailsSection } from '../sections/details.js';
import { variantsSection } from '../sections/variants.js';
import { archiveSection } from '../sections/archive.js';
import { healthSection } from '../sections/health.js';
import { historySection } from '../sections/history.js';

export async function renderFlagPage(main, { id }, _query, ctx) {
  let flag;
  try {
    ({ flag } = await api.getFlag(id));
  } catch (err) {
    if (err.status === 404) {
      replace(main, h('div', { class: 'notice', role: 'alert' }, h('h1', {}, 'Flag not found'), h('p', {}, `There is no flag called "${id}".`), h('a', { href: '#/flags' }, 'Back to all flags')));
      return;
    }
    throw err;
  }
  if (!ctx.isCurrent()) return;

  const page = {
    id,
    flag,
    /** What the user tried when a 412 came back: shown in the conflict banner until dismissed. */
    conflict: null,
    /** Set when a request failed for another reason (403, 5xx…). */
    error: null,
    get canWrite() {
      return session.canWrite && !this.flag.archived;
    },
    render,
    mutate,
    apply,
    fail,
    /** Latest history entry, once loaded, to say who made a conflicting change. */
    latestEntry: null,
  };

  /**
   * Runs a write. `label` says what it does in words ("Set rollout to 25%"); it becomes the
   * success toast, or the conflict banner's "your change". A 400 goes to `form`'s fields.
   */
  async function mutate(label, run, { form, focus } = {}) {
    try {
      const result = await run(page.flag);
      await apply(result, label, focus);
      return true;
    } catch (err) {
      await fail(err, label, form);
      return false;
    }
  }

  async function apply(result, label, focus) {
    if (result?.flag) page.flag = result.flag;
    else page.flag = (await api.getFlag(id)).flag;
    page.conflict = null;
    page.error = null;
    toast(`${label} — saved as version ${page.flag.version}.`);
    render({ focus });
  }

  async function fail(err, label, form) {
    if (err?.status === 412) {
      const current = err.details?.current;
      page.flag = current && typeof current === 'object' && current.id ? current : (await api.getFlag(id)).flag;
      page.conflict = { label };
      page.error = null;
      render({ focus: 'conflict' });
      return;
    }
    if (err?.status === 400 && form) {
      showErrors(form, err.issues, err.issues.length ? undefined : err.message);
      return;
    }
    page.error = err?.status === 403
      ? `Not allowed: ${err.message || 'your token lacks the flags:write scope.'}`
      : `${label} failed: ${err?.message ?? String(err)}`;
    render({ focus: 'error' });
  }

  function render({ focus } = {}) {
    if (!ctx.isCurrent()) return;
    const f = page.flag;
    const status = statusOf(f);
    const historyCard = historySection(page);
    const healthCard = healthSection(page);
    replace(
      main,
      h('p', { class: 'breadcrumb' }, h('a', { href: '#/flags' }, '← All flags')),
      h(
        'div',
        { class: 'page-head flag-head' },
        h('h1', {}, h('span', { class: 'sr-only' }, 'Flag '), h('code', { class: 'flag-id' }, f.id)),
        (page.statusEl = statusBadge(status)),
        f.archived ? h('span', { class: 'badge badge-muted' }, 'archived') : null,
        h('span', { class: 'meta' }, `version ${f.version} · rollout ${percent(f.rollout_percentage)} · changed `, timeEl(f.updated_at)),
      ),
      f.description ? h('p', { class: 'lede' }, f.description) : null,
      conflictBanner(),
      errorBanner(),
      f.archived ? h('div', { class: 'notice' }, 'This flag is archived: it is no longer served and cannot be edited. Its history is kept.') : null,
      !session.canWrite ? h('p', { class: 'notice notice-info' }, 'Read-only: your token can view this flag but not change it.') : null,
      h(
        'div',
        { class: 'flag-grid' },
        h(
          'div',
          { class: 'col' },
          servingSection(page),
          targetingSection(page),
          autoKillSection(page),
          variantsSection(page),
          detailsSection(page),
          archiveSection(page),
        ),
        h('div', { class: 'col' }, healthCard, planSection(page), historyCard),
      ),
    );
    if (focus === 'conflict' || focus === 'error') main.querySelector(`[data-banner="${focus}"]`)?.focus();
    else if (focus) main.querySelector(`#sec-${focus} [tabindex="-1"]`)?.focus();
  }

  /**
   * GET /admin/flags/:id may come without the list's computed `status`; from the config alone a
   * disabled flag reads "off". The history tells whether a kill switched it off: then "killed".
   */
  page.refineStatus = (entries) => {
    if (page.flag.status || page.flag.enabled) return;
    const switchedOff = entries.find((e) => e.after && e.after.enabled === false && (!e.before || e.before.enabled !== false));
    if (switchedOff && (switchedOff.action === 'kill' || switchedOff.action === 'auto_kill')) {
      const badge = statusBadge('killed');
      page.statusEl?.replaceWith(badge);
      page.statusEl = badge;
    }
  };

  function conflictBanner() {
    if (!page.conflict) return null;
    const who = h('span', { class: 'conflict-who' });
    const banner = h(
      'div',
      { class: 'notice notice-warn conflict', role: 'alert', tabindex: '-1', dataset: { banner: 'conflict', testid: 'conflict' } },
      h('h2', {}, 'Someone else changed this flag'),
      h(
        'p',
        {},
        'While you were looking at it, the flag was changed',
        who,
        `. Your change — ${page.conflict.label} — was not applied. The page now shows the current state (version ${page.flag.version}); review it and try again if your change is still needed.`,
      ),
      h('button', { type: 'button', class: 'btn', onclick: () => { page.conflict = null; render(); } }, 'Dismiss'),
    );
    page.fillConflictWho = (entry) => {
      if (entry && entry.version === page.flag.version && entry.actor) who.textContent = ` by ${entry.actor}`;
    };
    if (page.latestEntry) page.fillConflictWho(page.latestEntry);
    return banner;
  }

  function errorBanner() {
    if (!page.error) return null;
    return h(
      'div',
      { class: 'notice notice-error', role: 'alert', tabindex: '-1', dataset: { banner: 'error' } },
      h('p', {}, page.error),
      h('button', { type: 'button', class: 'btn', onclick: () => { page.error = null; render(); } }, 'Dismiss'),
    );
  }

  render();
}
