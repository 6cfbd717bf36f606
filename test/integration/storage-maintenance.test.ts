import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { MaintenanceService } from '../../server/src/storage/maintenance.service';
import { BACKENDS } from '../support/backends';
import { passage, smallEstate } from '../support/fixtures';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import { EventRepository } from '../../server/src/ingest/event.repository';

const DAY = 86_400_000;

describe.each(BACKENDS)('storage maintenance on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let database: Database;
  const estate = smallEstate(100);

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub({ ...prepared.env, RETENTION_PASSAGES_DAYS: '10', EVENT_MAX_AGE_DAYS: '60' });
    await registerEstate(hub.httpUrl, estate);
    database = hub.hub.app.get<Database>(DATABASE);
  });

  afterAll(async () => {
    await hub?.stop();
    await cleanup?.();
  });

  it('removes passages past their retention, keeps the rest, and keeps hourly counts current', async () => {
    const now = Date.now();
    const deviceId = estate.laneDevices[0]!;
    const old = Array.from({ length: 20 }, (_, i) =>
      passage(deviceId, { passTime: new Date(now - 30 * DAY - i * 60_000).toISOString() }),
    );
    const recent = Array.from({ length: 15 }, (_, i) =>
      passage(deviceId, { passTime: new Date(now - 2 * 3_600_000 - i * 60_000).toISOString() }),
    );
    await hub.hub.app.get(EventRepository).insertPassages([...old, ...recent]);

    const report = await hub.hub.app.get(MaintenanceService).runOnce({ force: true });
    expect(report).not.toBe('skipped');
    if (report === 'skipped') return;
    expect(report.errors).toEqual([]);
    if (database.features.timescale) {
      // Whole day chunks go at once on a hypertable, and the embedded hub runs TimescaleDB's own jobs.
      expect(report.retention.passages).toBeGreaterThanOrEqual(1);
      expect(report.timescaleJobs.some((job) => job.startsWith('policy_refresh_continuous_aggregate'))).toBe(true);
    } else {
      expect(report.retention.passages).toBe(20);
    }
    const left = await database.query<{ count: string }>(`SELECT count(*)::text AS count FROM passages`);
    expect(Number(left.rows[0]!.count)).toBe(15);

    const hourly = await database.query<{ vehicles: string }>(
      `SELECT sum(vehicles)::text AS vehicles FROM passages_hourly WHERE tollgate_id = $1 AND hour > $2`,
      ['TG-YX-01', new Date(now - DAY).toISOString()],
    );
    expect(Number(hourly.rows[0]!.vehicles)).toBe(15);
  });

  it('removes commands sent to devices past RETENTION_COMMANDS_DAYS (90 by default), keeps newer ones', async () => {
    const now = Date.now();
    const deviceId = estate.laneDevices[0]!;
    for (const [requestId, ageDays] of [
      ['retention-old', 120],
      ['retention-edge', 91],
      ['retention-recent', 3],
    ] as const) {
      const issued = new Date(now - ageDays * DAY);
      await database.query(
        `INSERT INTO device_commands (request_id, device_id, name, issued_at, expires_at, status)
         VALUES ($1, $2, 'snapshot', $3, $4, 'expired')`,
        [requestId, deviceId, issued.toISOString(), new Date(issued.getTime() + 60_000).toISOString()],
      );
    }
    const report = await hub.hub.app.get(MaintenanceService).runOnce({ force: true });
    expect(report).not.toBe('skipped');
    if (report === 'skipped') return;
    expect(report.errors).toEqual([]);
    expect(report.retention.device_commands).toBe(2);
    const left = await database.query<{ request_id: string }>(
      `SELECT request_id FROM device_commands WHERE request_id LIKE 'retention-%'`,
    );
    expect(left.rows.map((row) => row.request_id)).toEqual(['retention-recent']);
  });

  it('runs a round once per interval, whichever replica asks', async () => {
    const maintenance = hub.hub.app.get(MaintenanceService);
    const first = await maintenance.runOnce();
    // A second replica's identity cannot take the lease while it is held.
    const repository = (
      maintenance as unknown as { repository: { tryLease: (...args: unknown[]) => Promise<boolean> } }
    ).repository;
    expect(await repository.tryLease('storage-maintenance', 'another-replica', 60_000, new Date())).toBe(false);
    expect(first).not.toBe('skipped');
    const last = await maintenance.lastRun();
    expect(last?.lastRunAt).not.toBeNull();
  });
});
