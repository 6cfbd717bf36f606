import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The machine's own PostgreSQL and Mosquitto. Tests never touch their existing data: each run gets a
 * database of its own (dropped afterwards) and a topic root of its own.
 */
export const MACHINE_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MACHINE_MQTT_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the machine's PostgreSQL. */
export async function createTestDatabase(serverUrl = MACHINE_POSTGRES_URL): Promise<TestDatabase> {
  const name = uniqueName('citywatch_test');
  const admin = new pg.Client({ connectionString: serverUrl });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `the integration tests need the machine's PostgreSQL at ${serverUrl} (set TEST_POSTGRES_URL): ${(error as Error).message}`,
      { cause: error },
    );
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** A topic root no other run uses. */
export function uniqueTopicRoot(): string {
  return `test-${randomBytes(4).toString('hex')}/v1`;
}
