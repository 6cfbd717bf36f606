import { Inject, Injectable } from '@nestjs/common';
import type { AlertSeverity, CheckpointRuleId } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';

export interface StoredRule {
  id: CheckpointRuleId;
  enabled: boolean;
  severity: AlertSeverity;
  params: Record<string, unknown>;
  updatedAt: string;
}

/** The checkpoint_rules table: each passage rule's switch, severity and parameters. */
@Injectable()
export class RulesRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async all(): Promise<StoredRule[]> {
    const result = await this.database.query<{
      id: CheckpointRuleId;
      enabled: boolean;
      severity: AlertSeverity;
      params: Record<string, unknown> | string;
      updated_at: Date;
    }>(`SELECT id, enabled, severity, params, updated_at FROM checkpoint_rules ORDER BY id`);
    return result.rows.map((row) => ({
      id: row.id,
      enabled: row.enabled,
      severity: row.severity,
      params: typeof row.params === 'string' ? (JSON.parse(row.params) as Record<string, unknown>) : row.params,
      updatedAt: new Date(row.updated_at).toISOString(),
    }));
  }

  async save(rule: Omit<StoredRule, 'updatedAt'>, updatedBy: string | null): Promise<void> {
    await this.database.query(
      `UPDATE checkpoint_rules SET enabled = $2, severity = $3, params = $4::jsonb, updated_at = now(), updated_by = $5
       WHERE id = $1`,
      [rule.id, rule.enabled, rule.severity, JSON.stringify(rule.params), updatedBy],
    );
  }

  /** The newest change, so replicas can tell when to reload. */
  async version(): Promise<string> {
    const result = await this.database.query<{ v: string | null }>(
      `SELECT max(updated_at)::text AS v FROM checkpoint_rules`,
    );
    return result.rows[0]?.v ?? '';
  }
}
