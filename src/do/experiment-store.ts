/**
 * SQL access for a flag's experiment (migration 0004_experiment): one row per exposed unit, each
 * unit's running total per metric, and the aggregates per variant and metric that the read-out
 * reads (`ExperimentAggregates`). Every exposure and event updates the aggregates in the same
 * statement batch, so the caller's transaction keeps them exact and a read-out never scans units.
 *
 *  - A unit's first exposure stores its variant and time and adds 1 to that variant's units.
 *  - A unit later served another variant becomes a multiple exposure: it leaves its variant's
 *    units and metric aggregates (what its events had added is taken back), is counted in
 *    `multiple_exposures`, and its later events are ignored.
 *  - An event counts only for an exposed unit, at or after its first exposure, for a metric of the
 *    experiment; `eventDelta` says what it adds (a conversion once per unit; a mean its value).
 *
 * The counts belong to one run of the experiment, named by its `started_at`: a new start (another
 * `started_at`) begins again from zero.
 */
import { eventDelta } from '../flags/experiment/aggregates';
import type { ExperimentAggregates, MetricAggregate } from '../flags/experiment/aggregates';
import type { ExperimentConfig, MetricType } from '../flags/experiment/types';
import type { EventOutcome, ExposureOutcome } from '../flags/reports';
import type { StateTable } from './state-table';

export interface ExposureRecord {
  unit: string;
  variant: string;
  at: number;
}

export interface EventRecord {
  unit: string;
  metric: string;
  value?: number | undefined;
  at: number;
}

const EPOCH_KEY = 'experiment_epoch';
const MULTIPLE_KEY = 'experiment_multiple_exposures';

export const emptyEventOutcome = (): EventOutcome => ({
  counted: 0,
  not_exposed: 0,
  before_exposure: 0,
  multiple_exposure: 0,
  unknown_metric: 0,
  not_running: 0,
});

