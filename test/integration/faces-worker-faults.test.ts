import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { FaceEventPayload, WatchlistPerson } from '@citywatch/protocol';
import { FaceCapturesRepository } from '../../server/src/faces/face-captures.repository';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { adminHeaders, registerEstate, startHub, startInProcessHub, type HubProcess } from '../support/hub';
import { ProjectMosquitto } from '../support/mosquitto';
import { createTestDatabase, uniqueName, uniqueTopicRoot, type TestDatabase } from '../support/services';
import {
  FACE_CAMERAS,
  enrolmentPhoto,
  faceCameraRegistrations,
  faceEvent,
  otherCaptures,
  photoForm,
  publishFaces,
  targetCaptures,
} from './faces-support';

/**
 * The face capture worker under faults, on the machine's PostgreSQL and the project's Mosquitto, the hub
 * as a child process: SIGKILL while a batch is half done (hits raised, batch not marked), and two hubs
 * sharing the queue. Every capture must be stored and processed once, and each device's hits of the
 * watchlisted person must make one alert whose count is the number of hits.
 */
const PER_DEVICE = 40;
/** Every third capture at a device is the watchlisted person. */
const isTarget = (index: number) => index % 3 === 0;

interface CaptureRow {
  event_id: string;
  device_id: string;
  processed: boolean;
  claimed_until: Date | null;
  attempts: number;
  outcome: string | null;
}

