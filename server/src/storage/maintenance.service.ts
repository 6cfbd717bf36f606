import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { DATABASE, type Database } from '../platform/database/database';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { MaintenanceRepository, type RetentionRule } from './maintenance.repository';

export const MAINTENANCE_JOB = 'storage-maintenance';
const FIRST_RUN_DELAY_MS = 30_000;

export interface MaintenanceReport {
  ranAt: string;
  holder: string;
  /** Rows (or, on hypertables, chunks) removed per table. */
  retention: Record<string, number>;
  /** TimescaleDB jobs run by the hub itself (embedded database only). */
  timescaleJobs: string[];
  errors: string[];
}

/**
 * Scheduled storage upkeep: retention per table, and on the embedded database (which has no background
 * workers) TimescaleDB's compression and continuous-aggregate jobs. Runs once per interval across all
 * replicas, through a lease in the database. Other modules add their own retention rules (`register`).
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly rules = new Map<string, RetentionRule>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly repository: MaintenanceRepository,
    @Inject(DATABASE) private readonly database: Database,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const keep = (table: string, timeColumn: string, days: number, hypertable: boolean) =>
      this.register({ table, timeColumn, days, hypertable });
    keep('passages', 'pass_time', config.RETENTION_PASSAGES_DAYS, true);
    keep('incidents', 'at', config.RETENTION_INCIDENTS_DAYS, true);
    keep('heartbeats', 'at', config.RETENTION_HEARTBEATS_DAYS, true);
    keep('device_status_changes', 'at', config.RETENTION_DEVICE_STATUS_DAYS, true);
    keep('dead_letters', 'received_at', config.RETENTION_DEAD_LETTERS_DAYS, false);
  }

  /** Adds (or replaces) the retention rule of a table. */
  register(rule: RetentionRule): void {
    this.rules.set(rule.table, rule);
  }

  get retentionRules(): RetentionRule[] {
    return [...this.rules.values()];
  }

  private get intervalMs(): number {
    return this.config.MAINTENANCE_INTERVAL_MINUTES * 60_000;
  }

  onApplicationBootstrap(): void {
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runScheduled().finally(() => schedule(this.intervalMs));
      }, delay);
      this.timer.unref();
    };
    schedule(Math.min(FIRST_RUN_DELAY_MS, this.intervalMs));
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async runScheduled(): Promise<void> {
    try {
      await this.runOnce();
    } catch (error) {
      this.logger.warn({ err: error }, 'storage maintenance failed; will try again next round');
    }
  }

  /** One round, if this replica gets the lease; `force` runs even when another round ran this interval. */
  async runOnce(options: { now?: Date; force?: boolean } = {}): Promise<MaintenanceReport | 'skipped'> {
    const now = options.now ?? new Date();
    const holder = this.config.hubId;
    // The lease lasts a little less than the interval, so the holder's next round always finds it free.
    const leaseMs = options.force ? 1 : Math.max(1_000, this.intervalMs * 0.9);
    if (!(await this.repository.tryLease(MAINTENANCE_JOB, holder, leaseMs, now))) return 'skipped';
    const report: MaintenanceReport = {
      ranAt: now.toISOString(),
      holder,
      retention: {},
      timescaleJobs: [],
      errors: [],
    };
    for (const rule of this.rules.values()) {
      try {
        report.retention[rule.table] = await this.repository.applyRetention(rule, now);
      } catch (error) {
        report.errors.push(`${rule.table}: ${(error as Error).message}`);
      }
    }
    if (this.database.features.timescale && this.database.features.embedded) {
      try {
        report.timescaleJobs = await this.repository.runTimescaleJobs();
      } catch (error) {
        report.errors.push(`timescale jobs: ${(error as Error).message}`);
      }
    }
    await this.repository.recordRun(MAINTENANCE_JOB, report as unknown as Record<string, unknown>, now);
    this.logger.info({ ...report }, 'storage maintenance done');
    return report;
  }

  lastRun() {
    return this.repository.lastRun(MAINTENANCE_JOB);
  }
}
