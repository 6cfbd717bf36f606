import { Type, type Static, type TLiteral, type TUnion } from '@sinclair/typebox';
import {
  BoundingBox,
  DeviceId,
  EventId,
  ImageRef,
  Probability,
  Timestamp,
  Version,
  base64Of,
  withDescription,
} from './common';

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

const literals = <T extends readonly string[]>(values: T, description?: string): TUnion<TLiteral<T[number]>[]> =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description === undefined ? {} : { description },
  );

const SAME_DEVICE = 'the device that saw it; must equal the device id in the topic';

export const PassageImage = Type.Object(
  {
    kind: Type.Union([Type.Literal('scene'), Type.Literal('plate'), Type.Literal('vehicle')], {
      description: 'what the image shows: the whole scene, the plate crop or the vehicle crop',
    }),
    ref: Type.Optional(withDescription(ImageRef, 'where the image is stored (object store key or URL)')),
    jpegBase64: Type.Optional(
      base64Of(INLINE_LIMITS.plateImageBytes, 'the image inline as base64 JPEG; only for kind plate'),
    ),
  },
  { additionalProperties: false, description: 'exactly one of ref or jpegBase64' },
);

export const PassageEventPayload = Type.Object(
  {
    v: Version,
    eventId: EventId,
    deviceId: withDescription(DeviceId, SAME_DEVICE),
    tollgateId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$', description: 'checkpoint site (tollgate) id' }),
    laneNo: Type.Integer({ minimum: 1, maximum: 99, description: 'lane number at the tollgate' }),
    direction: literals(DIRECTIONS, 'direction of travel'),
    passTime: withDescription(Timestamp, 'when the vehicle crossed the detection line'),
    plateNo: Type.Union(
      [
        Type.String({
          pattern: PLATE_PATTERN,
          description: 'a plate (province character, letter A-Z, then 5 or 6 letters or digits; no I or O)',
        }),
        literals(UNREADABLE_PLATES),
      ],
      {
        description: 'plate as read, e.g. 黑A12345 (new-energy 黑AD12345); 无牌 no plate, 未识别 not readable',
      },
    ),
    plateColor: literals(PLATE_COLORS, 'plate background colour; yellow_green is the large new-energy plate'),
    plateConfidence: withDescription(Probability, 'confidence of the whole plate read, 0 to 1'),
    charConfidences: Type.Optional(
      Type.Array(Probability, { maxItems: 10, description: 'confidence of each plate character, in order, 0 to 1' }),
    ),
    vehicleClass: literals(VEHICLE_CLASSES, 'vehicle class'),
    vehicleColor: Type.Optional(literals(VEHICLE_COLORS, 'body colour')),
    speedKmh: Type.Number({ minimum: 0, maximum: 300, description: 'measured speed, km/h' }),
    images: Type.Optional(
      Type.Array(PassageImage, { maxItems: 4, description: 'images of the passage, by reference or inline' }),
    ),
  },
  {
    additionalProperties: false,
    $id: 'PassageEvent',
    description: 'a vehicle read by an ANPR lane (GA/T 1400 MotorVehicle)',
  },
);
export type PassageEventPayload = Static<typeof PassageEventPayload>;

export const FaceEventPayload = Type.Object(
  {
    v: Version,
    eventId: EventId,
    deviceId: withDescription(DeviceId, SAME_DEVICE),
    shotTime: withDescription(Timestamp, 'when the frame was captured'),
    box: withDescription(BoundingBox, 'where the face is in the scene image, pixels'),
    detectorScore: Type.Optional(withDescription(Probability, 'face detector confidence, 0 to 1')),
    faceJpegBase64: base64Of(INLINE_LIMITS.faceImageBytes, 'the face crop as base64 JPEG, inline'),
    sceneRef: Type.Optional(withDescription(ImageRef, 'where the full scene image is stored')),
  },
  {
    additionalProperties: false,
    $id: 'FaceEvent',
    description: 'a face captured by a face checkpoint (GA/T 1400 Face)',
  },
);
export type FaceEventPayload = Static<typeof FaceEventPayload>;

export const IncidentEventPayload = Type.Object(
  {
    v: Version,
    eventId: EventId,
    deviceId: withDescription(DeviceId, SAME_DEVICE),
    at: withDescription(Timestamp, 'when the incident was seen'),
    kind: literals(INCIDENT_KINDS, 'what was seen'),
    confidence: withDescription(Probability, 'detector confidence, 0 to 1'),
    description: Type.Optional(Type.String({ maxLength: 500, description: 'free text for the operator' })),
    region: Type.Optional(withDescription(BoundingBox, 'where in the image, pixels')),
    imageRef: Type.Optional(withDescription(ImageRef, 'where the scene image is stored')),
    imageJpegBase64: Type.Optional(
      base64Of(INLINE_LIMITS.incidentImageBytes, 'the scene as base64 JPEG, inline (or use imageRef)'),
    ),
  },
  {
    additionalProperties: false,
    $id: 'IncidentEvent',
    description: 'an urban-management or device incident seen by a camera',
  },
);
export type IncidentEventPayload = Static<typeof IncidentEventPayload>;
