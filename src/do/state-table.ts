/** Small named JSON values in a Durable Object's `state (key, value)` table. */
export class StateTable {
  constructor(private readonly sql: SqlStorage) {}

  get<T>(key: string): T | undefined {
    const row = this.sql.exec<{ value: string }>('SELECT value FROM state WHERE key = ?', key).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  set(key: string, value: unknown): void {
    this.sql.exec(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      JSON.stringify(value),
    );
  }
}
