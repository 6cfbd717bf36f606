import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../platform/database/database';

/** Why the hub refused a message: the protocol's reasons plus what only the hub can know. */
export type DeadLetterReason =
  | 'oversize'
  | 'invalid_json'
  | 'schema'
  | 'time_window'
  | 'device_mismatch'
  | 'unknown_topic'
  | 'unknown_device'
  | 'not_allowed'
  | 'storage_refused'
  // A command reply the commands module cannot match: no command with its requestId, or another device's.
  | 'unknown_request'
  | 'wrong_device';

export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'oversize',
  'invalid_json',
  'schema',
  'time_window',
  'device_mismatch',
  'unknown_topic',
  'unknown_device',
  'not_allowed',
  'storage_refused',
  'unknown_request',
  'wrong_device',
];

export interface DeadLetter {
  topic: string;
  deviceId: string | null;
  reason: DeadLetterReason;
  message: string;
  errors: string[];
  payloadBytes: number;
  /** The first bytes of the payload as text, bounded. */
  payloadExcerpt: string;
}

export interface StoredDeadLetter extends DeadLetter {
  id: string;
  receivedAt: string;
}

export interface DeadLetterQuery {
  deviceId?: string;
  reason?: DeadLetterReason;
  /** Only letters with an id below this (keyset paging, newest first). */
  before?: string;
  limit: number;
}

@Injectable()
export class DeadLetterRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async insert(letters: readonly DeadLetter[]): Promise<void> {
    await this.database.query(
      `INSERT INTO dead_letters (topic, device_id, reason, message, errors, payload_bytes, payload_excerpt)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::integer[], $7::text[])`,
      [
        letters.map((l) => l.topic),
        letters.map((l) => l.deviceId),
        letters.map((l) => l.reason),
        letters.map((l) => l.message),
        letters.map((l) => JSON.stringify(l.errors)),
        letters.map((l) => l.payloadBytes),
        letters.map((l) => l.payloadExcerpt),
      ],
    );
  }

  async list(query: DeadLetterQuery): Promise<StoredDeadLetter[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.deviceId) {
      params.push(query.deviceId);
      conditions.push(`device_id = $${params.length}`);
    }
    if (query.reason) {
      params.push(query.reason);
      conditions.push(`reason = $${params.length}`);
    }
    if (query.before) {
      params.push(query.before);
      conditions.push(`id < $${params.length}::bigint`);
    }
    params.push(query.limit);
    const result = await this.database.query<{
      id: string;
      received_at: Date;
      topic: string;
      device_id: string | null;
      reason: DeadLetterReason;
      message: string;
      errors: string[];
      payload_bytes: number;
      payload_excerpt: string;
    }>(
      `SELECT id::text, received_at, topic, device_id, reason, message, errors, payload_bytes, payload_excerpt
       FROM dead_letters ${conditions.length ? 'WHERE ' + conditions.join(' AND ') : ''}
       ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    return result.rows.map((row) => ({
      id: row.id,
      receivedAt: new Date(row.received_at).toISOString(),
      topic: row.topic,
      deviceId: row.device_id,
      reason: row.reason,
      message: row.message,
      errors: row.errors,
      payloadBytes: row.payload_bytes,
      payloadExcerpt: row.payload_excerpt,
    }));
  }

  async countByReason(): Promise<Record<string, number>> {
    const result = await this.database.query<{ reason: string; count: string }>(
      `SELECT reason, count(*)::text AS count FROM dead_letters GROUP BY reason`,
    );
    return Object.fromEntries(result.rows.map((row) => [row.reason, Number(row.count)]));
  }
}
