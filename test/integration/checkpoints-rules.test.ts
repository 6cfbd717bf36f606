import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import {
  TopicScheme,
  encodeMessage,
  type AlertRecord,
  type CheckpointRule,
  type HotlistEntry,
  type HotlistPage,
  type PassageEventPayload,
  type TollgateRecord,
  type TravelTime,
} from '@citywatch/protocol';
import { HotlistService } from '../../server/src/checkpoints/hotlist.service';
import { PassageRulesService } from '../../server/src/checkpoints/passage-rules.service';
import { IngestService } from '../../server/src/ingest/ingest.service';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import type { InProcessHub } from '../support/hub';
import { call, makeUser, passageEvent, startCheckpointHub, threeTollgates, type Caller } from './checkpoints-support';

describe.each(BACKENDS)('checkpoint registry, hotlist and rules on $name', (backend) => {
  let hub: InProcessHub;
  let stop: (() => Promise<void>) | undefined;
  let admin: Caller;
  let police: Caller;
  const estate = threeTollgates(700);
  const base = Date.now() - 3_600_000;
  const at = (ms: number) => new Date(base + ms).toISOString();

  /** Hands passages to the hub's ingest pipeline (as the broker would) and waits until the rules have run. */
  async function store(...events: PassageEventPayload[]): Promise<void> {
    const ingest = hub.hub.app.get(IngestService);
    const topics = new TopicScheme(hub.topicRoot);
    await Promise.all(
      events.map((e) => ingest.ingest(topics.event(e.deviceId, 'passage'), encodeMessage('passage', e)).committed),
    );
    await new Promise((resolve) => setImmediate(resolve));
    await hub.hub.app.get(PassageRulesService).idle();
  }
  const event = (tollgate: 0 | 1 | 2, overrides: Partial<PassageEventPayload>) =>
    passageEvent(estate.device(tollgate, overrides.laneNo ?? 1), {
      tollgateId: ['TG-A', 'TG-B', 'TG-C'][tollgate],
      ...overrides,
    });
  const alerts = async (type: string) =>
    (await call<AlertRecord[]>(hub.httpUrl, admin, `/api/alerts?type=${type}&limit=500`)).body;
  const rule = (id: string, body: Record<string, unknown>) =>
    call<CheckpointRule>(hub.httpUrl, police, `/api/checkpoints/rules/${id}`, { method: 'PUT', body });

  beforeAll(async () => {
    ({ hub, admin, police, stop } = await startCheckpointHub(backend, estate, {
      DEVICE_AUTH: 'optional',
      CHECKPOINT_SYNC_INTERVAL_MS: '200',
      RATE_LIMIT_PER_MINUTE: '100000',
    }));
  });

  afterAll(async () => {
    await stop?.();
  });

  it('keeps tollgates, lanes and travel times through the API', async () => {
    const list = await call<TollgateRecord[]>(hub.httpUrl, police, '/api/tollgates');
    expect(list.body.map((t) => [t.id, t.lanes.length])).toEqual([
      ['TG-A', 2],
      ['TG-B', 2],
      ['TG-C', 2],
    ]);
    const body = {
      id: 'TG-X',
      name: 'Temporary checkpoint',
      lat: 45.7,
      lon: 126.7,
      place: 'Ring road',
      lanes: [{ laneNo: 1, direction: 'E', speedLimitKmh: 80 }],
    };
    expect((await call(hub.httpUrl, police, '/api/tollgates', { method: 'POST', body })).status).toBe(403);
    expect((await call(hub.httpUrl, admin, '/api/tollgates', { method: 'POST', body })).status).toBe(201);
    expect((await call(hub.httpUrl, admin, '/api/tollgates', { method: 'POST', body })).status).toBe(409);
    const { id: _id, ...update } = body;
    void _id;
    const updated = await call<TollgateRecord>(hub.httpUrl, admin, '/api/tollgates/TG-X', {
      method: 'PUT',
      body: { ...update, lanes: [...update.lanes, { laneNo: 2, direction: 'W', speedLimitKmh: 70 }] },
    });
    expect(updated.body.lanes.map((l) => l.speedLimitKmh)).toEqual([80, 70]);
    const twice = await call(hub.httpUrl, admin, '/api/tollgates/TG-X', {
      method: 'PUT',
      body: { ...update, lanes: [update.lanes[0], update.lanes[0]] },
    });
    expect(twice.status).toBe(400);
    expect(twice.text).toContain('lane 1 is listed twice');
    const travel = await call(hub.httpUrl, admin, '/api/tollgates/travel-times', {
      method: 'PUT',
      body: { items: [{ fromTollgateId: 'TG-A', toTollgateId: 'TG-B', minTravelS: 240, distanceM: 5000 }] },
    });
    expect(travel.body).toEqual({ stored: 2 });
    const times = await call<TravelTime[]>(hub.httpUrl, police, '/api/tollgates/travel-times');
    expect(times.body.map((t) => `${t.fromTollgateId}>${t.toTollgateId}:${t.minTravelS}`)).toEqual([
      'TG-A>TG-B:240',
      'TG-B>TG-A:240',
    ]);
    const unknown = await call(hub.httpUrl, admin, '/api/tollgates/travel-times', {
      method: 'PUT',
      body: { items: [{ fromTollgateId: 'TG-A', toTollgateId: 'TG-NOPE', minTravelS: 10 }] },
    });
    expect(unknown.status).toBe(400);
    expect((await call(hub.httpUrl, admin, '/api/tollgates/TG-X', { method: 'DELETE' })).status).toBe(204);
    expect((await call(hub.httpUrl, admin, '/api/tollgates/TG-X')).status).toBe(404);
    expect((await call(hub.httpUrl, admin, '/api/tollgates/TG-A', { method: 'DELETE' })).status).toBe(409);
  });

  it('raises a hotlist alert for exact, pattern and fuzzy hits, the fuzzy one marked with its distance', async () => {
    // The passages below happened an hour ago: the entries have to be valid then.
    const create = (body: Record<string, unknown>) =>
      call<HotlistEntry>(hub.httpUrl, police, '/api/checkpoints/hotlist', {
        method: 'POST',
        body: { validFrom: at(-600_000), ...body },
      });
    const stolen = await create({ plate: '黑AD8123', category: 'stolen', priority: 1, reason: 'case 2026-117' });
    expect(stolen.status).toBe(201);
    const pattern = await create({
      plate: '黑A?77*',
      category: 'suspect',
      priority: 3,
      reason: 'witness',
      fuzzy: false,
    });
    const scoped = await create({
      plate: '黑A31313',
      category: 'wanted',
      priority: 2,
      reason: 'only at B',
      tollgateIds: ['TG-B'],
    });
    const expired = await create({
      plate: '黑A40404',
      category: 'other',
      priority: 2,
      reason: 'old',
      validFrom: at(-7_200_000),
      validUntil: at(-3_600_000),
    });
    expect([pattern.status, scoped.status, expired.status]).toEqual([201, 201, 201]);
    const unknownScope = await create({
      plate: '黑A55555',
      category: 'other',
      priority: 3,
      reason: 'typo in the scope',
      tollgateIds: ['TG-B', 'TG-NOPE'],
    });
    expect(unknownScope.status).toBe(400);
    expect(JSON.stringify(unknownScope.body)).toContain('TG-NOPE is not a registered tollgate');
    await store(
      event(0, { plateNo: '黑AD8123', passTime: at(1_000) }),
      event(0, { plateNo: '黑A0B123', passTime: at(2_000) }),
      event(0, { plateNo: '黑AK7712', passTime: at(3_000) }),
      event(0, { plateNo: '黑A31313', passTime: at(4_000) }),
      event(1, { plateNo: '黑A31313', passTime: at(5_000) }),
      event(0, { plateNo: '黑A40404', passTime: at(6_000) }),
      event(0, { plateNo: '黑AD8124', passTime: at(7_000) }),
    );
    const raised = await alerts('hotlist_vehicle');
    const summary = raised
      .map((a) => [a.evidence.plateNo, a.evidence.hotlistEntryId, a.evidence.fuzzyDistance ?? 0, a.severity])
      .sort();
    expect(summary).toEqual(
      [
        ['黑AD8123', stolen.body.id, 0, 'critical'],
        ['黑A0B123', stolen.body.id, 2, 'major'],
        ['黑AK7712', pattern.body.id, 0, 'minor'],
        ['黑A31313', scoped.body.id, 0, 'major'],
      ].sort(),
    );
    expect(raised.find((a) => a.evidence.plateNo === '黑A0B123')!.evidence.facts).toMatchObject({ fuzzy: true });
    expect(raised.find((a) => a.evidence.plateNo === '黑A31313')!.evidence.tollgateId).toBe('TG-B');
  });

  it('raises a hotlist alert within a second of a passage arriving over MQTT', async () => {
    await call(hub.httpUrl, police, '/api/checkpoints/hotlist', {
      method: 'POST',
      body: { plate: '黑A50505', category: 'stolen', priority: 1, reason: 'live' },
    });
    const deviceId = estate.device(2, 1);
    const device = await mqtt.connectAsync(hub.mqttUrl, { clientId: `device-${deviceId}-cp`, clean: true });
    const started = Date.now();
    const passage = event(2, { plateNo: '黑A50505', passTime: new Date().toISOString() });
    await device.publishAsync(
      new TopicScheme(hub.topicRoot).event(deviceId, 'passage'),
      encodeMessage('passage', passage),
      {
        qos: 1,
      },
    );
    await device.endAsync();
    await expect
      .poll(async () => (await alerts('hotlist_vehicle')).some((a) => a.sourceEventIds.includes(passage.eventId)), {
        timeout: 5_000,
        interval: 50,
      })
      .toBe(true);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('keeps the hotlist index in step with the database (CRUD and changes made elsewhere)', async () => {
    const created = await call<HotlistEntry>(hub.httpUrl, police, '/api/checkpoints/hotlist', {
      method: 'POST',
      body: { plate: '黑A60606', category: 'wanted', priority: 2, reason: 'x' },
    });
    const hotlist = hub.hub.app.get(HotlistService);
    expect(hotlist.index.has(created.body.id)).toBe(true);
    expect(
      (await call(hub.httpUrl, police, `/api/checkpoints/hotlist/${created.body.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(hotlist.index.has(created.body.id)).toBe(false);
    // Another replica's write: straight into the table; this replica picks it up by polling.
    const database = hub.hub.app.get<Database>(DATABASE);
    const inserted = await database.query<{ id: string }>(
      `INSERT INTO vehicle_hotlist (plate, kind, category, priority, reason) VALUES ('黑A70707', 'exact', 'stolen', 1, 'elsewhere') RETURNING id::text`,
    );
    await expect.poll(() => hotlist.index.has(inserted.rows[0]!.id), { timeout: 5_000 }).toBe(true);
    const page = await call<HotlistPage>(hub.httpUrl, police, '/api/checkpoints/hotlist?category=stolen&active=true');
    expect(page.body.items.map((e) => e.plate)).toContain('黑A70707');
    const bad = await call(hub.httpUrl, police, '/api/checkpoints/hotlist', {
      method: 'POST',
      body: { plate: '黑A%1', category: 'stolen', priority: 1, reason: 'x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('plate');
    const viewer = await makeUser(hub.httpUrl, admin, 'viewer');
    expect((await call(hub.httpUrl, viewer, '/api/checkpoints/hotlist')).status).toBe(403);
  });

  it('raises speeding above the lane limit plus the margin, and not at it', async () => {
    const before = (await alerts('speeding')).length;
    await store(
      event(1, { plateNo: '黑A11111', laneNo: 1, speedKmh: 70, passTime: at(10_000) }),
      event(1, { plateNo: '黑A11112', laneNo: 1, speedKmh: 70.5, passTime: at(11_000) }),
    );
    const raised = (await alerts('speeding')).slice(0, (await alerts('speeding')).length - before);
    expect(raised.map((a) => [a.evidence.plateNo, a.evidence.speedLimitKmh])).toEqual([['黑A11112', 60]]);
    expect((await rule('speeding', { params: { marginKmh: 20 } })).body.params).toEqual({ marginKmh: 20 });
    await store(event(1, { plateNo: '黑A11113', speedKmh: 75, passTime: at(12_000) }));
    expect((await alerts('speeding')).length).toBe(before + 1);
    expect((await rule('speeding', { params: { marginKmh: -1 } })).status).toBe(400);
    expect((await rule('speeding', { params: { margin: 1 } })).status).toBe(400);
  });

  it('raises a cloned plate faster than the fastest travel, and not at it', async () => {
    // TG-A to TG-B: 240 s configured. TG-B to TG-C: no figure, 5 km straight at 150 km/h is 120 s.
    await store(
      event(0, { plateNo: '黑A22221', passTime: at(100_000) }),
      event(1, { plateNo: '黑A22221', passTime: at(340_000) }),
      event(0, { plateNo: '黑A22222', passTime: at(100_000) }),
      event(1, { plateNo: '黑A22222', passTime: at(339_000) }),
      event(1, { plateNo: '黑A22223', passTime: at(100_000) }),
      event(2, { plateNo: '黑A22223', passTime: at(200_000) }),
    );
    const raised = await alerts('cloned_plate');
    const mine = raised.map((a) => a.evidence.plateNo!).filter((plate) => plate.startsWith('黑A2222'));
    expect(mine.sort()).toEqual(['黑A22222', '黑A22223']);
  });

  it('raises frequent passage over N in the window, and not at N', async () => {
    expect((await rule('cloned_plate', { enabled: false })).body.enabled).toBe(false);
    expect((await rule('frequent_passage', { params: { maxPassages: 3, windowMinutes: 10 } })).status).toBe(200);
    const times = (plate: string, offsets: number[]) =>
      offsets.map((ms) => event(2, { plateNo: plate, passTime: at(1_000_000 + ms) }));
    await store(...times('黑A33331', [0, 100_000, 200_000]));
    await store(...times('黑A33332', [0, 100_000, 200_000, 600_000]));
    await store(...times('黑A33333', [0, 100_000, 200_000, 599_000]));
    const raised = await alerts('frequent_passage');
    expect(raised.map((a) => [a.evidence.plateNo, a.evidence.facts?.passages])).toEqual([['黑A33333', 4]]);
    const rules = await call<CheckpointRule[]>(hub.httpUrl, police, '/api/checkpoints/rules');
    expect(rules.body.map((r) => [r.id, r.enabled])).toEqual([
      ['hotlist', true],
      ['speeding', true],
      ['cloned_plate', false],
      ['frequent_passage', true],
    ]);
  });
});
