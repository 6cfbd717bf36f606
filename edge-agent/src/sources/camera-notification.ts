import { INLINE_LIMITS, isDeviceId } from '@citywatch/protocol';
import { EVENT_PRIORITIES, type EventPriority } from '../spool/spool-types';
import { EventRejectedError, type EventDraft } from './event-source';

/**
 * The JSON a camera sends with an alarm or a capture, in the HTTP receiver's body or in the sidecar
 * next to a JPEG dropped by FTP. Field names follow the protocol's events; see the README.
 */
export interface CameraNotification {
  /** Required for the HTTP receiver; the folder watch knows it from its configuration. */
  deviceId?: string;
  type: 'passage' | 'face' | 'incident';
  /** A stable id from the camera, so a re-sent notification is the same event (8-64 of A-Z a-z 0-9 _ . : -). */
  eventId?: string;
  /** ISO 8601 with a zone. */
  time: string;
  priority?: EventPriority;
  // passage
  tollgateId?: string;
  laneNo?: number;
  direction?: string;
  plateNo?: string;
  plateColor?: string;
  plateConfidence?: number;
  vehicleClass?: string;
  vehicleColor?: string;
  speedKmh?: number;
  // face
  box?: { x: number; y: number; w: number; h: number };
  detectorScore?: number;
  // incident
  incidentKind?: string;
  confidence?: number;
  description?: string;
  region?: { x: number; y: number; w: number; h: number };
  /** HTTP only: the picture, JPEG in base64. */
  imageBase64?: string;
}

/** Lane facts from the agent's configuration, used when a checkpoint's notification leaves them out. */
export interface LaneDefaults {
  tollgateId?: string;
  laneNo?: number;
  direction?: string;
}

export interface NotificationImage {
  jpeg: Buffer;
  /** Where the picture will be once stored, for events that refer to it instead of carrying it inline. */
  ref: string;
}

/** The event a notification makes, and whether it refers to its picture by `ref` (so the picture must be stored). */
export interface NotificationDraft {
  draft: EventDraft;
  refersToImage: boolean;
}

const KNOWN_FIELDS = new Set([
  'deviceId',
  'type',
  'eventId',
  'time',
  'priority',
  'tollgateId',
  'laneNo',
  'direction',
  'plateNo',
  'plateColor',
  'plateConfidence',
  'vehicleClass',
  'vehicleColor',
  'speedKmh',
  'box',
  'detectorScore',
  'incidentKind',
  'confidence',
  'description',
  'region',
  'imageBase64',
]);

/** Reads untrusted JSON into a notification, listing every problem it can see before the schema does. */
export function parseCameraNotification(value: unknown): CameraNotification {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new EventRejectedError('bad_input', 'notification must be a JSON object', ['/: not an object']);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!KNOWN_FIELDS.has(key)) problems.push(`/${key}: unknown field`);
  if (!['passage', 'face', 'incident'].includes(record.type as string))
    problems.push('/type: must be passage, face or incident');
  if (typeof record.time !== 'string') problems.push('/time: required, ISO 8601 with a zone');
  if (record.deviceId !== undefined && !isDeviceId(record.deviceId)) problems.push('/deviceId: must be 20 digits');
  if (record.priority !== undefined && !EVENT_PRIORITIES.includes(record.priority as EventPriority)) {
    problems.push(`/priority: must be one of ${EVENT_PRIORITIES.join(', ')}`);
  }
  if (
    record.imageBase64 !== undefined &&
    (typeof record.imageBase64 !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(record.imageBase64))
  ) {
    problems.push('/imageBase64: must be base64');
  }
  if (problems.length > 0) throw new EventRejectedError('bad_input', `bad notification: ${problems[0]}`, problems);
  return record as unknown as CameraNotification;
}

/**
 * Turns a notification (and its picture, if any) into the protocol event the agent spools. Stores
 * nothing: the caller checks the event first, then stores the picture when `refersToImage`.
 */
export function notificationToDraft(
  notification: CameraNotification,
  image: NotificationImage | undefined,
  lane: LaneDefaults = {},
): NotificationDraft {
  const base = notification.eventId !== undefined ? { eventId: notification.eventId } : {};
  switch (notification.type) {
    case 'passage':
      return {
        refersToImage: image !== undefined,
        draft: {
          kind: 'passage',
          payload: {
            ...base,
            tollgateId: (notification.tollgateId ?? lane.tollgateId) as string,
            laneNo: (notification.laneNo ?? lane.laneNo) as number,
            direction: (notification.direction ?? lane.direction) as never,
            passTime: notification.time,
            plateNo: notification.plateNo as never,
            plateColor: notification.plateColor as never,
            plateConfidence: notification.plateConfidence as number,
            vehicleClass: (notification.vehicleClass ?? 'other') as never,
            ...(notification.vehicleColor !== undefined ? { vehicleColor: notification.vehicleColor as never } : {}),
            speedKmh: notification.speedKmh as number,
            ...(image ? { images: [{ kind: 'scene' as const, ref: image.ref }] } : {}),
          },
        },
      };
    case 'face': {
      if (!image) throw new EventRejectedError('bad_input', 'a face capture needs its JPEG', ['/image: missing']);
      if (image.jpeg.byteLength > INLINE_LIMITS.faceImageBytes) {
        throw new EventRejectedError(
          'bad_input',
          `face JPEG is ${image.jpeg.byteLength} bytes, more than ${INLINE_LIMITS.faceImageBytes}`,
          ['/image: too large'],
        );
      }
      return {
        refersToImage: false,
        draft: {
          kind: 'face',
          payload: {
            ...base,
            shotTime: notification.time,
            box: notification.box as never,
            ...(notification.detectorScore !== undefined ? { detectorScore: notification.detectorScore } : {}),
            faceJpegBase64: image.jpeg.toString('base64'),
          },
        },
      };
    }
    case 'incident': {
      const inline = image !== undefined && image.jpeg.byteLength <= INLINE_LIMITS.incidentImageBytes;
      return {
        refersToImage: image !== undefined && !inline,
        draft: {
          kind: 'incident',
          payload: {
            ...base,
            at: notification.time,
            kind: notification.incidentKind as never,
            confidence: notification.confidence ?? 1,
            ...(notification.description !== undefined ? { description: notification.description } : {}),
            ...(notification.region !== undefined ? { region: notification.region } : {}),
            ...(image && inline ? { imageJpegBase64: image.jpeg.toString('base64') } : {}),
            ...(image && !inline ? { imageRef: image.ref } : {}),
          },
        },
      };
    }
  }
}

/** JPEG files start with FF D8 FF. */
export function looksLikeJpeg(bytes: Buffer): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}
