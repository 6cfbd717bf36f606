import { CloneType, Type, type Static, type TSchema } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, DEVICE_KINDS } from '../device-id';

/** Version of the payload format; bumped with the topic root's version. */
export const PAYLOAD_VERSION = 1;

export const Version = Type.Literal(PAYLOAD_VERSION, { description: 'payload format version' });

export const DeviceId = Type.String({
  pattern: DEVICE_ID_PATTERN,
  description: '20-digit GA/T 1400 style device id',
});

export const DeviceKindSchema = Type.Union(
  DEVICE_KINDS.map((kind) => Type.Literal(kind)),
  { description: 'kind of device' },
);

/** An id made at the edge, stable across retries, that makes storage idempotent. */
export const EventId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$',
  description: 'stable id made at the edge (a UUID fits); 8-64 characters',
});

/** ISO 8601 timestamp with a zone, checked against the allowed time window after the schema. */
export const Timestamp = Type.String({
  minLength: 20,
  maxLength: 35,
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$',
  description: 'ISO 8601 date-time with a zone, e.g. 2026-11-27T08:15:30.120+08:00',
});

export const Probability = Type.Number({ minimum: 0, maximum: 1, description: 'probability, 0 to 1' });

/** The same schema with its own description (what the field means where it is used). */
export function withDescription<T extends TSchema>(schema: T, description: string): T {
  // CloneType's options only fill gaps (the schema's own description would win), so set it on the clone.
  return Object.assign(CloneType(schema), { description });
}

export const BoundingBox = Type.Object(
  {
    x: Type.Integer({ minimum: 0, maximum: 16384, description: 'left edge, pixels from the left of the image' }),
    y: Type.Integer({ minimum: 0, maximum: 16384, description: 'top edge, pixels from the top of the image' }),
    w: Type.Integer({ minimum: 1, maximum: 16384, description: 'width in pixels' }),
    h: Type.Integer({ minimum: 1, maximum: 16384, description: 'height in pixels' }),
  },
  { additionalProperties: false, description: 'pixel box in the source image' },
);
export type BoundingBox = Static<typeof BoundingBox>;

const B64 = '[A-Za-z0-9+/]';
/**
 * Standard padded base64 (RFC 4648 section 4): whole 4-character groups, `=` only as final padding.
 * The class is written out four times rather than as `{4}`: V8 runs it about twice as fast that way.
 */
export const BASE64_PATTERN = `^(?:${B64}${B64}${B64}${B64})*(?:${B64}${B64}==|${B64}${B64}${B64}=)?$`;

/** Base64 of at most `bytes` decoded bytes. */
export function base64Of(bytes: number, description: string) {
  return Type.String({
    minLength: 4,
    maxLength: Math.ceil(bytes / 3) * 4,
    pattern: BASE64_PATTERN,
    description,
  });
}

/** A reference to an image stored elsewhere (object store key or http(s) URL). */
export const ImageRef = Type.String({
  minLength: 1,
  maxLength: 512,
  pattern: '^[^\\s]+$',
  description: 'object store key or http(s) URL of an image kept elsewhere',
});
