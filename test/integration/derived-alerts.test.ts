import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type IncidentEventPayload,
  type PassageEventPayload,
} from '@citywatch/protocol';
import { EventRepository } from '../../server/src/ingest/event.repository';
import { IngestService } from '../../server/src/ingest/ingest.service';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import type { InProcessHub } from '../support/hub';
import { call, passageEvent, startCheckpointHub, threeTollgates, type Caller } from './checkpoints-support';

/**
 * Alerts derived from events (hotlist hits, incidents) are committed before the event's message is
 * acknowledged, and an event that comes again after a crash (stored, but its alert never raised) gets its
 * alert then, once: the open alert already counting an event is not counted up by it again.
 */
describe.each(BACKENDS)('alerts derived from stored events on $name', (backend) => {
  let hub: InProcessHub;
  let stop: (() => Promise<void>) | undefined;
  let database: Database;
  let police: Caller;
  let topics: TopicScheme;
  const estate = threeTollgates(820);
  const camera = makeDeviceId({ kind: 'hd_camera', serial: 8200 });

  const ingest = (kind: 'passage' | 'incident', event: PassageEventPayload | IncidentEventPayload) =>
    hub.hub.app.get(IngestService).ingest(topics.event(event.deviceId, kind), encodeMessage(kind, event as never));

  /** The alerts of a dedupe key as stored: count and the events they hold. */
  async function alertsOf(dedupeKey: string): Promise<{ count: number; sourceEventIds: string[] }[]> {
    const result = await database.query<{ count: number; source_event_ids: string[] }>(
      `SELECT count, source_event_ids FROM alerts WHERE dedupe_key = $1 ORDER BY id`,
      [dedupeKey],
    );
    return result.rows.map((row) => ({ count: Number(row.count), sourceEventIds: row.source_event_ids }));
  }

  beforeAll(async () => {
    ({ hub, police, stop } = await startCheckpointHub(
      backend,
      {
        tollgates: estate.tollgates,
        devices: [
          ...estate.devices,
          { id: camera, name: 'Replay camera', kind: 'hd_camera', lat: 45.6, lon: 126.6, place: 'Test', area: 'Test' },
        ],
      },
      { DEVICE_AUTH: 'optional', RATE_LIMIT_PER_MINUTE: '100000' },
    ));
    topics = new TopicScheme(hub.topicRoot);
    database = hub.hub.app.get<Database>(DATABASE);
    const listed = await call<{ id: string }>(hub.httpUrl, police, '/api/checkpoints/hotlist', {
      method: 'POST',
      body: {
        plate: '黑AR0001',
        category: 'stolen',
        priority: 1,
        reason: 'replay test',
        validFrom: new Date(Date.now() - 86_400_000).toISOString(),
        fuzzy: false,
      },
    });
    expect(listed.status).toBe(201);
  });

  afterAll(async () => {
    await stop?.();
  });

  const hotlistKey = (entryPlate: string, tollgateId: string) => `:${entryPlate}:${tollgateId}`;

  it('commits the hotlist alert of a passage before the passage counts as committed (and is acknowledged)', async () => {
    const passage = passageEvent(estate.device(0, 1), { plateNo: '黑AR0001', passTime: new Date().toISOString() });
    await ingest('passage', passage).committed;
    // No waiting: the alert is there the moment the acknowledgement may leave.
    const rows = await database.query<{ dedupe_key: string; count: number; source_event_ids: string[] }>(
      `SELECT dedupe_key, count, source_event_ids FROM alerts WHERE $1 = ANY(source_event_ids)`,
      [passage.eventId],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.dedupe_key).toContain(hotlistKey('黑AR0001', 'TG-A'));
  });

  it('raises the alert of a passage stored before a crash when it comes again, once', async () => {
    const passage = passageEvent(estate.device(1, 1), {
      tollgateId: 'TG-B',
      plateNo: '黑AR0001',
      passTime: new Date().toISOString(),
    });
    // What a hub that died right after the commit leaves: the row, and no alert.
    await hub.hub.app.get(EventRepository).insertPassages([passage]);
    const byEvent = async () =>
      (
        await database.query<{ dedupe_key: string; count: number }>(
          `SELECT dedupe_key, count FROM alerts WHERE $1 = ANY(source_event_ids)`,
          [passage.eventId],
        )
      ).rows.map((row) => ({ key: row.dedupe_key, count: Number(row.count) }));
    expect(await byEvent()).toEqual([]);

    // The broker redelivers it (nothing acknowledged it): stored once, alert raised.
    await ingest('passage', passage).committed;
    const raised = await byEvent();
    expect(raised).toHaveLength(1);
    expect(raised[0]!.count).toBe(1);
    // And again (a second crash, a republishing device): the alert already counts it.
    await ingest('passage', passage).committed;
    expect(await byEvent()).toEqual(raised);
    const stored = await database.query<{ n: string }>(`SELECT count(*) AS n FROM passages WHERE event_id = $1`, [
      passage.eventId,
    ]);
    expect(Number(stored.rows[0]!.n)).toBe(1);

    // A new passage of the plate there still counts up the open alert.
    await ingest('passage', { ...passage, eventId: randomUUID(), passTime: new Date().toISOString() }).committed;
    expect((await byEvent())[0]!.count).toBe(2);
  });

  it('raises the alert of an incident stored before a crash when it comes again, once', async () => {
    const incident: IncidentEventPayload = {
      v: 1,
      eventId: randomUUID(),
      deviceId: camera,
      at: new Date().toISOString(),
      kind: 'fire_smoke',
      confidence: 0.93,
    };
    const key = `incident:${camera}:fire_smoke`;
    await hub.hub.app.get(EventRepository).insertIncidents([incident]);
    expect(await alertsOf(key)).toEqual([]);

    await ingest('incident', incident).committed;
    expect(await alertsOf(key)).toEqual([{ count: 1, sourceEventIds: [incident.eventId] }]);
    await ingest('incident', incident).committed;
    expect(await alertsOf(key)).toEqual([{ count: 1, sourceEventIds: [incident.eventId] }]);

    const next = { ...incident, eventId: randomUUID(), at: new Date().toISOString() };
    await ingest('incident', next).committed;
    expect(await alertsOf(key)).toEqual([{ count: 2, sourceEventIds: [incident.eventId, next.eventId] }]);
  });
});
