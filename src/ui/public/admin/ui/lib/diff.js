// Readable before/after of a history entry: which fields changed, and how.
import { h } from './dom.js';
import { duration, formatValue, percent, ratio } from './format.js';

/**
 * Bookkeeping fields every change touches, and the status facts a kill records beside the fields
 * (the entry's action and the health view already say them); not worth showing.
 */
const IGNORED = new Set(['version', 'updated_at', 'created_at', 'id', 'killed_by_switch', 'last_incident']);

const LABELS = {
  enabled: 'Enabled',
  rollout_percentage: 'Rollout',
  allowed_users: 'Allowed users',
  allowed_tenants: 'Allowed tenants',
  environments: 'Environments',
  description: 'Use case',
  owner: 'Owner',
  permanent: 'Permanent',
  archived: 'Archived',
  auto_kill: 'Auto-kill',
  'auto_kill.enabled': 'Auto-kill enabled',
  'auto_kill.max_failures': 'Auto-kill max failures',
  'auto_kill.window_seconds': 'Auto-kill window',
  'auto_kill.max_error_rate': 'Auto-kill max error rate',
  'auto_kill.min_samples': 'Auto-kill minimum samples',
  type: 'Type',
  variants: 'Variants',
  on_variant: 'On variant',
  off_variant: 'Off variant',
  split: 'Split',
  bucket_by: 'Bucket by',
  rules: 'Targeting rules',
  client_side: 'Client-side',
  conditions: 'Conditions',
  metadata: 'Metadata',
  plan: 'Rollout plan',
  'plan.status': 'Plan status',
  'plan.stage_index': 'Plan stage',
  'plan.stages': 'Plan stages',
  'plan.on_unhealthy': 'Plan when unhealthy',
  'plan.paused_reason': 'Plan paused because',
  'plan.aborted_reason': 'Plan aborted because',
  'plan.template': 'Plan template',
  'plan.health': 'Plan health rule',
};

export function labelFor(path) {
  return LABELS[path] ?? path.replace(/_/g, ' ');
}

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function equal(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Nested objects we flatten one level into their fields, so "Auto-kill window: 5 min → 10 min" reads well. */
const FLATTEN = new Set(['auto_kill', 'metadata', 'variants', 'plan']);

/** Plan fields that change with every step and say nothing the status and stage do not. */
const PLAN_NOISE = new Set(['plan.updated_at', 'plan.stage_started_at', 'plan.next_step_at', 'plan.started_at', 'plan.ended_at']);

/**
 * The list of changes between two configs: [{ path, kind, before, after, added?, removed? }].
 * `before` may be null (a created flag); then every meaningful field of `after` is listed.
 */
export function diffConfigs(before, after) {
  const a = isPlainObject(before) ? before : {};
  const b = isPlainObject(after) ? after : {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !IGNORED.has(k));
  const changes = [];
  for (const key of keys) {
    const va = a[key];
    const vb = b[key];
    if (equal(va, vb)) continue;
    if (FLATTEN.has(key) && (isPlainObject(va) || isPlainObject(vb))) {
      const oa = isPlainObject(va) ? va : {};
      const ob = isPlainObject(vb) ? vb : {};
      for (const sub of [...new Set([...Object.keys(oa), ...Object.keys(ob)])]) {
        const path = `${key}.${sub}`;
        if (equal(oa[sub], ob[sub]) || PLAN_NOISE.has(path) || (isNothing(oa[sub]) && isNothing(ob[sub]))) continue;
        changes.push(change(path, oa[sub], ob[sub]));
      }
      continue;
    }
    changes.push(change(key, va, vb));
  }
  return changes;
}

function change(path, before, after) {
  if ((Array.isArray(before) || before === undefined) && (Array.isArray(after) || after === undefined) && isScalarList(before) && isScalarList(after)) {
    const setA = new Set((before ?? []).map(String));
    const setB = new Set((after ?? []).map(String));
    return {
      path,
      kind: 'list',
      before,
      after,
      added: [...setB].filter((x) => !setA.has(x)),
      removed: [...setA].filter((x) => !setB.has(x)),
    };
  }
  return { path, kind: 'value', before, after };
}

function isNothing(v) {
  return v === undefined || v === null;
}

function isEmpty(v) {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);
}

function isScalarList(v) {
  return v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'));
}

/** Renders a value the way an admin thinks of it (50% rather than 50, 5 min rather than 300). */
export function displayValue(path, value) {
  if (value === undefined) return '(unset)';
  if (path === 'rollout_percentage' && typeof value === 'number') return percent(value);
  if (path === 'auto_kill.window_seconds') return duration(value);
  if (path === 'auto_kill.max_error_rate' && typeof value === 'number') return ratio(value);
  if (path === 'environments' && value === null) return 'all';
  if (path === 'plan.stage_index' && typeof value === 'number') return `stage ${value + 1}`;
  if (path === 'plan.stages' && Array.isArray(value)) return value.map((s) => percent(s?.percentage)).join(' → ');
  if ((path === 'plan.paused_reason' || path === 'plan.aborted_reason') && value === null) return '—';
  if (Array.isArray(value) && value.length === 0) return '(none)';
  if (Array.isArray(value) && isScalarList(value)) return value.join(', ');
  return formatValue(value);
}

/** A <dl>-like list of changes with <del>/<ins> so the before/after is clear without colour too. */
export function renderDiff(before, after) {
  const created = !isPlainObject(before);
  // For a new flag, list what was set, not every empty default.
  const changes = diffConfigs(before, after).filter((c) => !created || (!isEmpty(c.after) && !(c.path === 'archived' && c.after === false)));
  if (changes.length === 0) return h('p', { class: 'diff-empty' }, 'No configuration change.');
  return h(
    'ul',
    { class: 'diff' },
    changes.map((c) => {
      const label = h('span', { class: 'diff-field' }, labelFor(c.path));
      if (c.kind === 'list' && !created) {
        return h(
          'li',
          {},
          label,
          ': ',
          c.added.length ? h('ins', {}, h('span', { class: 'sr-only' }, 'added '), `+ ${c.added.join(', ')}`) : null,
          c.added.length && c.removed.length ? ' ' : null,
          c.removed.length ? h('del', {}, h('span', { class: 'sr-only' }, 'removed '), `− ${c.removed.join(', ')}`) : null,
          !c.added.length && !c.removed.length ? `${displayValue(c.path, c.before)} → ${displayValue(c.path, c.after)}` : null,
        );
      }
      if (created) return h('li', {}, label, ': ', h('ins', {}, displayValue(c.path, c.after)));
      return h(
        'li',
        {},
        label,
        ': ',
        h('del', {}, h('span', { class: 'sr-only' }, 'was '), displayValue(c.path, c.before)),
        h('span', { 'aria-hidden': 'true' }, ' → '),
        h('ins', {}, h('span', { class: 'sr-only' }, ' now '), displayValue(c.path, c.after)),
      );
    }),
  );
}
