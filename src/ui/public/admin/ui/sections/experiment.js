// The experiment (issue 15): start and stop it, and its read-out per metric: units, the rate or
// mean, the uplift against the control with its 95% interval drawn as a bar around zero, the
// chance to win, and a sample-ratio warning in plain words. Numbers come from
// GET /admin/flags/:id/experiment (docs/experiments.md); nothing is computed here.
import { api } from '../api.js';
import { h, replace, section, svg } from '../lib/dom.js';
import { formatDate, ratio } from '../lib/format.js';

export function experimentSection(page) {
  const flag = page.flag;
  const experiment = flag.experiment;
  if (!experiment) return setupCard(page);
  const body = h('div', { class: 'experiment', 'aria-busy': 'true' }, h('p', { class: 'loading' }, 'Loading the read-out…'));
  const card = section(
    'Experiment',
    { id: 'sec-experiment' },
    h('p', { 'data-testid': 'experiment-status' }, statusLine(experiment)),
    page.canWrite ? controls(page, experiment) : null,
    body,
  );
  if (experiment.status === 'draft') {
    body.removeAttribute('aria-busy');
    replace(body, h('p', { class: 'hint' }, 'Start the experiment to record which variant each user sees and what they do next.'));
  } else load(flag.id, body);
  return card;
}

function statusLine(experiment) {
  const metrics = experiment.metrics.map((m) => m.key).join(', ');
  if (experiment.status === 'running') return `Running since ${formatDate(experiment.started_at)}, comparing every variant with "${experiment.control}" on ${metrics}.`;
  if (experiment.status === 'stopped') return `Stopped ${formatDate(experiment.stopped_at)} (ran from ${formatDate(experiment.started_at)}), compared with "${experiment.control}" on ${metrics}.`;
  return `Draft: will compare every variant with "${experiment.control}" on ${metrics}.`;
}

function controls(page, experiment) {
  const patch = (label, next) => page.mutate(label, (flag) => api.patchFlag(flag.id, flag.version, { experiment: next }));
  const now = () => new Date().toISOString();
  if (experiment.status === 'running') {
    return h('button', { type: 'button', class: 'btn', onclick: () => patch('Stop the experiment', { ...experiment, status: 'stopped', stopped_at: now() }) }, 'Stop experiment');
  }
  const label = experiment.status === 'stopped' ? 'Start a new run' : 'Start experiment';
  const hint = experiment.status === 'stopped' ? h('p', { class: 'hint' }, 'A new run starts counting from zero.') : null;
  return [h('button', { type: 'button', class: 'btn btn-primary', onclick: () => patch(label, { ...experiment, status: 'running', started_at: now(), stopped_at: null }) }, label), hint];
}

/** A flag without an experiment: a short form for the control and one metric, saved as a draft. */
function setupCard(page) {
  if (!page.canWrite) return null;
  const variants = Object.keys(page.flag.variants ?? { on: true, off: false });
  const control = h('select', { name: 'control' }, variants.map((v) => h('option', { value: v, selected: v === (page.flag.off_variant ?? 'off') }, v)));
  const key = h('input', { name: 'metric', required: true, placeholder: 'checkout', pattern: '[A-Za-z0-9][A-Za-z0-9._-]{0,63}' });
  const type = h('select', { name: 'type' }, h('option', { value: 'conversion' }, 'conversion (did the user do it?)'), h('option', { value: 'mean' }, 'mean (e.g. revenue per user)'));
  const goal = h('select', { name: 'goal' }, h('option', { value: 'increase' }, 'higher is better'), h('option', { value: 'decrease' }, 'lower is better'));
  const form = h(
    'form',
    {
      class: 'experiment-setup',
      onsubmit: (event) => {
        event.preventDefault();
        const experiment = { control: control.value, metrics: [{ key: key.value.trim(), type: type.value, goal: goal.value }], status: 'draft' };
        page.mutate('Set up the experiment', (flag) => api.patchFlag(flag.id, flag.version, { experiment }), { form });
      },
    },
    h('label', {}, 'Control variant ', control),
    h('label', {}, 'Metric ', key),
    h('label', {}, 'Kind ', type),
    h('label', {}, 'Goal ', goal),
    h('button', { type: 'submit', class: 'btn' }, 'Set up experiment'),
  );
  return section('Experiment', { id: 'sec-experiment' }, h('p', { class: 'hint' }, 'Compare variants of this flag on a metric.'), form);
}

async function load(flagId, body) {
  try {
    replace(body, renderReadout(await api.experiment(flagId)));
  } catch (err) {
    replace(body, h('p', { class: 'muted' }, `Could not load the read-out: ${err.message}`));
  } finally {
    body.removeAttribute('aria-busy');
  }
}

