import { Type, type Static } from '@sinclair/typebox';
import { DeviceId, DeviceKindSchema, Timestamp, Version } from './common';

export const DeviceStatusPayload = Type.Object(
  {
    v: Version,
    deviceId: DeviceId,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    at: Timestamp,
    reason: Type.Optional(
      Type.Union([
        Type.Literal('startup'),
        Type.Literal('shutdown'),
        Type.Literal('last_will'),
        Type.Literal('reconnect'),
      ]),
    ),
    kind: Type.Optional(DeviceKindSchema),
    agentVersion: Type.Optional(Type.String({ maxLength: 32 })),
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
  },
  { additionalProperties: false, $id: 'DeviceStatus', description: 'retained; the last will publishes state offline' },
);
export type DeviceStatusPayload = Static<typeof DeviceStatusPayload>;

export const HeartbeatPayload = Type.Object(
  {
    v: Version,
    deviceId: DeviceId,
    at: Timestamp,
    seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
    uptimeS: Type.Integer({ minimum: 0, maximum: 10 * 365 * 86400 }),
    intervalS: Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds until the next heartbeat' }),
    health: Type.Object(
      {
        cpuPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
        memoryPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
        temperatureC: Type.Optional(Type.Number({ minimum: -60, maximum: 150 })),
        fps: Type.Optional(Type.Number({ minimum: 0, maximum: 240 })),
        storageFreeMb: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
        spoolDepth: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9 })),
        videoLoss: Type.Optional(Type.Boolean()),
        tamper: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: 'Heartbeat' },
);
export type HeartbeatPayload = Static<typeof HeartbeatPayload>;
