import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { adminHeaders, startInProcessHub, type InProcessHub } from '../support/hub';

describe.each(BACKENDS)('retention of unmatched face captures on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub({ ...prepared.env, RETENTION_UNMATCHED_FACES_DAYS: '7' });
  });

  afterAll(async () => {
    await hub?.stop();
    await cleanup?.();
  });

  it('deletes unmatched captures past the retention in the maintenance round, and keeps matched ones', async () => {
    const database = hub.hub.app.get<Database>(DATABASE);
    const day = 86_400_000;
    const rows = [
      { id: 'face-old-unmatched', age: 10 * day, matched: false },
      { id: 'face-old-matched', age: 10 * day, matched: true },
      { id: 'face-new-unmatched', age: 1 * day, matched: false },
    ];
    for (const row of rows) {
      await database.query(
        `INSERT INTO face_captures (event_id, shot_time, device_id, box, face_jpeg, matched)
         VALUES ($1, $2, '23010800001310000001', '{}', '\\x00'::bytea, $3)`,
        [row.id, new Date(Date.now() - row.age).toISOString(), row.matched],
      );
    }
    const response = await fetch(`${hub.httpUrl}/api/storage/maintenance`, {
      method: 'POST',
      headers: await adminHeaders(hub.httpUrl),
    });
    expect(response.status).toBe(200);
    const report = (await response.json()) as { retention: Record<string, number>; errors: string[] };
    expect(report.errors).toEqual([]);
    const left = await database.query<{ event_id: string }>('SELECT event_id FROM face_captures ORDER BY event_id');
    expect(left.rows.map((row) => row.event_id)).toEqual(['face-new-unmatched', 'face-old-matched']);
    expect(report.retention.face_captures).toBeGreaterThanOrEqual(1);
  });
});