interface AlertRow {
  id: string;
  device_id: string;
  count: number;
  dedupe_key: string;
  raised: number;
  repeated: number;
  /** Every event id the alert's trail recorded, raised and repeated (repeats of one capture show as doubles). */
  event_ids: string[];
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function metric(httpUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('face capture worker under faults', { timeout: 300_000 }, () => {
  let broker: ProjectMosquitto;
  let database: TestDatabase;
  let client: pg.Client;
  let topicRoot: string;
  const hubs: HubProcess[] = [];
  let crops: { targets: Buffer[]; others: Buffer[] };

  const hubEnv = (hubId: string, extra: Record<string, string> = {}): Record<string, string> => ({
    MQTT_URL: broker.url,
    DATABASE_URL: database.url,
    TOPIC_ROOT: topicRoot,
    HUB_ID: hubId,
    FACE_BATCH_SIZE: '8',
    FACE_SYNC_INTERVAL_MS: '200',
    FACE_ALERT_MERGE_MINUTES: '10',
    FACE_ONNX_THREADS: '1',
    ...extra,
  });

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
    crops = { targets: Object.values(await targetCaptures()), others: await otherCaptures() };
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.kill();
    await client?.end();
    await database?.drop();
  });

  async function start(hubId: string, extra?: Record<string, string>): Promise<HubProcess> {
    const hub = await startHub({ env: hubEnv(hubId, extra) });
    hubs.push(hub);
    return hub;
  }

  /** A fresh database and topic root, one hub, the cameras and the person enrolled. */
  async function setUp(hubId: string, extra?: Record<string, string>): Promise<HubProcess> {
    topicRoot = uniqueTopicRoot();
    database = await createTestDatabase();
    client = new pg.Client({ connectionString: database.url });
    const hub = await start(hubId, extra);
    await client.connect();
    await registerEstate(hub.httpUrl, { tollgates: [], devices: faceCameraRegistrations });
    const response = await fetch(`${hub.httpUrl}/api/faces/watchlist/people`, {
      method: 'POST',
      headers: await adminHeaders(hub.httpUrl),
      body: photoForm([await enrolmentPhoto()], {
        name: 'Zhang Wei',
        category: 'wanted',
        priority: '1',
        reason: 'case 2026-0815',
      }),
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as WatchlistPerson).active).toBe(true);
    return hub;
  }

  /** PER_DEVICE captures at each camera, interleaved, 100 ms apart (all inside one merge window). */
  function stream(): { events: FaceEventPayload[]; targets: Set<string> } {
    const start = Date.now() + 1_000;
    const events: FaceEventPayload[] = [];
    const targets = new Set<string>();
    for (let index = 0; index < PER_DEVICE; index++) {
      FACE_CAMERAS.forEach((camera, cameraIndex) => {
        const jpeg = isTarget(index)
          ? crops.targets[index % crops.targets.length]
          : crops.others[(index + cameraIndex) % crops.others.length];
        const event = faceEvent(camera, jpeg, new Date(start + (index * 2 + cameraIndex) * 100));
        events.push(event);
        if (isTarget(index)) targets.add(event.eventId);
      });
    }
    return { events, targets };
  }

  const captureRows = async (ids: string[]) =>
    (
      await client.query<CaptureRow>(
        `SELECT event_id, device_id, processed_at IS NOT NULL AS processed, claimed_until, attempts, outcome
         FROM face_captures WHERE event_id = ANY($1::text[])`,
        [ids],
      )
    ).rows;

  const faceAlerts = async () =>
    (
      await client.query<AlertRow>(
        `SELECT a.id::text, a.device_id, a.count, a.dedupe_key,
                count(*) FILTER (WHERE c.kind = 'raised')::int AS raised,
                count(*) FILTER (WHERE c.kind = 'repeated')::int AS repeated,
                ARRAY(SELECT jsonb_array_elements_text(c2.details->'eventIds')
                      FROM alert_changes c2 WHERE c2.alert_id = a.id AND c2.kind IN ('raised', 'repeated')) AS event_ids
         FROM alerts a JOIN alert_changes c ON c.alert_id = a.id
         WHERE a.type = 'watchlist_face' GROUP BY a.id ORDER BY a.device_id`,
      )
    ).rows;

  /** What every run must end with, whatever happened on the way. */
  async function expectEachProcessedOnce(events: FaceEventPayload[], targets: Set<string>): Promise<CaptureRow[]> {
    const ids = events.map((event) => event.eventId);
    const rows = await captureRows(ids);
    // Nothing lost, nothing stored twice, nothing left behind.
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(events.length);
    expect(rows.filter((row) => !row.processed)).toEqual([]);
    const outcomes = new Map(rows.map((row) => [row.event_id, row.outcome]));
    expect(ids.filter((id) => outcomes.get(id) !== (targets.has(id) ? 'matched' : 'unmatched'))).toEqual([]);

    // One hit per target capture, each with its alert.
    const hits = await client.query<{ capture_event_id: string; alert_id: string | null }>(
      `SELECT capture_event_id, alert_id FROM face_hits`,
    );
    expect(hits.rows.map((row) => row.capture_event_id).sort()).toEqual([...targets].sort());
    expect(hits.rows.filter((row) => row.alert_id === null)).toEqual([]);

    // One alert per camera, raised once and then repeated by each later hit, each hit counted once.
    const alerts = await faceAlerts();
    expect(alerts.map((alert) => alert.device_id)).toEqual([...FACE_CAMERAS].sort());
    for (const alert of alerts) {
      const atCamera = events
        .filter((event) => event.deviceId === alert.device_id && targets.has(event.eventId))
        .map((event) => event.eventId);
      expect({ camera: alert.device_id, count: alert.count, raised: alert.raised, repeated: alert.repeated }).toEqual({
        camera: alert.device_id,
        count: atCamera.length,
        raised: 1,
        repeated: atCamera.length - 1,
      });
      expect([...alert.event_ids].sort()).toEqual([...atCamera].sort());
      expect(
        new Set(hits.rows.filter((hit) => atCamera.includes(hit.capture_event_id)).map((hit) => hit.alert_id)),
      ).toEqual(new Set([alert.id]));
    }
    return rows;
  }

  /**
   * Polls until, with at least `after` captures processed, a hit's alert is raised while its capture is
   * not marked processed yet; false if the stream ends first.
   */
  async function untilHalfDone(total: number, after: number): Promise<boolean> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const state = await client.query<{ done: number; half: boolean }>(
        `SELECT (SELECT count(*)::int FROM face_captures WHERE processed_at IS NOT NULL) AS done,
                EXISTS (SELECT 1 FROM face_hits h JOIN face_captures f ON f.event_id = h.capture_event_id
                        WHERE h.alert_id IS NOT NULL AND f.processed_at IS NULL) AS half`,
      );
      const { done, half } = state.rows[0]!;
      if (half && done >= after) return true;
      if (done >= total - 16) return false;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return false;
  }

