import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../platform/database/database';

/** A table whose old rows are removed: by whole chunks on TimescaleDB hypertables, by DELETE elsewhere. */
export interface RetentionRule {
  table: string;
  timeColumn: string;
  days: number;
  /** Rows kept regardless of age match NOT (condition); e.g. `matched` keeps matched face captures. */
  onlyWhere?: string;
  /** Whether the table is a hypertable when TimescaleDB is present (drop_chunks works on whole chunks only). */
  hypertable: boolean;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const DELETE_BATCH = 50_000;
@Injectable()
export class MaintenanceRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /**
   * Takes (or renews) the lease on a job for `leaseMs`; false when another replica holds it. A holder keeps
   * it for the whole interval, so a round runs once however many replicas there are.
   */
  async tryLease(job: string, holder: string, leaseMs: number, now: Date): Promise<boolean> {
    const result = await this.database.query<{ holder: string }>(
      `INSERT INTO maintenance_leases (name, holder, expires_at) VALUES ($1, $2, $3::timestamptz + make_interval(secs => $4::float8))
       ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
       WHERE maintenance_leases.expires_at <= $3::timestamptz OR maintenance_leases.holder = EXCLUDED.holder
       RETURNING holder`,
      [job, holder, now.toISOString(), leaseMs / 1000],
    );
    return result.rowCount === 1;
  }

  async recordRun(job: string, report: Record<string, unknown>, now: Date): Promise<void> {
    await this.database.query(`UPDATE maintenance_leases SET last_run_at = $2, last_report = $3 WHERE name = $1`, [
      job,
      now.toISOString(),
      JSON.stringify(report),
    ]);
  }

  async lastRun(job: string): Promise<{ holder: string; lastRunAt: string | null; report: unknown } | undefined> {
    const result = await this.database.query<{ holder: string; last_run_at: Date | null; last_report: unknown }>(
      `SELECT holder, last_run_at, last_report FROM maintenance_leases WHERE name = $1`,
      [job],
    );
    const row = result.rows[0];
    return (
      row && {
        holder: row.holder,
        lastRunAt: row.last_run_at && new Date(row.last_run_at).toISOString(),
        report: row.last_report,
      }
    );
  }

  /** Removes rows older than the rule allows; returns how many rows (or chunks) went. */
  async applyRetention(rule: RetentionRule, now: Date): Promise<number> {
    if (!IDENTIFIER.test(rule.table) || !IDENTIFIER.test(rule.timeColumn)) {
      throw new Error(`bad retention rule for ${rule.table}.${rule.timeColumn}`);
    }
    const cutoff = new Date(now.getTime() - rule.days * 86_400_000).toISOString();
    if (this.database.features.timescale && rule.hypertable && !rule.onlyWhere) {
      const dropped = await this.database.query(`SELECT drop_chunks($1::regclass, older_than => $2::timestamptz)`, [
        rule.table,
        cutoff,
      ]);
      return dropped.rowCount;
    }
    let removed = 0;
    for (;;) {
      const result = await this.database.query(
        // ctid is unique only within one table: a hypertable's chunks repeat it, so tableoid goes with it.
        `DELETE FROM ${rule.table} WHERE (tableoid, ctid) IN (
           SELECT tableoid, ctid FROM ${rule.table}
           WHERE ${rule.timeColumn} < $1 ${rule.onlyWhere ? `AND (${rule.onlyWhere})` : ''}
           LIMIT ${DELETE_BATCH})`,
        [cutoff],
      );
      removed += result.rowCount;
      if (result.rowCount < DELETE_BATCH) return removed;
    }
  }

  /**
   * Runs TimescaleDB's own jobs (compression, continuous aggregate refresh) once. Used where no background
   * workers exist (the embedded database); external TimescaleDB runs them on its schedule.
   */
  async runTimescaleJobs(): Promise<string[]> {
    const jobs = await this.database.query<{ job_id: number; proc_name: string }>(
      `SELECT job_id, proc_name FROM timescaledb_information.jobs
       WHERE proc_name IN ('policy_compression', 'policy_refresh_continuous_aggregate')
       ORDER BY job_id`,
    );
    const ran: string[] = [];
    for (const job of jobs.rows) {
      await this.database.query(`CALL run_job($1)`, [job.job_id]);
      ran.push(`${job.proc_name}#${job.job_id}`);
    }
    return ran;
  }
}
