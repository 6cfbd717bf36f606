import type { HubConfig } from '../config/hub-config';
import type { Logger } from '../logging/logger';
import type { Database } from './database';
import { EmbeddedDatabase } from './embedded-database';
import { detectTimescale, migrate } from './migrator';
import { PostgresDatabase } from './postgres-database';

/** Opens the configured database, loads TimescaleDB where present and applies the migrations. */
export async function openDatabase(config: HubConfig, logger: Logger): Promise<Database> {
  const log = logger.child({ component: 'database' });
  const database = config.DATABASE_URL
    ? await PostgresDatabase.connect(config.DATABASE_URL, config.DATABASE_POOL_SIZE, log)
    : await EmbeddedDatabase.open(config.dataDir + '/pg');
  log.info({ embedded: database.features.embedded }, 'database connected');
  await detectTimescale(database, config.TIMESCALEDB, log);
  await migrate(database, log);
  return database;
}
