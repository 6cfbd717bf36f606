import { Type, type Static } from '@sinclair/typebox';
import { DeviceId, DeviceKindSchema, withDescription } from '../payloads/common';
import { DIRECTIONS } from '../payloads/event-payloads';

/** REST bodies for registering the estate; installers and the simulator use them, the hub validates them. */

export const GeoPoint = {
  lat: Type.Number({ minimum: -90, maximum: 90, description: 'latitude, degrees' }),
  lon: Type.Number({ minimum: -180, maximum: 180, description: 'longitude, degrees' }),
};

export const DeviceRegistration = Type.Object(
  {
    id: withDescription(DeviceId, 'the device id it publishes under'),
    name: Type.String({ minLength: 1, maxLength: 100, description: 'display name' }),
    kind: DeviceKindSchema,
    ...GeoPoint,
    place: Type.String({ maxLength: 200, description: 'street address or landmark' }),
    area: Type.String({ maxLength: 100, description: 'street office or community responsible for the place' }),
    tollgateId: Type.Optional(
      Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'the tollgate a checkpoint camera belongs to' }),
    ),
    laneNo: Type.Optional(Type.Integer({ minimum: 1, maximum: 99, description: 'the lane it watches' })),
    hasLoudspeaker: Type.Optional(Type.Boolean({ description: 'whether the loudspeaker command applies' })),
    heartbeatIntervalS: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 3600, description: 'expected seconds between heartbeats' }),
    ),
    secret: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 128,
        pattern: '^[\\x21-\\x7e]+$',
        description:
          'broker password provisioned on the device (username = device id); left out, the hub makes one for a device that has none and returns it once',
      }),
    ),
  },
  { additionalProperties: false, $id: 'DeviceRegistration' },
);
export type DeviceRegistration = Static<typeof DeviceRegistration>;

export const LaneRegistration = Type.Object(
  {
    laneNo: Type.Integer({ minimum: 1, maximum: 99, description: 'lane number, as passages carry it' }),
    direction: Type.Union(
      DIRECTIONS.map((d) => Type.Literal(d)),
      { description: 'direction of travel in the lane' },
    ),
    speedLimitKmh: Type.Integer({ minimum: 5, maximum: 200, description: 'speed limit, km/h' }),
    deviceId: Type.Optional(withDescription(DeviceId, 'the checkpoint camera on this lane')),
  },
  { additionalProperties: false },
);
export type LaneRegistration = Static<typeof LaneRegistration>;

export const TollgateRegistration = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'tollgate id, as passages carry it' }),
    name: Type.String({ minLength: 1, maxLength: 100, description: 'display name' }),
    ...GeoPoint,
    place: Type.String({ maxLength: 200, description: 'street address or landmark' }),
    lanes: Type.Array(LaneRegistration, { minItems: 1, maxItems: 16, description: 'its lanes' }),
  },
  { additionalProperties: false, $id: 'TollgateRegistration' },
);
export type TollgateRegistration = Static<typeof TollgateRegistration>;

/** Body of POST /api/registry/import: the estate in one call (tollgates first, then devices). */
export const RegistryImport = Type.Object(
  {
    tollgates: Type.Array(TollgateRegistration, { maxItems: 1000, description: 'checkpoint sites' }),
    devices: Type.Array(DeviceRegistration, { maxItems: 100_000, description: 'every device' }),
  },
  { additionalProperties: false, $id: 'RegistryImport' },
);
export type RegistryImport = Static<typeof RegistryImport>;

export interface RegistryImportResult {
  tollgates: number;
  devices: number;
  /** Broker secrets the hub made for devices that had none (username = device id), shown this once. */
  credentials?: { deviceId: string; secret: string }[];
}