  it('processes every capture once and keeps one alert per camera when the hub is killed mid-batch', async () => {
    const hubId = uniqueName('hub');
    const lease = { FACE_LEASE_SECONDS: '4' };
    let hub = await setUp(hubId, lease);
    const { events, targets } = stream();
    const ids = events.map((event) => event.eventId);
    const publishing = publishFaces(broker.url, topicRoot, events);

    // Kill at the worst moment: a batch has raised an alert for a hit and is not marked processed yet. The
    // batch may still finish between seeing that and the signal landing; then restart and try again.
    let leased: string[] = [];
    let atKill: CaptureRow[] = [];
    for (let attempt = 0; attempt < 4 && leased.length === 0; attempt++) {
      if (attempt > 0) hub = await start(hubId, lease);
      expect(await untilHalfDone(events.length, 16), 'a batch with a raised hit and no mark').toBe(true);
      await hub.kill();
      hubs.splice(hubs.indexOf(hub), 1);
      atKill = await captureRows(ids);
      leased = atKill.filter((row) => !row.processed && row.claimed_until !== null).map((row) => row.event_id);
    }
    expect(leased.length).toBeGreaterThan(0);
    // Mid-stream: some batches done before the kill, more to do after it.
    expect(atKill.filter((row) => row.processed).length).toBeGreaterThanOrEqual(16);
    expect(atKill.filter((row) => row.processed).length).toBeLessThan(events.length - 16);

    await publishing; // what the dead hub had not taken waits in its persistent session
    const restarted = await start(hubId, lease);
    await waitUntil(
      async () => (await captureRows(ids)).filter((row) => row.processed).length === events.length,
      180_000,
      `all ${events.length} captures processed`,
    );
    // A moment for anything that would wrongly happen twice to happen.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const rows = await expectEachProcessedOnce(events, targets);
    // The batch the kill interrupted was taken again once its lease lapsed; nothing else was.
    const retaken = rows.filter((row) => row.attempts > 1).map((row) => row.event_id);
    expect(retaken.sort()).toEqual(leased.sort());
    expect(rows.filter((row) => row.attempts > 2)).toEqual([]);
    expect(await metric(restarted.httpUrl, /citywatch_faces_processed_total\{[^}]*\} (\d+)/g)).toBeGreaterThan(0);
  });

  it('shares the queue between two hubs on one database, each capture processed by one of them', async () => {
    const share = { MQTT_SHARE_GROUP: 'citywatch' };
    const first = await setUp(uniqueName('hub-a'), share);
    const second = await start(uniqueName('hub-b'), share);
    const { events, targets } = stream();
    const ids = events.map((event) => event.eventId);
    await publishFaces(broker.url, topicRoot, events);
    await waitUntil(
      async () => (await captureRows(ids)).filter((row) => row.processed).length === events.length,
      180_000,
      `all ${events.length} captures processed`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const rows = await expectEachProcessedOnce(events, targets);
    expect(rows.filter((row) => row.attempts !== 1)).toEqual([]);
    const processedBy = [
      await metric(first.httpUrl, /citywatch_faces_processed_total\{[^}]*\} (\d+)/g),
      await metric(second.httpUrl, /citywatch_faces_processed_total\{[^}]*\} (\d+)/g),
    ];
    expect(processedBy[0]! + processedBy[1]!).toBe(events.length);
    expect(Math.min(...processedBy)).toBeGreaterThan(0);
  });
});

