import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeviceId, TopicScheme } from '@citywatch/protocol';
import { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { ImageStore } from '../../edge-agent/src/images/image-store';
import { FolderWatchSource, MAX_ATTEMPTS } from '../../edge-agent/src/sources/folder-watch-source';
import { HttpAlarmSource, NOTIFICATION_PATH } from '../../edge-agent/src/sources/http-alarm-source';
import { EventCollector } from '../../edge-agent/test-support/event-collector';
import { ProjectMosquitto } from '../support/mosquitto';

const checkpoint = makeDeviceId({ kind: 'checkpoint', serial: 901 });
const faceCamera = makeDeviceId({ kind: 'face_checkpoint', serial: 902 });
const streetCamera = makeDeviceId({ kind: 'hd_camera', serial: 903 });

describe('folder watch and HTTP receiver', () => {
  const topics = new TopicScheme(`src-${Date.now().toString(36)}/v1`);
  let broker: ProjectMosquitto;
  let collector: EventCollector;
  let agent: EdgeAgent;
  let folder: FolderWatchSource;
  let http: HttpAlarmSource;
  /** A folder watch whose image store cannot be written (its root is a file): every stored picture fails. */
  let brokenFolder: FolderWatchSource;
  let dataDir: string;
  let uploads: string;
  let jpeg: Buffer;

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
    collector = new EventCollector(broker.url, topics);
    await collector.start();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-sources-'));
    uploads = join(dataDir, 'ftp');
    jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#884422' } })
      .jpeg()
      .toBuffer();
    const images = new ImageStore(join(dataDir, 'images'));
    folder = new FolderWatchSource({
      path: uploads,
      pollMs: 100,
      settleMs: 200,
      images,
      lanes: (id) => (id === checkpoint ? { tollgateId: '230108TG0001', laneNo: 2, direction: 'E' } : undefined),
    });
    http = new HttpAlarmSource({ port: 0, host: '127.0.0.1', token: 'secret-token', images });
    writeFileSync(join(dataDir, 'not-a-folder'), 'a file where the image store should be');
    brokenFolder = new FolderWatchSource({
      path: join(dataDir, 'ftp-broken'),
      deviceId: checkpoint,
      pollMs: 100,
      settleMs: 200,
      images: new ImageStore(join(dataDir, 'not-a-folder')),
      lanes: () => ({ tollgateId: '230108TG0001', laneNo: 3, direction: 'W' }),
    });
    agent = new EdgeAgent({
      devices: [
        { id: checkpoint, kind: 'checkpoint' },
        { id: faceCamera, kind: 'face_checkpoint' },
        { id: streetCamera, kind: 'hd_camera' },
      ],
      broker: { url: broker.url },
      topicRoot: topics.root,
      dataDir,
      sources: [folder, http, brokenFolder],
    });
    await agent.start();
    await agent.waitAllOnline();
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function drop(deviceId: string, name: string, sidecar: unknown, image?: Buffer): void {
    const dir = join(uploads, deviceId);
    mkdirSync(dir, { recursive: true });
    if (image) writeFileSync(join(dir, `${name}.jpg`), image);
    writeFileSync(join(dir, `${name}.json`), typeof sidecar === 'string' ? sidecar : JSON.stringify(sidecar));
    const past = new Date(Date.now() - 5000);
    if (image) utimesSync(join(dir, `${name}.jpg`), past, past);
    utimesSync(join(dir, `${name}.json`), past, past);
  }

  it('turns FTP uploads into protocol events and rejects bad ones with reasons', async () => {
    const time = new Date().toISOString();
    drop(
      checkpoint,
      'pass-001',
      {
        type: 'passage',
        time,
        plateNo: '黑A12345',
        plateColor: 'blue',
        plateConfidence: 0.97,
        vehicleClass: 'car',
        speedKmh: 48,
      },
      jpeg,
    );
    drop(faceCamera, 'face-001', { type: 'face', time, box: { x: 10, y: 10, w: 40, h: 50 } }, jpeg);
    drop(
      checkpoint,
      'pass-bad',
      { type: 'passage', time, plateNo: 'HELLO', plateColor: 'blue', plateConfidence: 0.9, speedKmh: 40 },
      jpeg,
    );
    drop(faceCamera, 'face-bad', '{"type": "face", "time": ', jpeg);
    drop(faceCamera, 'face-noimage', { type: 'face', time, box: { x: 1, y: 1, w: 2, h: 2 } });

    await collector.waitFor(() => collector.events.length >= 2, 10_000, 'two folder events');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const passage = collector.byDevice(checkpoint)[0].payload;
    expect(passage).toMatchObject({ tollgateId: '230108TG0001', laneNo: 2, direction: 'E', plateNo: '黑A12345' });
    expect((passage.images as { ref: string }[])[0].ref).toMatch(/^file:\/\//);
    expect(collector.byDevice(faceCamera)[0].payload.faceJpegBase64).toBe(jpeg.toString('base64'));
    expect(collector.events).toHaveLength(2);
    expect(existsSync(join(uploads, checkpoint, 'pass-001.json'))).toBe(false);

    const reason = (deviceId: string, name: string) =>
      JSON.parse(readFileSync(join(uploads, deviceId, 'rejected', `${name}.reason.json`), 'utf8')) as {
        reason: string;
        errors: string[];
      };
    expect(reason(checkpoint, 'pass-bad')).toMatchObject({ reason: 'schema' });
    expect(reason(checkpoint, 'pass-bad').errors.join(' ')).toMatch(/plateNo/);
    expect(reason(faceCamera, 'face-bad').reason).toBe('invalid_json');
    expect(reason(faceCamera, 'face-noimage').reason).toBe('bad_input');
    expect(readdirSync(join(uploads, checkpoint, 'rejected')).sort()).toEqual([
      'pass-bad.jpg',
      'pass-bad.json',
      'pass-bad.reason.json',
    ]);
  });

  async function post(
    body: unknown,
    token = 'secret-token',
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`http://127.0.0.1:${http.port}${NOTIFICATION_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('accepts pushed alarms as events and refuses bad ones with reasons', async () => {
    const before = collector.events.length;
    const time = new Date().toISOString();
    const ok = await post({
      deviceId: streetCamera,
      type: 'incident',
      eventId: 'cam-alarm-0001',
      time,
      incidentKind: 'street_vending',
      confidence: 0.8,
      imageBase64: jpeg.toString('base64'),
    });
    expect(ok).toMatchObject({ status: 202, body: { eventId: 'cam-alarm-0001', kind: 'incident' } });
    // The same alarm pushed twice is the same event: the hub stores it once.
    expect(
      (
        await post({
          deviceId: streetCamera,
          type: 'incident',
          eventId: 'cam-alarm-0001',
          time,
          incidentKind: 'street_vending',
          confidence: 0.8,
        })
      ).status,
    ).toBe(202);

    expect(await post({ deviceId: streetCamera, type: 'incident', time, incidentKind: 'alien_landing' })).toMatchObject(
      { status: 400, body: { reason: 'schema' } },
    );
    expect(
      await post({
        deviceId: makeDeviceId({ kind: 'hd_camera', serial: 999 }),
        type: 'incident',
        time,
        incidentKind: 'crowding',
      }),
    ).toMatchObject({ status: 404, body: { reason: 'unknown_device' } });
    expect(await post('{oops')).toMatchObject({ status: 400, body: { reason: 'invalid_json' } });
    expect(
      await post({ deviceId: streetCamera, type: 'incident', time: '2020-01-01T00:00:00Z', incidentKind: 'crowding' }),
    ).toMatchObject({ status: 400, body: { reason: 'time_window' } });
    const unknownField = await post({
      deviceId: streetCamera,
      type: 'incident',
      time,
      incidentKind: 'crowding',
      colour: 'red',
    });
    expect(unknownField).toMatchObject({
      status: 400,
      body: { reason: 'bad_input', errors: ['/colour: unknown field'] },
    });
    expect(
      (await post({ deviceId: streetCamera, type: 'incident', time, incidentKind: 'crowding' }, 'wrong')).status,
    ).toBe(401);

    await collector.waitFor(() => collector.events.length >= before + 1, 10_000, 'the pushed alarm');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pushed = collector.byDevice(streetCamera);
    expect(pushed).toHaveLength(1);
    expect(pushed[0].payload).toMatchObject({
      eventId: 'cam-alarm-0001',
      kind: 'street_vending',
      imageJpegBase64: jpeg.toString('base64'),
    });
    expect(collector.duplicates).toBe(1);
  });

  const passageSidecar = (extra: Record<string, unknown> = {}) => ({
    type: 'passage',
    time: new Date().toISOString(),
    plateNo: '黑A12345',
    plateColor: 'blue',
    plateConfidence: 0.97,
    vehicleClass: 'car',
    speedKmh: 48,
    ...extra,
  });

  it('takes every event id the protocol accepts, and checks an upload before it stores its picture', async () => {
    const pictures = join(dataDir, 'images', checkpoint);
    // The refused upload is the older one: it must not hold back the one after it.
    drop(checkpoint, 'a-short-id', passageSidecar({ eventId: 'short' }), jpeg);
    drop(checkpoint, 'b-colon-id', passageSidecar({ eventId: 'cam:42:000183' }), jpeg);

    await collector.waitFor(() => collector.seen.has('cam:42:000183'), 10_000, 'the upload with a colon in its id');
    const event = collector.events.find((e) => e.eventId === 'cam:42:000183')!;
    const stored = join(pictures, 'cam~42~000183.jpg');
    expect((event.payload.images as { ref: string }[])[0].ref).toBe(`file://${stored}`);
    expect(readFileSync(stored).equals(jpeg)).toBe(true);
    expect(existsSync(join(uploads, checkpoint, 'b-colon-id.json'))).toBe(false);

    const reason = JSON.parse(
      readFileSync(join(uploads, checkpoint, 'rejected', 'a-short-id.reason.json'), 'utf8'),
    ) as { reason: string; errors: string[] };
    expect(reason.reason).toBe('schema');
    expect(reason.errors.join(' ')).toMatch(/eventId/);
    // "short.jpg" would be a fine file name: the picture of a refused event is never stored.
    expect(existsSync(join(pictures, 'short.jpg'))).toBe(false);
    expect(existsSync(join(uploads, checkpoint, 'rejected', 'a-short-id.jpg'))).toBe(true);

    // The HTTP receiver: the same colon id is taken and its picture served; a refused one is a 400 with reasons.
    const pushed = await post({
      ...passageSidecar({ eventId: 'cam:42:000184', imageBase64: jpeg.toString('base64') }),
      deviceId: checkpoint,
      tollgateId: '230108TG0001',
      laneNo: 1,
      direction: 'N',
    });
    expect(pushed).toMatchObject({ status: 202, body: { eventId: 'cam:42:000184', kind: 'passage' } });
    const picture = await fetch(`http://127.0.0.1:${http.port}/images/${checkpoint}/cam~42~000184.jpg`, {
      headers: { authorization: 'Bearer secret-token' },
    });
    expect(picture.status).toBe(200);
    expect(Buffer.from(await picture.arrayBuffer()).equals(jpeg)).toBe(true);
    for (const eventId of ['short', 'cam/42/000185', 'cam 42 000186']) {
      const refused = await post({
        ...passageSidecar({ eventId, imageBase64: jpeg.toString('base64') }),
        deviceId: checkpoint,
        tollgateId: '230108TG0001',
        laneNo: 1,
        direction: 'N',
      });
      expect(refused.status, eventId).toBe(400);
      expect(refused.body.reason, eventId).toBe('schema');
      expect((refused.body.errors as string[]).join(' '), eventId).toMatch(/eventId/);
    }
    expect(existsSync(join(pictures, 'short.jpg'))).toBe(false);
    await collector.waitFor(() => collector.seen.has('cam:42:000184'), 10_000, 'the pushed passage');
  });

  it('moves an upload that keeps failing aside and goes on with the later ones', async () => {
    const folderPath = join(dataDir, 'ftp-broken');
    const put = (name: string, sidecar: unknown, image: Buffer | undefined, ageMs: number) => {
      const past = new Date(Date.now() - ageMs);
      if (image) {
        writeFileSync(join(folderPath, `${name}.jpg`), image);
        utimesSync(join(folderPath, `${name}.jpg`), past, past);
      }
      writeFileSync(join(folderPath, `${name}.json`), JSON.stringify(sidecar));
      utimesSync(join(folderPath, `${name}.json`), past, past);
    };
    // The older upload's picture cannot be stored (not its fault, so it is tried again); the newer has none.
    put('first', passageSidecar({ eventId: 'broken-store-0001' }), jpeg, 6000);
    put('second', passageSidecar({ eventId: 'broken-store-0002' }), undefined, 5000);

    await collector.waitFor(() => collector.seen.has('broken-store-0002'), 10_000, 'the upload after the failing one');
    const reasonFile = join(folderPath, 'rejected', 'first.reason.json');
    await collector.waitFor(() => existsSync(reasonFile), 10_000, 'the failing upload moved aside');
    const reason = JSON.parse(readFileSync(reasonFile, 'utf8')) as { reason: string; message: string };
    expect(reason.reason).toBe('error');
    expect(reason.message).toMatch(new RegExp(`failed ${MAX_ATTEMPTS} times`));
    expect(readdirSync(folderPath).filter((name) => name !== 'rejected')).toEqual([]);
    expect(readdirSync(join(folderPath, 'rejected')).sort()).toEqual(['first.jpg', 'first.json', 'first.reason.json']);
    expect(collector.seen.has('broken-store-0001')).toBe(false);
  });
});

describe("sources when the spool is full, and the HTTP receiver's limits", () => {
  const topics = new TopicScheme(`full-${Date.now().toString(36)}/v1`);
  let broker: ProjectMosquitto;
  let agent: EdgeAgent;
  let folder: FolderWatchSource;
  let http: HttpAlarmSource;
  let dataDir: string;

  beforeAll(async () => {
    // The broker is down from the start, so nothing leaves the spool until the test starts it.
    broker = await ProjectMosquitto.start();
    await broker.stop();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-full-'));
    const images = new ImageStore(join(dataDir, 'images'));
    folder = new FolderWatchSource({
      path: join(dataDir, 'ftp'),
      deviceId: checkpoint,
      pollMs: 100,
      settleMs: 100,
      images,
      lanes: () => ({ tollgateId: '230108TG0001', laneNo: 1, direction: 'E' }),
    });
    http = new HttpAlarmSource({ port: 0, host: '127.0.0.1', maxBodyBytes: 2048, images });
    agent = new EdgeAgent({
      devices: [
        { id: checkpoint, kind: 'checkpoint' },
        { id: streetCamera, kind: 'hd_camera' },
      ],
      broker: { url: broker.url, reconnectPeriodMs: 200 },
      topicRoot: topics.root,
      dataDir,
      spool: { maxBytes: 4096 },
      sources: [folder, http],
    });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const push = (body: string, contentType = 'application/json') =>
    fetch(`http://127.0.0.1:${http.port}${NOTIFICATION_PATH}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
  const alarm = (n: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      deviceId: streetCamera,
      type: 'incident',
      eventId: `full-alarm-${String(n).padStart(4, '0')}`,
      time: new Date().toISOString(),
      incidentKind: 'crowding',
      confidence: 0.7,
      ...extra,
    });

  it('answers 415 to a body that is not JSON and 413 to one over maxBodyBytes', async () => {
    const wrongType = await push(alarm(0), 'text/plain');
    expect(wrongType.status).toBe(415);
    expect(await wrongType.json()).toMatchObject({ reason: 'bad_input' });
    const tooBig = await push(alarm(0, { description: 'x'.repeat(2100) }));
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ reason: 'oversize' });
    expect(agent.spool.depth()).toBe(0);
  });

  it('answers 503 with Retry-After while the spool is full of alerts, the folder watch leaves its upload and takes it once there is room', async () => {
    let refused: Response | undefined;
    let accepted = 0;
    for (let n = 1; n <= 100 && !refused; n += 1) {
      const response = await push(alarm(n));
      if (response.status === 202) accepted += 1;
      else refused = response;
    }
    expect(accepted).toBeGreaterThan(3);
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('5');
    expect(await refused?.json()).toMatchObject({ reason: 'spool_full' });
    expect(agent.spool.depth()).toBe(accepted);

    const uploads = join(dataDir, 'ftp');
    const sidecar = join(uploads, 'lane-001.json');
    writeFileSync(
      sidecar,
      JSON.stringify({
        type: 'passage',
        eventId: 'full-pass-0001',
        time: new Date().toISOString(),
        plateNo: '黑A54321',
        plateColor: 'blue',
        plateConfidence: 0.95,
        vehicleClass: 'car',
        speedKmh: 41,
      }),
    );
    const past = new Date(Date.now() - 1000);
    utimesSync(sidecar, past, past);
    // Several polls while full: the upload stays where it is, neither taken nor refused.
    const refusedBefore = agent.spool.stats().refused;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(existsSync(sidecar)).toBe(true);
    expect(existsSync(join(uploads, 'rejected'))).toBe(false);
    expect(folder.counters).toEqual({ accepted: 0, rejected: 0 });
    expect(agent.spool.stats().refused).toBeGreaterThan(refusedBefore + 1);

    // The broker comes back, the alerts drain, and the waiting upload is taken.
    await broker.start();
    const deadline = Date.now() + 20_000;
    while (existsSync(sidecar) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(existsSync(sidecar)).toBe(false);
    expect(folder.counters).toEqual({ accepted: 1, rejected: 0 });
    expect((await push(alarm(999))).status).toBe(202);
  });
});