export function renderReadout(readout) {
  const units = readout.metrics[0]?.variants ?? [];
  const total = units.reduce((n, v) => n + v.units, 0);
  const parts = [
    h('p', { 'data-testid': 'experiment-units' }, `${total} users so far: `, units.map((v) => `${v.variant} ${v.units}`).join(', '), '.'),
  ];
  if (!readout.srm.ok) {
    parts.push(
      h(
        'div',
        { class: 'notice notice-warn', role: 'alert', 'data-testid': 'srm-warning' },
        h('strong', {}, 'Warning: the groups are not the sizes the split asks for. '),
        'Users are not reaching the variants in the planned proportions, which almost never happens by chance (p = ',
        readout.srm.p_value === null ? '—' : readout.srm.p_value.toExponential(1),
        '). Something is wrong with how users are assigned or counted, so do not trust these results until it is fixed.',
      ),
    );
  }
  if (readout.multiple_exposures > 0) {
    parts.push(h('p', { class: 'hint' }, `${readout.multiple_exposures} user(s) saw more than one variant and are left out of the numbers.`));
  }
  for (const metric of readout.metrics) parts.push(metricTable(metric, readout.sequential));
  parts.push(
    h(
      'p',
      { class: 'hint' },
      readout.sequential
        ? 'Bars: the 95% interval of the change; while running, decide on the wider dashed interval, which stays valid however often you look.'
        : 'Bars: the 95% interval of the change against the control; the line marks no change.',
    ),
  );
  return parts;
}

function metricTable(metric, sequential) {
  const better = metric.goal === 'increase' ? 'higher is better' : 'lower is better';
  const valueHead = metric.type === 'conversion' ? 'Conversion' : 'Mean';
  return h(
    'table',
    { class: 'table experiment-table', 'data-testid': `metric-${metric.key}` },
    h('caption', {}, `${metric.key} (${metric.type}, ${better})`),
    h('thead', {}, h('tr', {}, h('th', {}, 'Variant'), h('th', {}, 'Users'), h('th', {}, valueHead), h('th', {}, 'Change'), h('th', {}, 'Interval'), h('th', {}, 'Chance to win'))),
    h(
      'tbody',
      {},
      metric.variants.map((row) =>
        h(
          'tr',
          {},
          h('th', {}, row.variant),
          h('td', { class: 'num' }, String(row.units)),
          h('td', { class: 'num' }, row.mean === null ? '—' : metric.type === 'conversion' ? `${ratio(row.mean)} (${row.conversions})` : row.mean.toFixed(2)),
          h('td', { class: 'num' }, row.null_reason === 'control' ? 'control' : row.relative_uplift === null ? '—' : signed(row.relative_uplift)),
          h('td', {}, row.ci ? intervalBar(row.ci, sequential ? row.sequential_ci : null, metric.goal) : h('span', { class: 'muted' }, reasonText(row.null_reason))),
          h('td', { class: 'num' }, row.chance_to_win === null ? '—' : ratio(row.chance_to_win)),
        ),
      ),
    ),
  );
}

const signed = (u) => `${u >= 0 ? '+' : ''}${(u * 100).toFixed(1)}%`;

function reasonText(reason) {
  return { control: '', too_few_units: 'not enough users yet', control_mean_zero: 'no conversions in the control yet', zero_variance: 'no spread yet', not_finite: '—' }[reason] ?? '';
}

/** The interval as a bar on a scale symmetric around zero (the vertical line); green when wholly better. */
export function intervalBar(ci, sequentialCi, goal) {
  const width = 160;
  const extent = Math.max(0.01, ...[...ci, ...(sequentialCi ?? [])].map(Math.abs)) * 1.1;
  const x = (v) => ((v + extent) / (2 * extent)) * width;
  const good = goal === 'increase' ? ci[0] > 0 : ci[1] < 0;
  const bad = goal === 'increase' ? ci[1] < 0 : ci[0] > 0;
  const tone = good ? 'ci-good' : bad ? 'ci-bad' : 'ci-neutral';
  return svg(
    'svg',
    { width, height: 18, viewBox: `0 0 ${width} 18`, role: 'img', class: 'ci-bar', 'aria-label': `95% interval ${signed(ci[0])} to ${signed(ci[1])}` },
    sequentialCi ? svg('rect', { x: x(sequentialCi[0]), y: 7, width: Math.max(1, x(sequentialCi[1]) - x(sequentialCi[0])), height: 4, class: 'ci-sequential' }) : null,
    svg('rect', { x: x(ci[0]), y: 4, width: Math.max(1, x(ci[1]) - x(ci[0])), height: 10, rx: 2, class: tone }),
    svg('line', { x1: x(0), x2: x(0), y1: 0, y2: 18, class: 'ci-zero' }),
  );
}
