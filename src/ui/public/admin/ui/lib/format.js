// Formatting helpers shared by the views.
import { h } from './dom.js';

export const STATUSES = [
  { value: 'on', label: 'On' },
  { value: 'off', label: 'Off' },
  { value: 'killed', label: 'Killed' },
  { value: 'allowlist-only', label: 'Allowlist only' },
  { value: 'rolling-out', label: 'Rolling out' },
];

export function statusLabel(status) {
  return STATUSES.find((s) => s.value === status)?.label ?? String(status ?? 'unknown');
}

/**
 * The server computes `status` for the list; a single flag may come without it, so derive the
 * same categories from the config when needed.
 */
export function statusOf(flag) {
  if (flag.status) return flag.status;
  if (!flag.enabled) return 'off';
  if (flag.split || (flag.rollout_percentage > 0 && flag.rollout_percentage < 100)) return 'rolling-out';
  if (flag.rollout_percentage >= 100) return 'on';
  const targeted =
    (flag.allowed_users?.length ?? flag.allowed_users_count ?? 0) +
    (flag.allowed_tenants?.length ?? flag.allowed_tenants_count ?? 0) +
    (flag.rules?.length ?? 0);
  return targeted > 0 ? 'allowlist-only' : 'off';
}

export function statusBadge(status) {
  return h('span', { class: `badge status status-${status}`, dataset: { status } }, statusLabel(status));
}

export function percent(value) {
  if (value === undefined || value === null || Number.isNaN(Number(value))) return '—';
  const n = Number(value);
  return `${Number.isInteger(n) ? n : n.toFixed(2).replace(/0$/, '')}%`;
}

/** A fraction (0..1) as a percentage with up to two decimals. */
export function ratio(value) {
  if (value === undefined || value === null || Number.isNaN(Number(value))) return '—';
  return `${(Number(value) * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

/** Accepts ISO strings, epoch milliseconds or epoch seconds. */
export function toDate(value) {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') return new Date(value < 1e12 ? value * 1000 : value);
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatDate(value) {
  const d = toDate(value);
  return d ? dateFormat.format(d) : '—';
}

export function relativeTime(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return '—';
  const seconds = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relFormat.format(seconds, 'second');
  if (abs < 45 * 60) return relFormat.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relFormat.format(Math.round(seconds / 3600), 'hour');
  if (abs < 26 * 86400) return relFormat.format(Math.round(seconds / 86400), 'day');
  if (abs < 320 * 86400) return relFormat.format(Math.round(seconds / (30 * 86400)), 'month');
  return relFormat.format(Math.round(seconds / (365 * 86400)), 'year');
}

/** A <time> element showing relative time, with the exact date as its title. */
export function timeEl(value) {
  const d = toDate(value);
  if (!d) return h('span', {}, '—');
  return h('time', { datetime: d.toISOString(), title: dateFormat.format(d) }, relativeTime(d));
}

export function duration(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return '—';
  if (s === 0) return '0 s';
  if (s % 86400 === 0) return `${s / 86400} d`;
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** Splits a textarea of ids (one per line, or separated by commas) into a clean list. */
export function parseList(text) {
  return String(text ?? '')
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function formatValue(value) {
  if (value === undefined) return '(unset)';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  return JSON.stringify(value);
}

/**
 * What was typed, as a number when it is one, else the text itself so the API names the problem;
 * undefined when empty.
 */
export function numberOrRaw(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}
