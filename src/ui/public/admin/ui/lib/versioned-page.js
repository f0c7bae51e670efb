// What the flag page and the segment page share. Each holds one resource as last read from the
// server (with its version); every edit is sent with If-Match: <that version>. When the server
// answers 412, someone else changed it: the page says so, shows the current state (the 412
// carries it) and applies nothing. A 400 goes to the form's fields; anything else to a banner.
import { h, replace } from './dom.js';
import { showErrors } from './forms.js';
import { timeEl } from './format.js';
import { toast } from './toast.js';
import { session } from '../session.js';
import { heldWords } from './requests.js';

/**
 * Reads the resource, or shows a "not found" notice and answers null. `kind` is the word for it
 * ("flag", "segment"); its list lives at #/<kind>s.
 */
export async function loadOrNotFound(main, kind, id, load) {
  try {
    return await load(id);
  } catch (err) {
    if (err.status === 404) {
      replace(
        main,
        h('div', { class: 'notice', role: 'alert' }, h('h1', {}, `${capitalise(kind)} not found`), h('p', {}, `There is no ${kind} called "${id}".`), h('a', { href: `#/${kind}s` }, `Back to all ${kind}s`)),
      );
      return null;
    }
    throw err;
  }
}

/**
 * The page state and its write path. Options:
 * - kind: "flag" | "segment"; the resource is kept as page[kind].
 * - load(id): the resource as the server has it now (for write answers without it).
 * - meta(resource): extra facts for the head line between "version N" and "changed …".
 * - badge(resource): a node after the title (the flag's status).
 * - archivedNotice: what the notice on an archived resource says.
 * - body(page): the page's sections.
 * - explainError(err, label): { message, … } for a failure the page words itself, else undefined.
 * - errorExtra(error): more content for the error banner, from what explainError returned.
 * - errorTestId: a data-testid for the error banner.
 */
export function versionedPage(main, ctx, id, resource, options) {
  const { kind, load } = options;
  const page = {
    id,
    [kind]: resource,
    /** What the user tried when a 412 came back: shown in the conflict banner until dismissed. */
    conflict: null,
    /** A failed request other than a validation error (403, 409, 5xx…): { message, … }. */
    error: null,
    /** Latest history entry, once loaded, to say who made a conflicting change. */
    latestEntry: null,
    get canWrite() {
      return session.canWrite && !this[kind].archived;
    },
    render,
    mutate,
    apply,
    fail,
  };

  /**
   * Runs a write. `label` says what it does in words ("Set rollout to 25%"); it becomes the
   * success toast, or the conflict banner's "your change". A 400 goes to `form`'s fields.
   */
  async function mutate(label, run, { form, focus } = {}) {
    try {
      const result = await run(page[kind]);
      await apply(result, label, focus);
      return true;
    } catch (err) {
      await fail(err, label, form);
      return false;
    }
  }

  /** A write's answer: the resource as saved, or a change request holding it (nothing saved yet). */
  async function apply(result, label, focus) {
    const held = result?.change_request && !result[kind];
    page[kind] = held ? await load(id) : result?.[kind] ?? (await load(id));
    page.conflict = null;
    page.error = null;
    toast(held ? `${label} — ${heldWords(result.change_request)}.` : `${label} — saved as version ${page[kind].version}.`);
    render({ focus: held ? 'requests' : focus });
  }

  async function fail(err, label, form) {
    if (err?.status === 412) {
      const current = err.details?.current;
      page[kind] = current && typeof current === 'object' && current.id ? current : await load(id);
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
      ? { message: `Not allowed: ${err.message || 'your token lacks the flags:write scope.'}` }
      : options.explainError?.(err, label) ?? { message: `${label} failed: ${err?.message ?? String(err)}` };
    render({ focus: 'error' });
  }

  function render({ focus } = {}) {
    if (!ctx.isCurrent()) return;
    const r = page[kind];
    const body = options.body(page);
    replace(
      main,
      h('p', { class: 'breadcrumb' }, h('a', { href: `#/${kind}s` }, `← All ${kind}s`)),
      h(
        'div',
        { class: 'page-head flag-head' },
        h('h1', {}, h('span', { class: 'sr-only' }, `${capitalise(kind)} `), h('code', { class: 'flag-id' }, r.id)),
        options.badge?.(r) ?? null,
        r.archived ? h('span', { class: 'badge badge-muted' }, 'archived') : null,
        h('span', { class: 'meta' }, [`version ${r.version}`, ...(options.meta?.(r) ?? []), 'changed '].join(' · '), timeEl(r.updated_at)),
      ),
      r.description ? h('p', { class: 'lede' }, r.description) : null,
      conflictBanner(),
      errorBanner(),
      r.archived ? h('div', { class: 'notice' }, options.archivedNotice) : null,
      !session.canWrite ? h('p', { class: 'notice notice-info' }, `Read-only: your ${session.viaAccess ? 'role' : 'token'} can view this ${kind} but not change it.`) : null,
      body,
    );
    if (focus === 'conflict' || focus === 'error') main.querySelector(`[data-banner="${focus}"]`)?.focus();
    else if (focus) main.querySelector(`#sec-${focus} [tabindex="-1"]`)?.focus();
  }

  function conflictBanner() {
    if (!page.conflict) return null;
    const who = h('span', { class: 'conflict-who' });
    const banner = h(
      'div',
      { class: 'notice notice-warn conflict', role: 'alert', tabindex: '-1', dataset: { banner: 'conflict', testid: 'conflict' } },
      h('h2', {}, `Someone else changed this ${kind}`),
      h(
        'p',
        {},
        `While you were looking at it, the ${kind} was changed`,
        who,
        `. Your change — ${page.conflict.label} — was not applied. The page now shows the current state (version ${page[kind].version}); review it and try again if your change is still needed.`,
      ),
      h('button', { type: 'button', class: 'btn', onclick: () => { page.conflict = null; render(); } }, 'Dismiss'),
    );
    /** Says who made the change that won the race, once the history has loaded. */
    page.fillConflictWho = (entry) => {
      if (entry && entry.version === page[kind].version && entry.actor) who.textContent = ` by ${entry.actor}`;
    };
    if (page.latestEntry) page.fillConflictWho(page.latestEntry);
    return banner;
  }

  function errorBanner() {
    if (!page.error) return null;
    return h(
      'div',
      { class: 'notice notice-error', role: 'alert', tabindex: '-1', dataset: { banner: 'error', testid: options.errorTestId } },
      h('p', {}, page.error.message),
      options.errorExtra?.(page.error) ?? null,
      h('button', { type: 'button', class: 'btn', onclick: () => { page.error = null; render(); } }, 'Dismiss'),
    );
  }

  return page;
}

function capitalise(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
