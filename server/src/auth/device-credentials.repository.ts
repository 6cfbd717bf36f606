import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../platform/database/database';

/** Devices' broker credentials (hashes only). */
@Injectable()
export class DeviceCredentialsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async all(): Promise<Map<string, string>> {
    const result = await this.database.query<{ device_id: string; secret_hash: string }>(
      'SELECT device_id, secret_hash FROM device_credentials',
    );
    return new Map(result.rows.map((row) => [row.device_id, row.secret_hash]));
  }

  async find(deviceId: string): Promise<string | undefined> {
    const result = await this.database.query<{ secret_hash: string }>(
      'SELECT secret_hash FROM device_credentials WHERE device_id = $1',
      [deviceId],
    );
    return result.rows[0]?.secret_hash;
  }

  async deviceExists(deviceId: string): Promise<boolean> {
    return (await this.database.query('SELECT 1 FROM devices WHERE id = $1', [deviceId])).rowCount > 0;
  }

  /** Sets (or replaces) a device's credential; returns when it was set. */
  async upsert(deviceId: string, secretHash: string): Promise<Date> {
    const result = await this.database.query<{ rotated_at: Date }>(
      `INSERT INTO device_credentials (device_id, secret_hash) VALUES ($1, $2)
       ON CONFLICT (device_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, rotated_at = now()
       RETURNING rotated_at`,
      [deviceId, secretHash],
    );
    return new Date(result.rows[0]!.rotated_at);
  }

  /** Sets a credential only where the device has none; returns whether it was set. */
  async insertIfMissing(deviceId: string, secretHash: string): Promise<boolean> {
    const result = await this.database.query(
      `INSERT INTO device_credentials (device_id, secret_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [deviceId, secretHash],
    );
    return result.rowCount > 0;
  }

  /** Device ids with their credential hash (null = none), for the Mosquitto password file. */
  async devicesWithCredentials(): Promise<{ id: string; secretHash: string | null }[]> {
    const result = await this.database.query<{ id: string; secret_hash: string | null }>(
      `SELECT d.id, c.secret_hash FROM devices d LEFT JOIN device_credentials c ON c.device_id = d.id ORDER BY d.id`,
    );
    return result.rows.map((row) => ({ id: row.id, secretHash: row.secret_hash }));
  }
}
