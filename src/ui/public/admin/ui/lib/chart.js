// A small inline SVG chart of the health window's buckets: failures stacked on successes, on a
// time axis from (now - window) to now. Comes with a text summary and a data table for screen
// readers and for anyone who wants the numbers.
import { h, svg, uid } from './dom.js';
import { toDate } from './format.js';

const WIDTH = 600;
const HEIGHT = 120;
const PAD_BOTTOM = 18;

/**
 * The bucket length: the server's `bucket_seconds` when it sends one, else the coordinator's rule
 * (1/60 of the window, at least one second).
 */
function bucketSeconds(health) {
  if (Number(health.bucket_seconds) > 0) return Number(health.bucket_seconds);
  return Math.max(1, Math.ceil(Number(health.window_seconds || 300) / 60));
}

/**
 * @param {{ window_seconds: number, buckets?: { start: string|number, failures: number, successes: number }[] }} health
 * @param {number} [now]
 */
export function healthChart(health, now = Date.now()) {
  const windowMs = Number(health.window_seconds || 300) * 1000;
  const buckets = (health.buckets ?? [])
    .map((b) => ({ start: toDate(b.start)?.getTime() ?? NaN, failures: Number(b.failures) || 0, successes: Number(b.successes) || 0 }))
    .filter((b) => Number.isFinite(b.start))
    .sort((a, b) => a.start - b.start);
  const widthMs = bucketSeconds(health) * 1000;
  const end = Math.max(now, ...buckets.map((b) => b.start + widthMs));
  const start = end - windowMs;
  const maxTotal = Math.max(1, ...buckets.map((b) => b.failures + b.successes));
  const plotH = HEIGHT - PAD_BOTTOM;
  const x = (t) => ((t - start) / windowMs) * WIDTH;

  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  const totalFailures = buckets.reduce((s, b) => s + b.failures, 0);
  const totalSuccesses = buckets.reduce((s, b) => s + b.successes, 0);
  const summary = `${totalFailures} failures and ${totalSuccesses} successes over the last ${Math.round(windowMs / 60000)} minutes, in ${buckets.length} time buckets.`;

  const bars = [];
  for (const b of buckets) {
    const x0 = Math.max(0, x(b.start));
    const w = Math.max(2, Math.min(WIDTH, x(b.start + widthMs)) - x0 - 1);
    const hs = (b.successes / maxTotal) * plotH;
    const hf = (b.failures / maxTotal) * plotH;
    const when = new Date(b.start).toLocaleTimeString();
    if (hs > 0) {
      bars.push(svg('rect', { class: 'bar-success', x: x0.toFixed(1), y: (plotH - hs).toFixed(1), width: w.toFixed(1), height: hs.toFixed(1) },
        svg('title', {}, `${when}: ${b.successes} successes`)));
    }
    if (hf > 0) {
      bars.push(svg('rect', { class: 'bar-failure', x: x0.toFixed(1), y: (plotH - hs - hf).toFixed(1), width: w.toFixed(1), height: hf.toFixed(1) },
        svg('title', {}, `${when}: ${b.failures} failures`)));
    }
  }

  const chart = svg(
    'svg',
    { class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-labelledby': `${titleId} ${descId}` },
    svg('title', { id: titleId }, 'Failures and successes over the window'),
    svg('desc', { id: descId }, summary),
    svg('line', { class: 'axis', x1: 0, y1: plotH + 0.5, x2: WIDTH, y2: plotH + 0.5 }),
    ...bars,
  );

  const table = h(
    'details',
    { class: 'chart-data' },
    h('summary', {}, 'Show the numbers'),
    buckets.length === 0
      ? h('p', {}, 'No reports in this window.')
      : h(
          'table',
          { class: 'table compact' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'From'), h('th', { scope: 'col' }, 'Failures'), h('th', { scope: 'col' }, 'Successes'))),
          h('tbody', {}, buckets.map((b) => h('tr', {}, h('td', {}, new Date(b.start).toLocaleTimeString()), h('td', {}, String(b.failures)), h('td', {}, String(b.successes))))),
        ),
  );

  return h(
    'figure',
    { class: 'chart-figure' },
    chart,
    h('figcaption', { class: 'chart-axis' },
      h('span', {}, `${Math.round(windowMs / 60000)} min ago`),
      h('span', { class: 'legend' }, h('span', { class: 'swatch swatch-failure', 'aria-hidden': 'true' }), 'failures ', h('span', { class: 'swatch swatch-success', 'aria-hidden': 'true' }), 'successes'),
      h('span', {}, 'now')),
    table,
  );
}
