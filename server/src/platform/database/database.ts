/** The one small interface both PostgreSQL (node-postgres) and the embedded PGlite satisfy. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
}

export interface DatabaseFeatures {
  /** TimescaleDB is loaded: hypertables, compression, retention and continuous aggregates are in use. */
  timescale: boolean;
  /** PGlite in this process: no background workers, so the hub runs maintenance itself. */
  embedded: boolean;
}

export interface Database extends Queryable {
  readonly features: DatabaseFeatures;
  /** Runs `work` in one transaction on one connection; rolls back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DATABASE = Symbol('DATABASE');

/** Errors that mean "the database is away", worth retrying, as opposed to "this data is wrong". */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  // 08: connection lost; 53: out of resources; 57P01-03: shutting down; 40001/40P01: serialisation
  // failure or deadlock between concurrent batches — all worth trying again as they are.
  if (/^(08|53|57P0[1-3]|40001|40P01)/.test(code)) return true;
  const message = (error as Error | undefined)?.message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code) ||
    /Connection terminated|connection.*(closed|ended|refused)|timeout exceeded|Client has encountered a connection error/i.test(
      message,
    )
  );
}
