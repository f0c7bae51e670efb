// Entry point: sign-in state, the top bar and a hash router (#/flags, #/flags/<id>, #/new,
// #/stale, #/segments, #/segments/<id>, #/new-segment, #/change-requests). Hash routes need nothing from the server beyond /admin itself.
import { api, onUnauthorized, tokenStore } from './api.js';
import { h, replace } from './lib/dom.js';
import { session } from './session.js';
import { ACCESS_LOGOUT, renderSignIn } from './views/signin.js';
import { renderFlagList } from './views/list.js';
import { renderFlagPage } from './views/flag.js';
import { renderCreate } from './views/create.js';
import { renderStale } from './views/stale.js';
import { renderSegmentList } from './views/segments.js';
import { renderSegmentPage } from './views/segment.js';
import { renderSegmentCreate } from './views/segment-create.js';
import { renderChangeRequests } from './views/change-requests.js';

const main = document.getElementById('main');
let renderSeq = 0;
/** When nobody is signed in: whether the deployment uses Cloudflare Access, and why /admin/me refused. */
let signInState = { access: false, problem: null };

/** Parses location.hash into a route name, params and query. */
export function parseRoute(hash = location.hash) {
  const raw = hash.replace(/^#/, '') || '/flags';
  const [pathPart, queryPart = ''] = raw.split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  if (parts[0] === 'flags' && parts.length === 2) return { name: 'flag', params: { id: parts[1] }, query };
  if (parts[0] === 'new') return { name: 'new', params: {}, query };
  if (parts[0] === 'stale') return { name: 'stale', params: {}, query };
  if (parts[0] === 'segments' && parts.length === 2) return { name: 'segment', params: { id: parts[1] }, query };
  if (parts[0] === 'segments') return { name: 'segments', params: {}, query };
  if (parts[0] === 'new-segment') return { name: 'new-segment', params: {}, query };
  if (parts[0] === 'change-requests') return { name: 'change-requests', params: {}, query };
  return { name: 'flags', params: {}, query };
}

const VIEWS = {
  flags: renderFlagList,
  flag: renderFlagPage,
  new: renderCreate,
  stale: renderStale,
  segments: renderSegmentList,
  segment: renderSegmentPage,
  'new-segment': renderSegmentCreate,
  'change-requests': renderChangeRequests,
};

async function route() {
  const seq = ++renderSeq;
  const ctx = { isCurrent: () => seq === renderSeq, rerender: route };
  if (!session.name) {
    updateChrome();
    replace(main, renderSignIn({ onSignedIn: signedIn, ...signInState }));
    return;
  }
  const { name, params, query } = parseRoute();
  updateChrome(name);
  replace(main, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  try {
    await VIEWS[name](main, params, query, ctx);
  } catch (err) {
    if (!ctx.isCurrent()) return;
    replace(main, h('div', { class: 'notice notice-error', role: 'alert' }, h('h1', {}, 'Something went wrong'), h('p', {}, err?.message ?? String(err))));
  }
}

function updateChrome(routeName) {
  const signedIn = Boolean(session.name);
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('session').hidden = !signedIn;
  document.getElementById('whoami').textContent = session.name;
  const roleBadge = document.getElementById('role-badge');
  roleBadge.textContent = session.role ?? '';
  roleBadge.hidden = !signedIn || !session.role;
  document.getElementById('readonly-badge').hidden = !signedIn || session.canWrite;
  for (const el of document.querySelectorAll('[data-write]')) el.hidden = !session.canWrite;
  // A segment's page and the create form belong under "Segments" in the nav.
  const navName = routeName === 'segment' || routeName === 'new-segment' ? 'segments' : routeName;
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === navName) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function signedIn(identity) {
  session.set(identity);
  route().then(() => main.focus());
}

function signOut(message) {
  // A person signed in through Access signs out of Access (which clears its cookie for this app).
  if (session.viaAccess) {
    session.clear();
    location.assign(ACCESS_LOGOUT);
    return;
  }
  tokenStore.clear();
  session.clear();
  route().then(() => {
    if (message) {
      const slot = main.querySelector('.form-errors');
      if (slot) {
        slot.textContent = message;
        slot.hidden = false;
      }
    }
  });
}

async function start() {
  document.getElementById('signout').addEventListener('click', () => signOut());
  onUnauthorized(() => {
    // An expired Access session: reloading through Access's edge signs the person in again.
    if (session.viaAccess) location.reload();
    else signOut('Your session is no longer valid. Please sign in again.');
  });
  window.addEventListener('hashchange', () => route().then(() => main.focus({ preventScroll: false })));
  await restoreSession();
  await route();
}

/** This tab's API token if it kept one, else whoever Cloudflare Access signed in (no prompt). */
async function restoreSession() {
  const token = tokenStore.get();
  if (token) {
    try {
      session.set(await api.me(token));
      return;
    } catch {
      tokenStore.clear();
    }
  }
  try {
    session.set(await api.me());
  } catch (err) {
    // 401 with details.access: Access is configured but this request's sign-in is missing or
    // invalid; 403: signed in without a role; 503: Access's keys could not be fetched.
    const access = err?.details?.access === true || err?.status === 403 || err?.code === 'access_unavailable';
    signInState = { access, problem: access ? { status: err.status, message: err.message } : null };
  }
}

start();
