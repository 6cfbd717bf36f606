import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  AlertRecord,
  FacePipelineStatus,
  FaceSearchResult,
  FaceUploadError,
  WatchlistPerson,
} from '@citywatch/protocol';
import { readDemoPhoto } from '../../server/src/faces/testing/demo-photos';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { adminHeaders, registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import {
  FACE_CAMERAS,
  enrolmentPhoto,
  faceCameraRegistrations,
  faceEvent,
  otherCaptures,
  photoForm,
  publishFaces,
  targetCaptures,
  waitProcessed,
} from './faces-support';

const PERSON = {
  name: 'Zhang Wei',
  idNumber: '230108199001011234',
  category: 'wanted',
  priority: '1',
  reason: 'case 2026-0815',
};

describe.each(BACKENDS)('face watchlist on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let database: Database;
  let headers: Record<string, string>;
  let person: WatchlistPerson;
  const targetEventIds: string[] = [];

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${hub.httpUrl}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
  const upload = async (photos: Buffer[], fields: Record<string, string> = PERSON, type?: string) => {
    const response = await api('/api/faces/watchlist/people', {
      method: 'POST',
      body: photoForm(photos, fields, type),
    });
    return { status: response.status, body: (await response.json()) as FaceUploadError & WatchlistPerson };
  };
  const faceAlerts = async () =>
    ((await (await api('/api/alerts?type=watchlist_face&limit=50')).json()) as AlertRecord[]).sort((a, b) =>
      a.id.localeCompare(b.id),
    );

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub({
      ...prepared.env,
      FACE_UPLOAD_MAX_BYTES: '1000000',
      FACE_SYNC_INTERVAL_MS: '200',
      FACE_ALERT_MERGE_MINUTES: '10',
    });
    database = hub.hub.app.get<Database>(DATABASE);
    headers = await adminHeaders(hub.httpUrl);
    await registerEstate(hub.httpUrl, { tollgates: [], devices: faceCameraRegistrations });
  });

  afterAll(async () => {
    await hub?.stop();
    await cleanup?.();
  });

  it('refuses every bad upload with its own error', async () => {
    const notImage = await upload([Buffer.from('this is not a picture, only some text that claims to be one')]);
    expect([notImage.status, notImage.body.code]).toEqual([415, 'not_an_image']);

    const tooLarge = await upload([Buffer.alloc(1_200_000, 7)]);
    expect([tooLarge.status, tooLarge.body.code]).toEqual([413, 'too_large']);

    const blank = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#8899aa' } })
      .jpeg()
      .toBuffer();
    const noFace = await upload([blank]);
    expect([noFace.status, noFace.body.code]).toEqual([422, 'no_face']);

    const group = await sharp(readDemoPhoto('sample1.jpg')).resize({ width: 1000 }).jpeg({ quality: 80 }).toBuffer();
    const several = await upload([group]);
    expect([several.status, several.body.code]).toEqual([422, 'several_faces']);

    const tiny = await sharp(readDemoPhoto('sample1.jpg')).resize({ width: 240 }).jpeg({ quality: 90 }).toBuffer();
    const tooSmall = await upload([tiny]);
    expect([tooSmall.status, tooSmall.body.code]).toEqual([422, 'face_too_small']);
    expect(tooSmall.body.quality?.faceSize).toBeLessThan(40);

    const blurred = await sharp(await enrolmentPhoto())
      .blur(6)
      .jpeg({ quality: 90 })
      .toBuffer();
    const tooBlurred = await upload([blurred]);
    expect([tooBlurred.status, tooBlurred.body.code]).toEqual([422, 'blurred']);

    const noPhoto = await upload([]);
    expect([noPhoto.status, noPhoto.body.code]).toEqual([400, 'no_photo']);

    const badField = await upload([await enrolmentPhoto()], { ...PERSON, category: 'suspicious' });
    expect(badField.status).toBe(400);
    expect(String(badField.body.message)).toContain('category');

    const unknownScope = await upload([await enrolmentPhoto()], { ...PERSON, deviceIds: '23010800001199990001' });
    expect(unknownScope.status).toBe(400);
    expect(String(unknownScope.body.message)).toContain('23010800001199990001 is not a registered device');

    const listed = (await (await api('/api/faces/watchlist/people')).json()) as { items: WatchlistPerson[] };
    expect(listed.items).toEqual([]);
  });

  it('enrols a person from one photo', async () => {
    const created = await upload([await enrolmentPhoto()]);
    expect(created.status).toBe(201);
    person = created.body;
    expect(person).toMatchObject({ name: PERSON.name, category: 'wanted', priority: 1, active: true, deviceIds: [] });
    expect(person.photos).toHaveLength(1);
    const thumbnail = await api(person.photos[0].thumbnailUrl);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).width).toBe(112);
  });

  it('recognises the same face in other crops over MQTT, raises one merged alert per device, and matches nobody else', async () => {
    // After the enrolment: a person is matched from its validity start, judged by the capture's shot time.
    const start = Date.now();
    const crops = await targetCaptures();
    const targets = Object.values(crops).map((jpeg, index) =>
      faceEvent(FACE_CAMERAS[0], jpeg, new Date(start + index * 100)),
    );
    const others = (await otherCaptures()).map((jpeg, index) =>
      faceEvent(FACE_CAMERAS[0], jpeg, new Date(start + 50 + index * 100)),
    );
    await publishFaces(hub.mqttUrl, hub.topicRoot, [...targets, ...others]);
    const outcomes = await waitProcessed(
      database,
      [...targets, ...others].map((event) => event.eventId),
    );
    targetEventIds.push(...targets.map((event) => event.eventId));
    expect(targets.map((event) => outcomes.get(event.eventId))).toEqual(targets.map(() => 'matched'));
    expect(others.map((event) => outcomes.get(event.eventId))).toEqual(others.map(() => 'unmatched'));

    let alerts = await faceAlerts();
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({ type: 'watchlist_face', severity: 'critical', deviceId: FACE_CAMERAS[0], count: 5 });
    expect(alert.evidence.watchlistPersonId).toBe(person.id);
    expect(alert.evidence.watchlistPersonName).toBe(PERSON.name);
    expect(alert.evidence.rank).toBe(1);
    expect(alert.evidence.similarity).toBeGreaterThanOrEqual(0.97);
    expect(alert.sourceEventIds).toContain(targets[0].eventId);
    const labels = alert.evidence.images!.map((image) => image.label);
    // The labels the console's alert detail captions: the capture beside the enrolled photo.
    expect(labels).toEqual(['capture', 'enrolled']);
    for (const image of alert.evidence.images!) {
      const response = await api(image.url);
      expect(response.status, image.url).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
    }
    // Matched captures are kept past the unmatched retention.
    const matched = await database.query<{ matched: boolean }>(
      'SELECT matched FROM face_captures WHERE event_id = ANY($1::text[])',
      [targetEventIds],
    );
    expect(matched.rows.every((row) => row.matched)).toBe(true);

    // The same person at the other checkpoint is another alert.
    const elsewhere = faceEvent(FACE_CAMERAS[1], crops.checkpoint, new Date(start + 1_000));
    await publishFaces(hub.mqttUrl, hub.topicRoot, [elsewhere]);
    await waitProcessed(database, [elsewhere.eventId]);
    targetEventIds.push(elsewhere.eventId);
    alerts = await faceAlerts();
    expect(alerts.map((a) => [a.deviceId, a.count])).toEqual([
      [FACE_CAMERAS[0], 5],
      [FACE_CAMERAS[1], 1],
    ]);
  });

  it('searches stored captures by face, ranked, within devices and a time window', async () => {
    const probe = (await targetCaptures()).shifted;
    const search = async (fields: Record<string, string>) => {
      const response = await api('/api/faces/search', { method: 'POST', body: photoForm([probe], fields) });
      expect(response.status).toBe(200);
      return (await response.json()) as FaceSearchResult;
    };
    // The captures above are stamped up to a second after they were published; the window reaches past now.
    const window = {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    };
    // The worker processes captures in the background: wait until all twelve are processed.
    await expect
      .poll(
        async () => {
          const status = (await (await api('/api/faces/status')).json()) as FacePipelineStatus;
          return status.pending === 0 && status.processed >= 12;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const all = await search({ ...window, limit: '10', minSimilarity: '0.9' });
    expect(all.searched).toBeGreaterThanOrEqual(12);
    const strong = all.hits.filter((hit) => hit.similarity >= 0.97);
    expect(new Set(strong.map((hit) => hit.eventId))).toEqual(new Set(targetEventIds));
    expect(all.hits.map((hit) => hit.rank)).toEqual(all.hits.map((_, index) => index + 1));
    expect(all.hits.map((hit) => hit.similarity)).toEqual(
      [...all.hits.map((hit) => hit.similarity)].sort((a, b) => b - a),
    );
    const thumbnail = await api(all.hits[0].thumbnailUrl);
    expect(thumbnail.status).toBe(200);

    const oneDevice = await search({ ...window, deviceIds: FACE_CAMERAS[1], minSimilarity: '0.97' });
    expect(oneDevice.hits.map((hit) => hit.deviceId)).toEqual([FACE_CAMERAS[1]]);
    const before = await search({
      from: new Date(Date.now() - 7_200_000).toISOString(),
      to: new Date(Date.now() - 3_600_000).toISOString(),
    });
    expect(before.hits).toEqual([]);

    const audit = await database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE action IN ('faces.search', 'watchlist.person.create') ORDER BY id`,
    );
    expect(audit.rows.map((row) => row.action)).toEqual([
      'watchlist.person.create',
      'faces.search',
      'faces.search',
      'faces.search',
    ]);
  });

  it('refuses a scope that names anything but registered face checkpoints', async () => {
    const patch = (deviceIds: string[]) =>
      api(`/api/faces/watchlist/people/${person.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deviceIds }),
      });
    const unknown = await patch([FACE_CAMERAS[0], '23010800001199990002']);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain(
      '23010800001199990002 is not a registered device',
    );
    const scoped = await patch([FACE_CAMERAS[0]]);
    expect(scoped.status).toBe(200);
    expect(((await scoped.json()) as WatchlistPerson).deviceIds).toEqual([FACE_CAMERAS[0]]);
    expect((await patch([])).status).toBe(200);

    const noIdNumber = await api(`/api/faces/watchlist/people/${person.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ idNumber: null }),
    });
    expect(noIdNumber.status).toBe(200);
    expect(((await noIdNumber.json()) as WatchlistPerson).idNumber).toBeNull();
  });

  it('stops matching a disabled person, and deletes one', async () => {
    const disabled = await api(`/api/faces/watchlist/people/${person.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: false }),
    });
    expect(disabled.status).toBe(200);
    expect(((await disabled.json()) as WatchlistPerson).active).toBe(false);
    const capture = faceEvent(FACE_CAMERAS[1], (await targetCaptures()).brightened);
    await publishFaces(hub.mqttUrl, hub.topicRoot, [capture]);
    expect((await waitProcessed(database, [capture.eventId])).get(capture.eventId)).toBe('unmatched');

    expect((await api(`/api/faces/watchlist/people/${person.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/faces/watchlist/people/${person.id}`)).status).toBe(404);
    expect((await api(person.photos[0].imageUrl)).status).toBe(404);
    const audit = await database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE action LIKE 'watchlist.%' ORDER BY id`,
    );
    expect(audit.rows.map((row) => row.action)).toEqual([
      'watchlist.person.create',
      // the edits that were accepted (the refused one is not an action)
      'watchlist.person.update',
      'watchlist.person.update',
      'watchlist.person.update',
      'watchlist.person.disable',
      'watchlist.person.delete',
    ]);
  });
});
