import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteSpool } from './sqlite-spool';
import { SpoolFullError, type EventPriority } from './spool-types';

const DEVICE = '23010800001320000001';
const OTHER = '23010800001320000002';

function entry(priority: EventPriority, n: number, bytes = 100, deviceId = DEVICE) {
  return {
    deviceId,
    kind: 'incident' as const,
    eventId: `event-${priority}-${n}`,
    priority,
    payload: Buffer.alloc(bytes, n % 256),
  };
}

describe('SqliteSpool', () => {
  const folders: string[] = [];
  const folder = () => {
    const path = mkdtempSync(join(tmpdir(), 'spool-spec-'));
    folders.push(path);
    return path;
  };
  afterEach(() => {
    for (const path of folders.splice(0)) rmSync(path, { recursive: true, force: true });
  });

  it('keeps events in order per device and across a reopen, and never reuses a seq', async () => {
    const path = join(folder(), 'spool.sqlite');
    const spool = new SqliteSpool({ path });
    const appended = await Promise.all([1, 2, 3].map((n) => spool.append(entry('low', n))));
    await spool.append(entry('low', 9, 100, OTHER));
    spool.remove([appended[2].seq]);
    spool.close();

    const reopened = new SqliteSpool({ path });
    expect(reopened.readAfter(DEVICE, 0, 10).map((e) => e.eventId)).toEqual(['event-low-1', 'event-low-2']);
    expect(reopened.depth(DEVICE)).toBe(2);
    expect(reopened.depth()).toBe(3);
    const next = await reopened.append(entry('low', 4));
    expect(next.seq).toBeGreaterThan(appended[2].seq);
    expect(reopened.readAfter(DEVICE, appended[1].seq, 10).map((e) => e.eventId)).toEqual(['event-low-4']);
    reopened.close();
  });

  it('hides removed events from reads before the removal is committed', async () => {
    const spool = new SqliteSpool({ path: ':memory:', commitIntervalMs: 1000 });
    const [first] = await Promise.all([
      spool.append(entry('low', 1)),
      spool.append(entry('low', 2)),
      Promise.resolve(spool.commitNow()),
    ]);
    spool.remove([first.seq]);
    expect(spool.readAfter(DEVICE, 0, 10).map((e) => e.eventId)).toEqual(['event-low-2']);
    spool.close();
  });

  it('when full drops the oldest low-priority events first, then normal ones, never alerts', async () => {
    const spool = new SqliteSpool({ path: ':memory:', maxBytes: 1000, commitIntervalMs: 0 });
    for (let n = 1; n <= 3; n += 1) await spool.append(entry('normal', n));
    for (let n = 1; n <= 4; n += 1) await spool.append(entry('low', n));
    for (let n = 1; n <= 3; n += 1) await spool.append(entry('alert', n));
    expect(spool.stats().bytes).toBe(1000);

    await spool.append(entry('alert', 4));
    await spool.append(entry('low', 5));
    expect(spool.stats().evicted).toEqual({ low: 2, normal: 0, alert: 0 });
    const left = () => spool.readAfter(DEVICE, 0, 100).map((e) => e.eventId);
    expect(left()).toEqual([
      'event-normal-1',
      'event-normal-2',
      'event-normal-3',
      'event-low-3',
      'event-low-4',
      'event-alert-1',
      'event-alert-2',
      'event-alert-3',
      'event-alert-4',
      'event-low-5',
    ]);

    // Alerts push out every low and normal event, oldest first ...
    for (let n = 5; n <= 10; n += 1) await spool.append(entry('alert', n));
    expect(left().filter((id) => !id.includes('alert'))).toEqual([]);
    expect(spool.stats().evicted).toEqual({ low: 5, normal: 3, alert: 0 });
    // ... and once only alerts are left, a new event is refused instead of dropping one.
    await expect(spool.append(entry('alert', 11))).rejects.toBeInstanceOf(SpoolFullError);
    await expect(spool.append(entry('low', 6))).rejects.toThrow(/never dropped/);
    expect(left()).toHaveLength(10);
    expect(spool.stats().refused).toBe(2);
    spool.close();
  });

  it('refuses an event larger than the whole spool', async () => {
    const spool = new SqliteSpool({ path: ':memory:', maxBytes: 500, commitIntervalMs: 0 });
    await expect(spool.append(entry('alert', 1, 501))).rejects.toThrow(/larger than the whole spool/);
    spool.close();
  });
});
