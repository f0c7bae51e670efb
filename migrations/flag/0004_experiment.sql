-- A/B experiment on the flag (docs/experiments.md): one row per exposed unit, each unit's running
-- total per metric, and the aggregates per variant and metric the read-out reads. Every exposure
-- or event updates the aggregates in the same transaction, so a read-out never scans units.

-- multiple = 1: the unit was later served another variant; it is kept out of every aggregate.
CREATE TABLE experiment_units (
  unit TEXT PRIMARY KEY,
  variant TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  multiple INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE experiment_unit_totals (
  unit TEXT NOT NULL,
  metric TEXT NOT NULL,
  total REAL NOT NULL,
  PRIMARY KEY (unit, metric)
) WITHOUT ROWID;

CREATE TABLE experiment_variants (
  variant TEXT PRIMARY KEY,
  units INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE experiment_metrics (
  variant TEXT NOT NULL,
  metric TEXT NOT NULL,
  conversions INTEGER NOT NULL DEFAULT 0,
  sum REAL NOT NULL DEFAULT 0,
  sum_of_squares REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (variant, metric)
);
