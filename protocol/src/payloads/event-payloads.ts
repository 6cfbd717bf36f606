import { Type, type Static } from '@sinclair/typebox';
import { BoundingBox, DeviceId, EventId, ImageRef, Probability, Timestamp, Version, base64Of } from './common';

/** Chinese civil plates: province, issuing-office letter, 5 (6 for new-energy) characters; I and O are never used. */
export const PLATE_PATTERN =
  '^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳领使]$';
/** What a checkpoint reports when it saw a vehicle without a readable plate. */
export const UNREADABLE_PLATES = ['无牌', '未识别'] as const;

export const PLATE_COLORS = ['blue', 'yellow', 'green', 'yellow_green', 'white', 'black', 'other'] as const;
export const VEHICLE_CLASSES = ['car', 'suv', 'mpv', 'van', 'bus', 'truck', 'motorcycle', 'tricycle', 'other'] as const;
export const VEHICLE_COLORS = [
  'white',
  'black',
  'silver',
  'grey',
  'red',
  'blue',
  'yellow',
  'green',
  'brown',
  'other',
] as const;
export const DIRECTIONS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;
export const INCIDENT_KINDS = [
  'illegal_parking',
  'street_vending',
  'garbage_overflow',
  'crowding',
  'road_damage',
  'fire_smoke',
  'video_loss',
  'tamper',
  'other',
] as const;

/** Inline image limits (decoded bytes). Larger images travel by reference. */
export const INLINE_LIMITS = {
  plateImageBytes: 32 * 1024,
  faceImageBytes: 256 * 1024,
  incidentImageBytes: 128 * 1024,
} as const;

const literals = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const PassageImage = Type.Object(
  {
    kind: Type.Union([Type.Literal('scene'), Type.Literal('plate'), Type.Literal('vehicle')]),
    ref: Type.Optional(ImageRef),
    jpegBase64: Type.Optional(base64Of(INLINE_LIMITS.plateImageBytes, 'inline JPEG, plate crops only')),
  },
  { additionalProperties: false, description: 'exactly one of ref or jpegBase64' },
);

export const PassageEventPayload = Type.Object(
  {
    v: Version,
    eventId: EventId,
    deviceId: DeviceId,
    tollgateId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'checkpoint site id' }),
    laneNo: Type.Integer({ minimum: 1, maximum: 99 }),
    direction: literals(DIRECTIONS),
    passTime: Timestamp,
    plateNo: Type.Union([Type.String({ pattern: PLATE_PATTERN }), literals(UNREADABLE_PLATES)]),
    plateColor: literals(PLATE_COLORS),
    plateConfidence: Probability,
    charConfidences: Type.Optional(Type.Array(Probability, { maxItems: 10 })),
    vehicleClass: literals(VEHICLE_CLASSES),
    vehicleColor: Type.Optional(literals(VEHICLE_COLORS)),
    speedKmh: Type.Number({ minimum: 0, maximum: 300 }),
    images: Type.Optional(Type.Array(PassageImage, { maxItems: 4 })),
  },
  { additionalProperties: false, $id: 'PassageEvent', description: 'a vehicle read by an ANPR lane (GA/T 1400 MotorVehicle)' },
);
export type PassageEventPayload = Static<typeof PassageEventPayload>;

export const FaceEventPayload = Type.Object(
  {
    v: Version,
    eventId: EventId,
    deviceId: DeviceId,
    shotTime: Timestamp,
    box: BoundingBox,
    detectorScore: Type.Optional(Probability),
    faceJpegBase64: base64Of(INLINE_LIMITS.faceImageBytes, 'the face crop as JPEG, inline'),
    sceneRef: Type.Optional(ImageRef),
  },
  { additionalProperties: false, $id: 'FaceEvent', description: 'a face captured by a face checkpoint (GA/T 1400 Face)' },
);
export type FaceEventPayload = Static<typeof FaceEventPayload>;

export const IncidentEventPayload = Type.Object(
  {
    v: Version,
    eventId: EventId,
    deviceId: DeviceId,
    at: Timestamp,
    kind: literals(INCIDENT_KINDS),
    confidence: Probability,
    description: Type.Optional(Type.String({ maxLength: 500 })),
    region: Type.Optional(BoundingBox),
    imageRef: Type.Optional(ImageRef),
    imageJpegBase64: Type.Optional(base64Of(INLINE_LIMITS.incidentImageBytes, 'inline JPEG of the scene')),
  },
  { additionalProperties: false, $id: 'IncidentEvent', description: 'an urban-management or device incident seen by a camera' },
);
export type IncidentEventPayload = Static<typeof IncidentEventPayload>;
