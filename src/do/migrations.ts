/**
 * Applies numbered `.sql` migrations to a Durable Object's SQLite storage, each exactly once,
 * recording what ran in `_migrations`. Call inside `blockConcurrencyWhile` at object start.
 * An applied migration is never edited: add a new numbered file instead.
 */
export interface Migration {
  name: string;
  sql: string;
}

export function applyMigrations(storage: DurableObjectStorage, migrations: readonly Migration[]): string[] {
  const sql = storage.sql;
  sql.exec('CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(sql.exec<{ name: string }>('SELECT name FROM _migrations').toArray().map((r) => r.name));
  const ran: string[] = [];
  for (const migration of [...migrations].sort((a, b) => a.name.localeCompare(b.name))) {
    if (applied.has(migration.name)) continue;
    storage.transactionSync(() => {
      sql.exec(migration.sql);
      sql.exec('INSERT INTO _migrations (name, applied_at) VALUES (?, ?)', migration.name, new Date().toISOString());
    });
    ran.push(migration.name);
  }
  return ran;
}
