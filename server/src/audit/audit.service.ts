import { Inject, Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import type { AuditPage, AuditQuery, AuditRecord, SessionUser } from '@citywatch/protocol';
import type { AuditEntry, AuditLog } from '../common/audit-log';
import type { Queryable } from '../platform/database/database';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { AuditRepository } from './audit.repository';

/** Most rows one CSV export holds; narrow the filter for more. */
export const AUDIT_EXPORT_LIMIT = 100_000;
const EXPORT_PAGE = 5_000;

/**
 * The append-only audit log (`AUDIT_LOG`): every module records its audited actions here. A record
 * that cannot be written fails the action that asked for it, so nothing audited happens unrecorded.
 */
@Injectable()
export class AuditService implements AuditLog {
  constructor(
    private readonly repository: AuditRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(entry: AuditEntry, tx?: Queryable): Promise<void> {
    try {
      await this.repository.insert(entry, new Date(), tx);
    } catch (error) {
      this.logger.error({ err: error, action: entry.action, target: entry.target }, 'audit record not written');
      throw error;
    }
  }

  async browse(query: AuditQuery): Promise<AuditPage> {
    const items = await this.repository.list(query);
    return { items, nextBefore: items.length === query.limit ? items[items.length - 1]!.id : null };
  }

  /** The records matching the filter as CSV (newest first); the export itself is audited. */
  async exportCsv(query: AuditQuery, actor: SessionUser, ip: string): Promise<string> {
    const rows: AuditRecord[] = [];
    let before = query.before;
    while (rows.length < AUDIT_EXPORT_LIMIT) {
      const page = await this.repository.list({ ...query, before, limit: EXPORT_PAGE });
      rows.push(...page);
      if (page.length < EXPORT_PAGE) break;
      before = page[page.length - 1]!.id;
    }
    const { limit: _limit, ...filter } = query;
    await this.record({ actor, action: 'audit.export', target: null, details: { filter, rows: rows.length }, ip });
    return stringify(
      rows
        .slice(0, AUDIT_EXPORT_LIMIT)
        .map((row) => [
          row.id,
          row.at,
          row.actorUsername ?? '',
          row.actorId ?? '',
          row.action,
          row.target ?? '',
          row.outcome,
          row.ip,
          JSON.stringify(row.details),
        ]),
      { header: true, columns: ['id', 'at', 'actor', 'actor_id', 'action', 'target', 'outcome', 'ip', 'details'] },
    );
  }
}
