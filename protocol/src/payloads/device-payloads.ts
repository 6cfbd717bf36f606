import { Type, type Static } from '@sinclair/typebox';
import { DeviceId, DeviceKindSchema, Timestamp, Version, withDescription } from './common';

export const DeviceStatusPayload = Type.Object(
  {
    v: Version,
    deviceId: withDescription(DeviceId, 'the device; must equal the device id in the topic'),
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')], { description: 'the new state' }),
    at: withDescription(Timestamp, 'when the state changed (for a last will: when the agent connected)'),
    reason: Type.Optional(
      Type.Union(
        [Type.Literal('startup'), Type.Literal('shutdown'), Type.Literal('last_will'), Type.Literal('reconnect')],
        { description: 'why the state changed; the agent sets last_will in the will it registers at connect' },
      ),
    ),
    kind: Type.Optional(withDescription(DeviceKindSchema, 'kind of device, as the agent knows it')),
    agentVersion: Type.Optional(Type.String({ maxLength: 32, description: 'version of the edge agent software' })),
    heartbeatIntervalS: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds between the heartbeats the agent will send' }),
    ),
  },
  { additionalProperties: false, $id: 'DeviceStatus', description: 'retained; the last will publishes state offline' },
);
export type DeviceStatusPayload = Static<typeof DeviceStatusPayload>;

export const HeartbeatPayload = Type.Object(
  {
    v: Version,
    deviceId: withDescription(DeviceId, 'the device; must equal the device id in the topic'),
    at: withDescription(Timestamp, 'when the heartbeat was sent'),
    seq: Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'counter, +1 per heartbeat since the agent started; a drop means a restart',
    }),
    uptimeS: Type.Integer({ minimum: 0, maximum: 10 * 365 * 86400, description: 'seconds since the agent started' }),
    intervalS: Type.Integer({ minimum: 1, maximum: 3600, description: 'seconds until the next heartbeat' }),
    health: Type.Object(
      {
        cpuPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'CPU load, percent' })),
        memoryPercent: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'memory in use, percent' })),
        temperatureC: Type.Optional(
          Type.Number({ minimum: -60, maximum: 150, description: 'device temperature, degrees Celsius' }),
        ),
        fps: Type.Optional(Type.Number({ minimum: 0, maximum: 240, description: 'frames per second analysed' })),
        storageFreeMb: Type.Optional(Type.Integer({ minimum: 0, maximum: 1e9, description: 'free local storage, MB' })),
        spoolDepth: Type.Optional(
          Type.Integer({ minimum: 0, maximum: 1e9, description: 'events waiting in the edge spool to be sent' }),
        ),
        videoLoss: Type.Optional(Type.Boolean({ description: 'true while the video signal is lost' })),
        tamper: Type.Optional(Type.Boolean({ description: 'true while the camera is covered, moved or defocused' })),
      },
      { additionalProperties: false, description: 'health readings; every one optional' },
    ),
  },
  { additionalProperties: false, $id: 'Heartbeat' },
);
export type HeartbeatPayload = Static<typeof HeartbeatPayload>;
