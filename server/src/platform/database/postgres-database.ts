import { Pool, type PoolClient } from 'pg';
import type { Logger } from '../logging/logger';
import { isConnectionError, type Database, type DatabaseFeatures, type QueryResult, type Queryable } from './database';

/** node-postgres against PostgreSQL or TimescaleDB. */
export class PostgresDatabase implements Database {
  features: DatabaseFeatures = { timescale: false, embedded: false };
  private readonly guarded = new WeakSet<PoolClient>();

  private constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
  ) {
    // An idle client losing its connection must never crash the hub; the pool replaces it.
    this.pool.on('error', (error: Error & { code?: string }) =>
      // The error carries its client; log what matters, not the whole connection object.
      this.logger.warn({ code: error.code, error: error.message }, 'idle database connection failed'),
    );
  }

  static async connect(url: string, poolSize: number, logger: Logger): Promise<PostgresDatabase> {
    const pool = new Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5000 });
    const database = new PostgresDatabase(pool, logger);
    await database.ping();
    return database;
  }

  async query<Row>(sql: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const result = await this.pool.query(sql, params);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out client whose server goes away emits 'error' between queries; unheard, that would end
    // the process. The failed query (or COMMIT) reports it to the caller, who retries. One listener per
    // client, for its whole life (the pool reuses clients).
    if (!this.guarded.has(client)) {
      this.guarded.add(client);
      client.on('error', (error: Error & { code?: string }) =>
        this.logger.warn({ code: error.code, error: error.message }, 'database connection lost'),
      );
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(wrap(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isConnectionError(error);
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A client that saw an error is not given back to the pool for reuse.
      client.release(broken ? true : undefined);
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function wrap(client: PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params?: unknown[]) {
      const result = await client.query(sql, params);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
  };
}
