import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../logging/logger';
import type { Database } from './database';

/** server/migrations, from both src/ (tests) and dist/ (runtime): the same depth below server/. */
export const MIGRATIONS_DIR = resolve(__dirname, '../../../migrations');

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+(\.(timescale|plain))?\.sql$/;
const NO_TRANSACTION = /^--\s*migrate:no-transaction/m;
/** Any fixed number; every replica uses it so only one migrates at a time. */
const MIGRATION_LOCK_KEY = 727_010_801;

export interface Migration {
  name: string;
  variant: 'common' | 'timescale' | 'plain';
  sql: string;
}

/**
 * Ordered raw SQL migrations. `NNNN_x.sql` always runs; `NNNN_x.timescale.sql` only where TimescaleDB
 * is loaded and `NNNN_x.plain.sql` only where it is not, right after the common file of the same number.
 */
export function listMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort((a, b) => (migrationOrder(a) < migrationOrder(b) ? -1 : 1))
    .map((file) => ({
      name: file,
      variant: (MIGRATION_FILE.exec(file)?.[3] as 'timescale' | 'plain' | undefined) ?? 'common',
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/** The common file of a number first, then its variant. */
function migrationOrder(file: string): string {
  return file.replace(/\.(timescale|plain)\.sql$/, '.~$1').replace(/\.sql$/, '');
}

/** Loads TimescaleDB where the database offers it (and the setting allows); records the result in features. */
export async function detectTimescale(database: Database, mode: 'auto' | 'off', logger: Logger): Promise<boolean> {
  if (mode === 'off') {
    database.features.timescale = false;
    return false;
  }
  // PGlite brings the extension as a JS bundle, which pg_available_extensions does not list.
  const available = database.features.embedded
    ? { rowCount: 1 }
    : await database.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`);
  if (available.rowCount === 0) {
    logger.info('TimescaleDB is not available: using plain PostgreSQL tables');
    database.features.timescale = false;
    return false;
  }
  try {
    await database.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
    // PGlite reopened on an existing folder needs the library loaded before any TimescaleDB call.
    if (database.features.embedded) await database.exec(`LOAD 'timescaledb'`);
    database.features.timescale = true;
    logger.info('TimescaleDB loaded: hypertables, compression, retention and continuous aggregates in use');
  } catch (error) {
    logger.warn({ err: error }, 'TimescaleDB could not be loaded: using plain PostgreSQL tables');
    database.features.timescale = false;
  }
  return database.features.timescale;
}

/** Applies every migration not yet recorded, in order, each in its own transaction unless marked otherwise. */
export async function migrate(database: Database, logger: Logger, migrations = listMigrations()): Promise<string[]> {
  await database.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: string[] = [];
  const wanted = migrations.filter(
    (m) => m.variant === 'common' || (m.variant === 'timescale') === database.features.timescale,
  );
  for (const migration of wanted) {
    const done = await database.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      const seen = await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [migration.name]);
      if (seen.rowCount > 0) return true;
      if (NO_TRANSACTION.test(migration.sql)) return false;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [migration.name]);
      applied.push(migration.name);
      return true;
    });
    if (done) continue;
    // Statements TimescaleDB refuses inside a transaction block (continuous aggregates): each on its own,
    // written to be idempotent (IF NOT EXISTS), recorded when all have run.
    for (const statement of splitStatements(migration.sql)) await database.query(statement);
    await database.query('INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING', [migration.name]);
    applied.push(migration.name);
  }
  if (applied.length > 0) logger.info({ applied }, 'database migrated');
  return applied;
}

/** Splits a migration into statements at semicolons that end a line, ignoring `--` comment lines. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !/^\s*--/.test(line))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
