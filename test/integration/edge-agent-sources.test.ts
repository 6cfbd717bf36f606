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
import { FolderWatchSource } from '../../edge-agent/src/sources/folder-watch-source';
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
    agent = new EdgeAgent({
      devices: [
        { id: checkpoint, kind: 'checkpoint' },
        { id: faceCamera, kind: 'face_checkpoint' },
        { id: streetCamera, kind: 'hd_camera' },
      ],
      broker: { url: broker.url },
      topicRoot: topics.root,
      dataDir,
      sources: [folder, http],
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
});