export class ExperimentStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly state: StateTable,
  ) {}

  recordExposures(experiment: ExperimentConfig, exposures: readonly ExposureRecord[]): ExposureOutcome {
    const outcome: ExposureOutcome = { new_units: 0, multiple: 0 };
    if (experiment.status !== 'running' || exposures.length === 0) return outcome;
    this.useRun(experiment);
    const types = metricTypes(experiment);
    for (const { unit, variant, at } of exposures) {
      const row = this.sql.exec<{ variant: string; first_at: number; multiple: number }>('SELECT variant, first_at, multiple FROM experiment_units WHERE unit = ?', unit).toArray()[0];
      if (!row) {
        this.sql.exec('INSERT INTO experiment_units (unit, variant, first_at) VALUES (?, ?, ?)', unit, variant, at);
        this.addUnits(variant, 1);
        outcome.new_units++;
      } else if (row.multiple === 1) {
        continue;
      } else if (row.variant === variant) {
        // A retried flush may bring an earlier time for the same exposure.
        if (at < row.first_at) this.sql.exec('UPDATE experiment_units SET first_at = ? WHERE unit = ?', at, unit);
      } else {
        this.makeMultiple(unit, row.variant, types);
        outcome.multiple++;
      }
    }
    if (outcome.multiple > 0) this.state.set(MULTIPLE_KEY, this.multipleExposures() + outcome.multiple);
    return outcome;
  }

  recordEvents(experiment: ExperimentConfig, events: readonly EventRecord[]): EventOutcome {
    const outcome = emptyEventOutcome();
    if (experiment.status !== 'running') {
      outcome.not_running = events.length;
      return outcome;
    }
    this.useRun(experiment);
    const types = metricTypes(experiment);
    for (const event of events) {
      const type = types.get(event.metric);
      if (type === undefined) {
        outcome.unknown_metric++;
        continue;
      }
      const unit = this.sql.exec<{ variant: string; first_at: number; multiple: number }>('SELECT variant, first_at, multiple FROM experiment_units WHERE unit = ?', event.unit).toArray()[0];
      if (!unit) outcome.not_exposed++;
      else if (unit.multiple === 1) outcome.multiple_exposure++;
      else if (event.at < unit.first_at) outcome.before_exposure++;
      else {
        this.addEvent(event.unit, unit.variant, event.metric, type, event.value ?? 1);
        outcome.counted++;
      }
    }
    return outcome;
  }

  /** The aggregates of the current run (all zeros before the experiment first ran). */
  aggregates(experiment: ExperimentConfig): ExperimentAggregates {
    if (this.state.get<string>(EPOCH_KEY) !== experiment.started_at) return { variants: {}, multiple_exposures: 0 };
    const variants: ExperimentAggregates['variants'] = {};
    for (const row of this.sql.exec<{ variant: string; units: number }>('SELECT variant, units FROM experiment_variants').toArray()) {
      variants[row.variant] = { units: row.units, metrics: {} };
    }
    const rows = this.sql.exec<{ variant: string; metric: string; conversions: number; sum: number; sum_of_squares: number }>('SELECT variant, metric, conversions, sum, sum_of_squares FROM experiment_metrics').toArray();
    for (const { variant, metric, conversions, sum, sum_of_squares } of rows) {
      (variants[variant] ??= { units: 0, metrics: {} }).metrics[metric] = { conversions, sum, sum_of_squares };
    }
    return { variants, multiple_exposures: this.multipleExposures() };
  }

  private multipleExposures(): number {
    return this.state.get<number>(MULTIPLE_KEY) ?? 0;
  }

  /** Starts from zero when this is another run of the experiment than the one stored. */
  private useRun(experiment: ExperimentConfig): void {
    if (this.state.get<string>(EPOCH_KEY) === experiment.started_at) return;
    for (const table of ['experiment_units', 'experiment_unit_totals', 'experiment_variants', 'experiment_metrics']) this.sql.exec(`DELETE FROM ${table}`);
    this.state.set(EPOCH_KEY, experiment.started_at);
    this.state.set(MULTIPLE_KEY, 0);
  }

  private addUnits(variant: string, delta: number): void {
    this.sql.exec(
      'INSERT INTO experiment_variants (variant, units) VALUES (?, ?) ON CONFLICT (variant) DO UPDATE SET units = units + excluded.units',
      variant,
      delta,
    );
  }

  private addEvent(unit: string, variant: string, metric: string, type: MetricType, value: number): void {
    const previous = this.sql.exec<{ total: number }>('SELECT total FROM experiment_unit_totals WHERE unit = ? AND metric = ?', unit, metric).toArray()[0];
    const delta = eventDelta(type, previous ? previous.total : null, value);
    this.sql.exec(
      `INSERT INTO experiment_unit_totals (unit, metric, total) VALUES (?, ?, ?)
       ON CONFLICT (unit, metric) DO UPDATE SET total = total + excluded.total`,
      unit,
      metric,
      value,
    );
    this.addToMetric(variant, metric, delta);
  }

  private addToMetric(variant: string, metric: string, delta: MetricAggregate): void {
    this.sql.exec(
      `INSERT INTO experiment_metrics (variant, metric, conversions, sum, sum_of_squares) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (variant, metric) DO UPDATE SET conversions = conversions + excluded.conversions,
         sum = sum + excluded.sum, sum_of_squares = sum_of_squares + excluded.sum_of_squares`,
      variant,
      metric,
      delta.conversions,
      delta.sum,
      delta.sum_of_squares,
    );
  }

  /** Takes a unit out of its variant: its unit count and what its events added to each metric. */
  private makeMultiple(unit: string, variant: string, types: ReadonlyMap<string, MetricType>): void {
    this.sql.exec('UPDATE experiment_units SET multiple = 1 WHERE unit = ?', unit);
    this.addUnits(variant, -1);
    const totals = this.sql.exec<{ metric: string; total: number }>('SELECT metric, total FROM experiment_unit_totals WHERE unit = ?', unit).toArray();
    for (const { metric, total } of totals) {
      const type = types.get(metric);
      if (type === 'conversion') this.addToMetric(variant, metric, { conversions: -1, sum: 0, sum_of_squares: 0 });
      else if (type === 'mean') this.addToMetric(variant, metric, { conversions: 0, sum: -total, sum_of_squares: -(total * total) });
    }
  }
}

function metricTypes(experiment: ExperimentConfig): Map<string, MetricType> {
  return new Map(experiment.metrics.map((m) => [m.key, m.type]));
}