describe.each(BACKENDS)('the capture queue on $name', (backend) => {
  it('marks a capture only for its latest claim, and gives hits recorded at once one alert key', async () => {
    const prepared = await backend.prepare();
    // Recognition off: captures are stored and nothing claims them but this test.
    const hub = await startInProcessHub({ ...prepared.env, FACE_RECOGNITION: 'off' });
    try {
      const database = hub.hub.app.get<Database>(DATABASE);
      const captures = hub.hub.app.get(FaceCapturesRepository);
      await registerEstate(hub.httpUrl, { tollgates: [], devices: faceCameraRegistrations });
      const others = await otherCaptures();
      const events = others.slice(0, 3).map((jpeg) => faceEvent(FACE_CAMERAS[0], jpeg));
      await publishFaces(hub.mqttUrl, hub.topicRoot, events);
      await waitUntil(
        async () =>
          (
            await database.query(`SELECT 1 FROM face_captures WHERE event_id = ANY($1::text[])`, [
              events.map((e) => e.eventId),
            ])
          ).rows.length === 3,
        30_000,
        'three stored captures',
      );

      // A claim whose lease lapses, then a second claim of the same captures.
      const first = await captures.claim(10, 1);
      expect(first.map((capture) => capture.attempts)).toEqual([1, 1, 1]);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      const second = await captures.claim(10, 60);
      expect(second.map((capture) => capture.eventId).sort()).toEqual(first.map((capture) => capture.eventId).sort());
      expect(await captures.claim(10, 60)).toEqual([]);
      // The first claim can neither give them back nor mark them; the second can, once.
      await captures.release(first);
      expect(await captures.claim(10, 60)).toEqual([]);
      const result = (capture: (typeof first)[number]) => ({
        eventId: capture.eventId,
        shotTime: capture.shotTime,
        attempts: capture.attempts,
        outcome: 'unmatched' as const,
        descriptor: null,
        quality: null,
        thumbnailJpeg: null,
        matched: false,
        bestPersonId: null,
        bestSimilarity: null,
      });
      expect((await captures.complete(first.map(result))).size).toBe(0);
      expect((await captures.complete(second.map(result))).size).toBe(3);
      expect((await captures.complete(second.map(result))).size).toBe(0);
      const outcomes = await database.query<{ outcome: string | null; attempts: number }>(
        `SELECT outcome, attempts FROM face_captures WHERE event_id = ANY($1::text[])`,
        [events.map((e) => e.eventId)],
      );
      expect(outcomes.rows).toEqual(events.map(() => ({ outcome: 'unmatched', attempts: 2 })));

      // Twenty hits of one person at one camera recorded at once, out of shot order: one key.
      const base = Date.now();
      const hits = Array.from({ length: 20 }, (_, index) => ({
        captureEventId: `hit-${index}`,
        shotTime: new Date(base + ((index * 7) % 20) * 1_000).toISOString(),
        deviceId: FACE_CAMERAS[0],
        personId: '1',
        photoId: '1',
        similarity: 0.99,
        rank: 1,
      }));
      const keys = await Promise.all(
        hits.map((hit) => captures.recordHit(hit, `face:1:${hit.deviceId}:${hit.captureEventId}`, 600_000)),
      );
      expect(new Set(keys.map((key) => key.dedupeKey)).size).toBe(1);
      expect(keys.every((key) => key.alertId === null)).toBe(true);
      // The same hit again keeps its key, and says once its alert is raised.
      await captures.setHitAlert('hit-3', '1', '42');
      expect(await captures.recordHit(hits[3], 'face:1:other', 600_000)).toEqual({
        dedupeKey: keys[0].dedupeKey,
        alertId: '42',
      });
      // At the other camera, or past the merge window, another key.
      const elsewhere = await captures.recordHit(
        { ...hits[0], captureEventId: 'hit-elsewhere', deviceId: FACE_CAMERAS[1] },
        'face:1:elsewhere',
        600_000,
      );
      const later = await captures.recordHit(
        { ...hits[0], captureEventId: 'hit-later', shotTime: new Date(base + 700_000).toISOString() },
        'face:1:later',
        600_000,
      );
      expect([elsewhere.dedupeKey, later.dedupeKey]).toEqual(['face:1:elsewhere', 'face:1:later']);
    } finally {
      await hub.stop();
      await prepared.cleanup();
    }
  });
});
