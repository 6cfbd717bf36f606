import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MACHINE_MQTT_URL, createTestDatabase, uniqueName, uniqueTopicRoot } from './services';

/** One database/broker pair the hub runs on in a test, with the environment that selects it. */
export interface Backend {
  name: 'embedded' | 'machine services';
  /** Environment for the hub, and a clean-up for what was made for it. */
  prepare(): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;
}

/** Embedded defaults: PGlite with TimescaleDB in a temporary data folder, aedes on a free port. */
export const embeddedBackend: Backend = {
  name: 'embedded',
  async prepare() {
    const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-hub-'));
    return {
      env: { DATA_DIR: dataDir, EMBEDDED_MQTT_PORT: '0', EMBEDDED_MQTT_HOST: '127.0.0.1' },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  },
};

/** The machine's PostgreSQL 15 (no TimescaleDB) and Mosquitto, with a database and topic root of the test's own. */
export const machineServicesBackend: Backend = {
  name: 'machine services',
  async prepare() {
    const database = await createTestDatabase();
    return {
      env: {
        DATABASE_URL: database.url,
        MQTT_URL: MACHINE_MQTT_URL,
        TOPIC_ROOT: uniqueTopicRoot(),
        HUB_ID: uniqueName('hub'),
      },
      cleanup: () => database.drop(),
    };
  },
};

export const BACKENDS: Backend[] = [embeddedBackend, machineServicesBackend];
