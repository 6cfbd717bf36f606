/**
 * Valid example messages of every kind, for tests and benchmarks (not exported from the package index).
 * Each call returns a fresh object, so a test may change it freely.
 */
import type { MessageKind, MessagePayload } from '../codec';
import { makeDeviceId } from '../device-id';

/** The clock the examples are valid against: a few seconds after their timestamps. */
export const EXAMPLE_NOW = Date.parse('2026-11-27T00:15:35Z');

export const EXAMPLE_DEVICES = {
  checkpoint: makeDeviceId({ kind: 'checkpoint', serial: 1 }),
  camera: makeDeviceId({ kind: 'hd_camera', serial: 1 }),
  face: makeDeviceId({ kind: 'face_checkpoint', serial: 1 }),
} as const;

/** A JPEG's start and end markers: the smallest base64 that passes the schema and looks like a JPEG. */
export const TINY_JPEG_BASE64 = Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString('base64');

type Examples = { [K in MessageKind]: () => MessagePayload<K> };

export const MESSAGE_EXAMPLES: Examples = {
  status: () => ({
    v: 1,
    deviceId: EXAMPLE_DEVICES.checkpoint,
    state: 'online',
    at: '2026-11-27T08:15:00+08:00',
    reason: 'startup',
    kind: 'checkpoint',
    agentVersion: '0.1.0',
    heartbeatIntervalS: 30,
  }),
  heartbeat: () => ({
    v: 1,
    deviceId: EXAMPLE_DEVICES.checkpoint,
    at: '2026-11-27T00:15:30Z',
    seq: 17,
    uptimeS: 510,
    intervalS: 30,
    health: { cpuPercent: 23.5, memoryPercent: 41, temperatureC: 38.5, fps: 25, spoolDepth: 0, videoLoss: false },
  }),
  passage: () => ({
    v: 1,
    eventId: '0b9d6c1e-8a55-4d2b-9a8f-1f2e3d4c5b6a',
    deviceId: EXAMPLE_DEVICES.checkpoint,
    tollgateId: 'TG-PF-001',
    laneNo: 2,
    direction: 'NE',
    passTime: '2026-11-27T08:15:30.120+08:00',
    plateNo: '黑A12345',
    plateColor: 'blue',
    plateConfidence: 0.97,
    charConfidences: [0.99, 0.98, 0.97, 0.99, 0.96, 0.98, 0.99],
    vehicleClass: 'car',
    vehicleColor: 'white',
    speedKmh: 42.5,
    images: [
      { kind: 'scene', ref: 'scenes/2026/11/27/0b9d6c1e.jpg' },
      { kind: 'plate', jpegBase64: TINY_JPEG_BASE64 },
    ],
  }),
  face: () => ({
    v: 1,
    eventId: 'f-230108-000001-000042',
    deviceId: EXAMPLE_DEVICES.face,
    shotTime: '2026-11-27T00:15:29.500Z',
    box: { x: 812, y: 240, w: 96, h: 120 },
    detectorScore: 0.93,
    faceJpegBase64: TINY_JPEG_BASE64,
    sceneRef: 'https://hub.example/scenes/f-230108-000001-000042.jpg',
  }),
  incident: () => ({
    v: 1,
    eventId: 'inc-20261127-0001',
    deviceId: EXAMPLE_DEVICES.camera,
    at: '2026-11-27T00:15:00Z',
    kind: 'illegal_parking',
    confidence: 0.81,
    description: 'van parked on the pavement outside the school gate',
    region: { x: 100, y: 200, w: 300, h: 180 },
    imageRef: 'incidents/2026/11/27/inc-20261127-0001.jpg',
  }),
  command: () => ({
    v: 1,
    requestId: 'req-0001',
    issuedAt: '2026-11-27T00:15:30Z',
    expiresAt: '2026-11-27T00:16:30Z',
    params: { message: '请勿在此停车', repeat: 2 },
  }),
  'command-reply': () => ({
    v: 1,
    requestId: 'req-0001',
    deviceId: EXAMPLE_DEVICES.camera,
    at: '2026-11-27T00:15:32Z',
    ok: true,
    result: { message: 'played twice' },
  }),
};
