import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, PassageSearchResult, Trajectory } from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import type { InProcessHub } from '../support/hub';
import {
  call,
  insertPassages,
  makeUser,
  startCheckpointHub,
  threeTollgates,
  type Caller,
  type Row,
} from './checkpoints-support';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

describe.each(BACKENDS)('checkpoint history search on $name', (backend) => {
  let hub: InProcessHub;
  let stop: (() => Promise<void>) | undefined;
  let admin: Caller;
  let police: Caller;
  let viewer: Caller;
  const search = (query: string) =>
    call<PassageSearchResult>(hub.httpUrl, police, `/api/checkpoints/passages?${query}`);

  beforeAll(async () => {
    ({ hub, admin, police, stop } = await startCheckpointHub(backend, threeTollgates(), {
      CHECKPOINT_EXPORT_PAGE_SIZE: '100',
      RATE_LIMIT_SEARCH_PER_MINUTE: '100000',
      RATE_LIMIT_PER_MINUTE: '100000',
    }));
    viewer = await makeUser(hub.httpUrl, admin, 'viewer');
    const rows: Row[] = [
      { plateNo: '黑A12345', passTime: at(1_000), tollgateId: 'TG-A', laneNo: 1, speedKmh: 40 },
      { plateNo: '黑A12345', passTime: at(600_000), tollgateId: 'TG-B', laneNo: 2, direction: 'S', speedKmh: 72 },
      { plateNo: '黑A12345', passTime: at(1_200_000), tollgateId: 'TG-C', laneNo: 1, speedKmh: 55 },
      { plateNo: '黑AB2399', passTime: at(2_000), plateColor: 'yellow', vehicleClass: 'truck', vehicleColor: 'red' },
      { plateNo: '黑AK2301', passTime: at(3_000), vehicleClass: 'suv', vehicleColor: 'black', speedKmh: 90 },
      { plateNo: '黑AD8123', passTime: at(4_000) },
      { plateNo: '黑A0B123', passTime: at(5_000) },
      { plateNo: '黑AD812', passTime: at(6_000) },
      { plateNo: '黑AD81234', passTime: at(7_000) },
      { plateNo: '黑AD8124', passTime: at(8_000) },
      { plateNo: '吉AD8123', passTime: at(9_000) },
      { plateNo: '黑A99999', passTime: at(-40 * DAY), plateColor: 'green' },
      { plateNo: '无牌', passTime: at(10_000), vehicleColor: null },
    ];
    await insertPassages(hub, rows);
  });

  afterAll(async () => {
    await stop?.();
  });

  it('finds an exact plate, newest first, with a count', async () => {
    const { status, body } = await search('plate=黑A12345');
    expect(status).toBe(200);
    expect(body.items.map((p) => p.tollgateId)).toEqual(['TG-C', 'TG-B', 'TG-A']);
    expect(body.total).toEqual({ value: 3, exact: true });
    expect(body.nextCursor).toBeNull();
    expect(body.items[1]).toMatchObject({ plateNo: '黑A12345', laneNo: 2, direction: 'S', speedKmh: 72 });
  });

  it('applies every filter', async () => {
    const plates = async (query: string) => (await search(query)).body.items.map((p) => p.plateNo).sort();
    expect(await plates('plateColor=yellow')).toEqual(['黑AB2399']);
    expect(await plates('plateColor=green,yellow')).toEqual(['黑A99999', '黑AB2399']);
    expect(await plates('vehicleClass=truck,suv')).toEqual(['黑AB2399', '黑AK2301']);
    expect(await plates('vehicleColor=black')).toEqual(['黑AK2301']);
    expect(await plates('tollgateId=TG-B,TG-C')).toEqual(['黑A12345', '黑A12345']);
    expect(await plates('tollgateId=TG-A&laneNo=1&plate=黑A12345')).toEqual(['黑A12345']);
    expect(await plates('laneNo=2')).toEqual(['黑A12345']);
    expect(await plates('direction=S')).toEqual(['黑A12345']);
    expect(await plates('speedMin=60&speedMax=80')).toEqual(['黑A12345']);
    expect(await plates('speedMin=90')).toEqual(['黑AK2301']);
    expect(await plates(`from=${at(-41 * DAY)}&to=${at(-39 * DAY)}`)).toEqual(['黑A99999']);
    expect(await plates(`from=${encodeURIComponent(at(4_000))}&to=${encodeURIComponent(at(6_000))}`)).toEqual([
      '黑A0B123',
      '黑AD8123',
    ]);
    expect(await plates('plate=无牌')).toEqual(['无牌']);
  });

  it('resolves wildcard patterns through the plate dictionary', async () => {
    const { body } = await search(`plate=${encodeURIComponent('黑A?23*')}`);
    // 黑A12345 fits too: ? takes the 1, then 23.
    expect(body.items.map((p) => p.plateNo).sort()).toEqual([
      '黑A12345',
      '黑A12345',
      '黑A12345',
      '黑AB2399',
      '黑AK2301',
    ]);
    expect(body.matchedPlates!.map((m) => m.plateNo)).toEqual(['黑A12345', '黑AB2399', '黑AK2301']);
    const suffix = await search(`plate=${encodeURIComponent('*123')}&plateMatch=wildcard`);
    expect(suffix.body.items.map((p) => p.plateNo).sort()).toEqual(['吉AD8123', '黑A0B123', '黑AD8123']);
    const none = await search(`plate=${encodeURIComponent('京Z*')}`);
    expect(none.body).toMatchObject({ items: [], total: { value: 0, exact: true }, matchedPlates: [] });
  });

  it('finds OCR confusions and one missing or extra character fuzzily, with the distance', async () => {
    const { body } = await search('plate=黑AD8123&plateMatch=fuzzy');
    const matched = Object.fromEntries(body.matchedPlates!.map((m) => [m.plateNo, m.distance]));
    expect(matched).toEqual({ 黑AD8123: 0, 黑A0B123: 2, 黑AD812: 1, 黑AD81234: 1 });
    expect(body.items.map((p) => p.plateNo).sort()).toEqual(['黑A0B123', '黑AD812', '黑AD8123', '黑AD81234']);
    // 黑AD8124 differs by a non-confusable substitution and 吉AD8123 in the province: neither matches.
    const typedWithConfusions = await search(`plate=${encodeURIComponent('黑AOBIZ3')}&plateMatch=fuzzy`);
    expect(typedWithConfusions.body.items.map((p) => p.plateNo)).toContain('黑AD8123');
  });

  it('pages with a cursor: no duplicates and no gaps while new rows arrive', async () => {
    const base = T0 + 5 * DAY;
    const rows: Row[] = Array.from({ length: 95 }, (_, i) => ({
      plateNo: '黑A55555',
      // Pairs of rows share a pass time, so the event id has to break ties.
      passTime: new Date(base + Math.floor(i / 2) * 1000).toISOString(),
    }));
    const ids = new Set(await insertPassages(hub, rows));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await search(`plate=黑A55555&limit=10${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      if (pages === 0) expect(body.total).toEqual({ value: 95, exact: true });
      else expect(body.total).toBeNull();
      seen.push(...body.items.map((p) => p.eventId));
      cursor = body.nextCursor;
      pages++;
      // Rows arriving mid-search, newer, older and in between, are not part of it.
      await insertPassages(hub, [
        { plateNo: '黑A55555', passTime: new Date(base + 200_000 + pages).toISOString() },
        { plateNo: '黑A55555', passTime: new Date(base + 20_500).toISOString() },
        { plateNo: '黑A55555', passTime: new Date(base - 1000 * pages).toISOString() },
      ]);
    } while (cursor);
    expect(pages).toBe(10);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(ids);
  });

  it('pages a wildcard over many plates in the order of one query over all of them, while rows arrive', async () => {
    // 300 plates, 4 passages each over 4 days; pairs of plates share pass times, so ties cross plates.
    // (On plain PostgreSQL such a page is read plate by plate under a bound; these are the rows one
    // ORDER BY over the whole list gives.)
    const base = T0 + 20 * DAY;
    const plates = Array.from({ length: 300 }, (_, i) => `黑M${'ABCDEFGHJK'[i % 10]}${String(i).padStart(4, '0')}`);
    const rows: Row[] = plates.flatMap((plateNo, i) =>
      [0, 1, 2, 3].map((k) => ({
        plateNo,
        passTime: new Date(base + k * DAY + Math.floor(i / 2) * 60_000).toISOString(),
      })),
    );
    await insertPassages(hub, rows);
    const database = hub.hub.app.get<Database>(DATABASE);
    const from = new Date(base + DAY).toISOString();
    const to = new Date(base + 4 * DAY).toISOString();
    const expected = (
      await database.query<{ event_id: string }>(
        `SELECT event_id FROM passages WHERE plate_no LIKE '黑M%' AND pass_time >= $1 AND pass_time < $2
         ORDER BY pass_time DESC, event_id DESC`,
        [from, to],
      )
    ).rows.map((row) => row.event_id);
    expect(expected).toHaveLength(900);

    const query = `plate=${encodeURIComponent('黑M*')}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&limit=40`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await search(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(status).toBe(200);
      if (pages === 0) {
        expect(body.total).toEqual({ value: 900, exact: true });
        expect(body.matchedPlates).toHaveLength(300);
      }
      seen.push(...body.items.map((p) => p.eventId));
      cursor = body.nextCursor;
      pages++;
      // Rows stored mid-search are not part of it: newer, at the page boundary and, after every other page,
      // many just older than it (more than a page, so a bound taken with them counted falls short).
      const last = body.items[body.items.length - 1];
      if (!last) continue;
      const boundary = Date.parse(last.passTime);
      const burst = pages % 2 === 1 ? plates.slice(0, 100) : [];
      await insertPassages(hub, [
        { plateNo: plates[pages]!, passTime: new Date(boundary + 3_600_000).toISOString() },
        { plateNo: last.plateNo, passTime: last.passTime },
        ...burst.map((plateNo, i) => ({ plateNo, passTime: new Date(boundary - 1 - i).toISOString() })),
      ]);
    } while (cursor);
    expect(pages).toBe(23);
    expect(seen).toEqual(expected);
  });

  it('refuses a cursor from another search', async () => {
    const first = await search('plate=黑A55555&limit=5');
    const { status, body } = await search(`plate=黑A12345&limit=5&cursor=${first.body.nextCursor}`);
    expect(status).toBe(400);
    expect(JSON.stringify(body)).toContain('another filter');
  });

  it('gives a trajectory with tollgate positions, oldest first', async () => {
    const { status, body } = await call<Trajectory>(hub.httpUrl, police, '/api/checkpoints/trajectory?plate=黑A12345');
    expect(status).toBe(200);
    expect(body.points.map((p) => [p.tollgateId, p.tollgateName])).toEqual([
      ['TG-A', 'Checkpoint A'],
      ['TG-B', 'Checkpoint B'],
      ['TG-C', 'Checkpoint C'],
    ]);
    expect(body.points[1]).toMatchObject({ lat: 45.595, lon: 126.63 });
    expect(body.truncated).toBe(false);
  });

  it('counts vehicles per hour and lane, speeds, top plates and peak hours', async () => {
    const range = `from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(2 * 3_600_000))}`;
    const hourly = await call<{ source: string; rows: { tollgateId: string; laneNo: number; vehicles: number }[] }>(
      hub.httpUrl,
      viewer,
      `/api/checkpoints/statistics/hourly?${range}&tollgateId=TG-A`,
    );
    expect(hourly.status).toBe(200);
    expect(hourly.body.rows.reduce((sum, row) => sum + row.vehicles, 0)).toBe(10);
    const speeds = await call<{ fromKmh: number; vehicles: number }[]>(
      hub.httpUrl,
      police,
      `/api/checkpoints/statistics/speeds?${range}&bucketKmh=20`,
    );
    expect(speeds.body.find((b) => b.fromKmh === 80)?.vehicles).toBe(1);
    const top = await call<{ plateNo: string; passages: number; tollgates: number }[]>(
      hub.httpUrl,
      police,
      `/api/checkpoints/statistics/top-plates?${range}&top=1`,
    );
    expect(top.body).toMatchObject([{ plateNo: '黑A12345', passages: 3, tollgates: 3 }]);
    const peak = await call<{ hourOfDay: number; vehicles: number }[]>(
      hub.httpUrl,
      police,
      `/api/checkpoints/statistics/peak-hours?${range}&timeZone=Asia/Shanghai`,
    );
    expect(peak.body[0]).toEqual({ hourOfDay: 8, vehicles: 12 });
    expect((await call(hub.httpUrl, viewer, `/api/checkpoints/statistics/top-plates?${range}`)).status).toBe(403);
  });

  it('answers bad input with a 400 that says what is wrong', async () => {
    const bad = async (query: string, says: RegExp) => {
      const { status, text } = await search(query);
      expect(status, query).toBe(400);
      expect(text, query).toMatch(says);
    };
    await bad('from=yesterday', /from/);
    await bad('from=2026-02-30T00:00:00Z', /not a real date/);
    await bad('from=2026-13-01T00:00:00Z', /not a real date/);
    await bad(`from=${at(1000)}&to=${at(0)}`.replace(/\+/g, '%2B'), /must be before/);
    await bad('limit=100000', /limit/);
    await bad('limit=0', /limit/);
    await bad(`plate=${encodeURIComponent('*')}&plateMatch=wildcard`, /at least 2 fixed characters/);
    await bad(`plate=${encodeURIComponent('黑A[12]')}&plateMatch=wildcard`, /neither plate characters/);
    await bad(`plate=${encodeURIComponent('黑A?2345')}&plateMatch=exact`, /plateMatch=wildcard/);
    await bad('plate=黑A1&plateMatch=fuzzy', /5 to 9 characters/);
    await bad('plateColor=purple', /plateColor/);
    await bad('speedMin=80&speedMax=20', /speedMin/);
    await bad('cursor=bm9wZQ', /cursor/);
    await bad('plateMatch=fuzzy', /plateMatch needs a plate/);
    await bad('colour=red', /colour|additional/i);
    const stats = await call(
      hub.httpUrl,
      police,
      `/api/checkpoints/statistics/peak-hours?from=${encodeURIComponent(at(0))}&to=${encodeURIComponent(at(200 * DAY))}`,
    );
    expect(stats.status).toBe(400);
    expect(stats.text).toMatch(/at most 92 days/);
  });

  it('exports a search as CSV, a page at a time, and records who exported what', async () => {
    const base = T0 + 10 * DAY;
    const rows: Row[] = Array.from({ length: 2_500 }, (_, i) => ({
      plateNo: `黑E${String(i % 500).padStart(5, '0')}`,
      passTime: new Date(base + i * 1000).toISOString(),
      tollgateId: 'TG-B',
    }));
    await insertPassages(hub, rows);
    const query = `tollgateId=TG-B&from=${encodeURIComponent(new Date(base).toISOString())}`;
    const response = await fetch(`${hub.httpUrl}/api/checkpoints/passages/export.csv?${query}`, {
      headers: { authorization: `Bearer ${police.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-length')).toBeNull();
    const text = await response.text();
    const lines = text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n');
    expect(lines[0]).toBe(
      'eventId,passTime,tollgateId,laneNo,direction,plateNo,plateColor,plateConfidence,vehicleClass,vehicleColor,speedKmh,deviceId,storedAt',
    );
    expect(lines).toHaveLength(2_501);
    const eventIds = lines.slice(1).map((line) => line.split(',')[0]);
    expect(new Set(eventIds).size).toBe(2_500);
    const audit = await call<AuditPage>(hub.httpUrl, admin, '/api/audit?action=checkpoints.export');
    expect(audit.body.items[0]).toMatchObject({
      action: 'checkpoints.export',
      details: { filter: { tollgateId: 'TG-B' } },
    });
    const searches = await call<AuditPage>(hub.httpUrl, admin, '/api/audit?action=checkpoints.search');
    expect(searches.body.items.length).toBeGreaterThan(5);
  });

  it('lets only traffic police and administrators search, and operators read one passage', async () => {
    expect((await call(hub.httpUrl, viewer, '/api/checkpoints/passages?plate=黑A12345')).status).toBe(403);
    const operator = await makeUser(hub.httpUrl, admin, 'operator');
    expect((await call(hub.httpUrl, operator, '/api/checkpoints/passages?plate=黑A12345')).status).toBe(403);
    const { body } = await search('plate=黑A12345&limit=1');
    const one = await call<{ plateNo: string }>(
      hub.httpUrl,
      operator,
      `/api/checkpoints/passages/${body.items[0]!.eventId}`,
    );
    expect(one.status).toBe(200);
    expect(one.body.plateNo).toBe('黑A12345');
  });
});
