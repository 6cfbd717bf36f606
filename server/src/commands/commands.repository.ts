import { Inject, Injectable } from '@nestjs/common';
import type { CommandName, CommandStatus, DeviceCommandRecord } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';

interface CommandRow {
  seq: string;
  request_id: string;
  device_id: string;
  name: CommandName;
  params: Record<string, unknown>;
  issued_by: string | null;
  issued_by_name: string | null;
  issued_at: Date;
  expires_at: Date;
  status: CommandStatus;
  ok: boolean | null;
  error: string | null;
  result: DeviceCommandRecord['result'];
  replied_at: Date | null;
}

const COLUMNS = `seq::text AS seq, request_id, device_id, name, params, issued_by, issued_by_name, issued_at,
  expires_at, status, ok, error, result, replied_at`;

/** A stored command with its paging key. */
export interface StoredCommand extends DeviceCommandRecord {
  seq: string;
}

export interface NewCommand {
  requestId: string;
  deviceId: string;
  name: CommandName;
  params: Record<string, unknown>;
  issuedBy: { id: string; username: string } | null;
  issuedAt: Date;
  expiresAt: Date;
}

/** What a reply does to its command, decided by the service from the row as it stands (locked). */
export interface ReplyUpdate {
  status: 'replied' | 'late';
  ok: boolean;
  error: string | null;
  result: DeviceCommandRecord['result'];
  repliedAt: Date;
}

function toRecord(row: CommandRow): StoredCommand {
  return {
    seq: row.seq,
    requestId: row.request_id,
    deviceId: row.device_id,
    name: row.name,
    params: row.params,
    status: row.status,
    issuedBy: row.issued_by ? { id: row.issued_by, username: row.issued_by_name ?? '' } : null,
    issuedAt: new Date(row.issued_at).toISOString(),
    expiresAt: new Date(row.expires_at).toISOString(),
    ok: row.ok,
    error: row.error,
    result: row.result,
    repliedAt: row.replied_at ? new Date(row.replied_at).toISOString() : null,
  };
}

@Injectable()
export class CommandsRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async insert(command: NewCommand): Promise<StoredCommand> {
    const result = await this.database.query<CommandRow>(
      `INSERT INTO device_commands (request_id, device_id, name, params, issued_by, issued_by_name, issued_at, expires_at)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
       RETURNING ${COLUMNS}`,
      [
        command.requestId,
        command.deviceId,
        command.name,
        JSON.stringify(command.params),
        command.issuedBy?.id ?? null,
        command.issuedBy?.username ?? null,
        command.issuedAt,
        command.expiresAt,
      ],
    );
    return toRecord(result.rows[0]!);
  }

  async find(requestId: string): Promise<StoredCommand | undefined> {
    const result = await this.database.query<CommandRow>(
      `SELECT ${COLUMNS} FROM device_commands WHERE request_id = $1`,
      [requestId],
    );
    return result.rows[0] && toRecord(result.rows[0]);
  }

  /** A device's commands, newest first, older than `before` (a seq) when given. */
  async listForDevice(deviceId: string, limit: number, before?: string): Promise<StoredCommand[]> {
    const result = await this.database.query<CommandRow>(
      `SELECT ${COLUMNS} FROM device_commands
       WHERE device_id = $1 AND ($2::bigint IS NULL OR seq < $2::bigint)
       ORDER BY seq DESC LIMIT $3`,
      [deviceId, before ?? null, limit],
    );
    return result.rows.map(toRecord);
  }

  /** Marks a command the broker would not take. */
  async markUnsent(requestId: string, error: string): Promise<void> {
    await this.database.query(
      `UPDATE device_commands SET status = 'unsent', error = $2 WHERE request_id = $1 AND status = 'pending'`,
      [requestId, error.slice(0, 500)],
    );
  }

  /**
   * Pending commands whose expiry has passed become `expired`; returns those this call changed (each one
   * is changed by exactly one replica). `requestId` limits it to one command.
   */
  async expireDue(now: Date, requestId?: string): Promise<{ requestId: string; name: CommandName }[]> {
    const result = await this.database.query<{ request_id: string; name: CommandName }>(
      `UPDATE device_commands SET status = 'expired'
       WHERE status = 'pending' AND expires_at <= $1 AND ($2::text IS NULL OR request_id = $2)
       RETURNING request_id, name`,
      [now, requestId ?? null],
    );
    return result.rows.map((row) => ({ requestId: row.request_id, name: row.name }));
  }

  /**
   * Records a reply in one transaction: reads the command locked, asks `decide` what to do with it (nothing,
   * or an update), writes that. Returns the command as it was and as it is now.
   */
  async recordReply(
    requestId: string,
    decide: (current: StoredCommand | undefined) => ReplyUpdate | undefined,
  ): Promise<{ before: StoredCommand | undefined; after: StoredCommand | undefined }> {
    return this.database.transaction(async (tx) => {
      const found = await tx.query<CommandRow>(
        `SELECT ${COLUMNS} FROM device_commands WHERE request_id = $1 FOR UPDATE`,
        [requestId],
      );
      const before = found.rows[0] && toRecord(found.rows[0]);
      const update = decide(before);
      if (!update) return { before, after: undefined };
      const updated = await tx.query<CommandRow>(
        `UPDATE device_commands SET status = $2, ok = $3, error = $4, result = $5::jsonb, replied_at = $6
         WHERE request_id = $1 RETURNING ${COLUMNS}`,
        [
          requestId,
          update.status,
          update.ok,
          update.error,
          update.result === null ? null : JSON.stringify(update.result),
          update.repliedAt,
        ],
      );
      return { before, after: toRecord(updated.rows[0]!) };
    });
  }
}
