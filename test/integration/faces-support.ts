import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import sharp from 'sharp';
import {
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type DeviceRegistration,
  type FaceEventPayload,
} from '@citywatch/protocol';
import { readDemoPhoto } from '../../server/src/faces/testing/demo-photos';
import type { Database } from '../../server/src/platform/database/database';

/** Two face checkpoints at one place. */
export const FACE_CAMERAS = [1, 2].map((serial) => makeDeviceId({ kind: 'face_checkpoint', serial: 700 + serial }));

export const faceCameraRegistrations: DeviceRegistration[] = FACE_CAMERAS.map((id, index) => ({
  id,
  name: `Harbin East station face checkpoint ${index + 1}`,
  kind: 'face_checkpoint',
  lat: 45.7611,
  lon: 126.6985,
  place: 'Harbin East railway station',
  area: 'Pingfang street office',
}));

/**
 * The face the tests enrol: the third person of the face-api demo photo sample5.jpg (box read off the
 * picture, 1920-pixel original). Measured with the checkpoint pipeline: its augmentations below score
 * 0.986-0.999 against the enrolment photo, every other demo face at most 0.938.
 */
export const TARGET = { file: 'sample5.jpg', box: [1090, 220, 190, 230] as const };
/** Faces of other people in the demo photos (file, box), none of them the target. */
export const OTHERS: { file: string; box: readonly [number, number, number, number] }[] = [
  { file: 'sample1.jpg', box: [820, 430, 200, 230] },
  { file: 'sample2.jpg', box: [890, 270, 190, 210] },
  { file: 'sample3.jpg', box: [1500, 280, 200, 270] },
  { file: 'sample4.jpg', box: [1260, 150, 180, 250] },
  { file: 'sample5.jpg', box: [740, 110, 200, 220] },
  { file: 'sample6.jpg', box: [1150, 270, 230, 270] },
];

/** A region around a face box, grown by `grow` of the box each side and moved right by `shift` of its width. */
export async function cut(
  file: string,
  box: readonly [number, number, number, number],
  grow: number,
  shift = 0,
): Promise<sharp.Sharp> {
  const photo = readDemoPhoto(file);
  const { width = 0, height = 0 } = await sharp(photo).metadata();
  const [x, y, w, h] = box;
  const left = Math.max(0, Math.round(x - w * grow + w * shift));
  const top = Math.max(0, Math.round(y - h * grow));
  return sharp(photo).extract({
    left,
    top,
    width: Math.min(width - left, Math.round(w * (1 + 2 * grow))),
    height: Math.min(height - top, Math.round(h * (1 + 2 * grow))),
  });
}

/** The enrolment photo: the target's head and shoulders, 400 pixels wide. */
export async function enrolmentPhoto(): Promise<Buffer> {
  return (await cut(TARGET.file, TARGET.box, 0.5)).resize({ width: 400 }).jpeg({ quality: 90 }).toBuffer();
}

/** Other crops of the target, as a face checkpoint could send them: scaled, shifted, brightened, re-compressed. */
export async function targetCaptures(): Promise<Record<string, Buffer>> {
  const { file, box } = TARGET;
  return {
    checkpoint: await (await cut(file, box, 0.3)).resize({ width: 160 }).jpeg({ quality: 82 }).toBuffer(),
    scaled: await (await cut(file, box, 0.5)).resize({ width: 240 }).jpeg({ quality: 85 }).toBuffer(),
    shifted: await (await cut(file, box, 0.4, 0.12)).resize({ width: 200 }).jpeg({ quality: 85 }).toBuffer(),
    brightened: await (
      await cut(file, box, 0.4)
    )
      .resize({ width: 200 })
      .modulate({ brightness: 1.3 })
      .jpeg({ quality: 85 })
      .toBuffer(),
    recompressed: await (await cut(file, box, 0.4)).resize({ width: 200 }).jpeg({ quality: 30 }).toBuffer(),
  };
}

export async function otherCaptures(): Promise<Buffer[]> {
  return Promise.all(
    OTHERS.map(async ({ file, box }) =>
      (await cut(file, box, 0.3)).resize({ width: 160 }).jpeg({ quality: 82 }).toBuffer(),
    ),
  );
}

export function faceEvent(deviceId: string, jpeg: Buffer, shotTime = new Date()): FaceEventPayload {
  return {
    v: 1,
    eventId: randomUUID(),
    deviceId,
    shotTime: shotTime.toISOString(),
    box: { x: 0, y: 0, w: 100, h: 100 },
    detectorScore: 0.95,
    faceJpegBase64: jpeg.toString('base64'),
  };
}

/** Publishes face events over MQTT (QoS 1) as their devices would. */
export async function publishFaces(mqttUrl: string, topicRoot: string, events: FaceEventPayload[]): Promise<void> {
  const topics = new TopicScheme(topicRoot);
  const client = await mqtt.connectAsync(mqttUrl, {
    clientId: `faces-test-${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
  });
  try {
    for (const event of events) {
      await client.publishAsync(topics.event(event.deviceId, 'face'), encodeMessage('face', event), { qos: 1 });
    }
  } finally {
    await client.endAsync();
  }
}

/** Waits until these captures are stored and recognised. */
export async function waitProcessed(
  database: Database,
  eventIds: string[],
  timeoutMs = 60_000,
): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await database.query<{ event_id: string; outcome: string | null }>(
      `SELECT event_id, outcome FROM face_captures WHERE event_id = ANY($1::text[]) AND processed_at IS NOT NULL`,
      [eventIds],
    );
    if (result.rows.length === eventIds.length) return new Map(result.rows.map((row) => [row.event_id, row.outcome!]));
    if (Date.now() > deadline)
      throw new Error(`${result.rows.length} of ${eventIds.length} captures processed in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A multipart body with `photo` file parts and text fields. */
export function photoForm(photos: Buffer[], fields: Record<string, string> = {}, type = 'image/jpeg'): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  photos.forEach((photo, index) => form.append('photo', new Blob([photo], { type }), `photo-${index}.jpg`));
  return form;
}
