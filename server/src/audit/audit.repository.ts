import { Inject, Injectable } from '@nestjs/common';
import type { AuditEntry } from '../common/audit-log';
import type { AuditQuery, AuditRecord } from '@citywatch/protocol';
import { DATABASE, type Database, type Queryable } from '../platform/database/database';

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_username: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown> | string;
  ip: string;
  outcome: 'success' | 'failure';
}

/** The append-only audit table: inserts and reads, nothing else (the table refuses updates and deletes). */
@Injectable()
export class AuditRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Inserts one record, in the caller's transaction when given one. */
  async insert(entry: AuditEntry, at: Date, tx: Queryable = this.database): Promise<void> {
    await tx.query(
      `INSERT INTO audit_log (at, actor_id, actor_username, action, target, details, ip, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        at.toISOString(),
        entry.actor?.id ?? null,
        entry.actor?.username ?? null,
        entry.action,
        entry.target,
        JSON.stringify(entry.details ?? {}),
        entry.ip ?? '',
        entry.outcome ?? 'success',
      ],
    );
  }

  async list(query: Omit<AuditQuery, 'limit'> & { limit: number }): Promise<AuditRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const where = (sql: (placeholder: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(sql(`$${params.length}`));
    };
    if (query.from) where((p) => `at >= ${p}`, query.from);
    if (query.to) where((p) => `at < ${p}`, query.to);
    if (query.actor) where((p) => `lower(actor_username) = lower(${p})`, query.actor);
    if (query.action?.endsWith('*')) where((p) => `starts_with(action, ${p})`, query.action.slice(0, -1));
    else if (query.action) where((p) => `action = ${p}`, query.action);
    if (query.target) where((p) => `target = ${p}`, query.target);
    if (query.outcome) where((p) => `outcome = ${p}`, query.outcome);
    if (query.before) where((p) => `id < ${p}::bigint`, query.before);
    params.push(query.limit);
    // Ordered by the column: a plain "id" would be the text alias of the select list, where "9" > "10".
    const result = await this.database.query<AuditRow>(
      `SELECT id::text AS id, at, actor_id, actor_username, action, target, details, ip, outcome FROM audit_log
       ${conditions.length ? 'WHERE ' + conditions.join(' AND ') : ''}
       ORDER BY audit_log.id DESC LIMIT $${params.length}`,
      params,
    );
    return result.rows.map((row) => ({
      id: row.id,
      at: new Date(row.at).toISOString(),
      actorId: row.actor_id,
      actorUsername: row.actor_username,
      action: row.action,
      target: row.target,
      details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
      ip: row.ip,
      outcome: row.outcome,
    }));
  }
}
