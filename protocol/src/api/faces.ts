import { Type, type Static } from '@sinclair/typebox';
import { DeviceId, withDescription } from '../payloads/common';
import { QueryTimestamp } from './checkpoints';

/**
 * REST bodies, queries and answers of the faces module: the person watchlist (布控) with its enrolled
 * photos, face captures, and search by face (以脸搜脸). Photos travel as multipart uploads; the other
 * fields of an upload are text parts, converted to these schemas' types.
 */

export const WATCHLIST_CATEGORIES = ['wanted', 'missing', 'at_risk', 'vip', 'other'] as const;
export type WatchlistCategory = (typeof WATCHLIST_CATEGORIES)[number];

const DeviceIdList = Type.Array(DeviceId, {
  maxItems: 500,
  description: 'face checkpoints it applies to; empty or absent = all of them',
});

/** The fields of a watchlist person (create and replace). */
export const WatchlistPersonBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'full name' }),
    idNumber: Type.Optional(Type.String({ maxLength: 32, pattern: '^[0-9A-Za-z-]*$', description: 'ID card number' })),
    category: Type.Union(
      WATCHLIST_CATEGORIES.map((c) => Type.Literal(c)),
      { description: 'wanted, missing, at_risk (person at risk), vip or other' },
    ),
    priority: Type.Integer({ minimum: 1, maximum: 3, description: '1 highest (critical alert), 2 major, 3 minor' }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'case reference or reason' }),
    validFrom: Type.Optional(withDescription(QueryTimestamp, 'start of validity (default: now)')),
    validUntil: Type.Optional(withDescription(QueryTimestamp, 'end of validity (default: open-ended)')),
    deviceIds: Type.Optional(DeviceIdList),
    enabled: Type.Optional(Type.Boolean({ description: 'false = kept but not matched (default true)' })),
  },
  { additionalProperties: false, $id: 'WatchlistPersonBody' },
);
export type WatchlistPersonBody = Static<typeof WatchlistPersonBody>;

/** A partial edit: any of the fields; `validUntil: null` makes it open-ended, `idNumber: null` removes it. */
export const WatchlistPersonPatch = Type.Object(
  {
    ...Type.Partial(Type.Omit(WatchlistPersonBody, ['validUntil', 'idNumber'])).properties,
    idNumber: Type.Optional(Type.Union([WatchlistPersonBody.properties.idNumber, Type.Null()])),
    validUntil: Type.Optional(Type.Union([QueryTimestamp, Type.Null()])),
  },
  { additionalProperties: false, $id: 'WatchlistPersonPatch' },
);
export type WatchlistPersonPatch = Static<typeof WatchlistPersonPatch>;

export const WatchlistListQuery = Type.Object(
  {
    category: Type.Optional(Type.Union(WATCHLIST_CATEGORIES.map((c) => Type.Literal(c)))),
    enabled: Type.Optional(Type.Boolean()),
    /** Part of the name or the ID number. */
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    after: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'last id of the previous page' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false, $id: 'WatchlistListQuery' },
);
export type WatchlistListQuery = Static<typeof WatchlistListQuery>;

export interface FaceQualityReport {
  /** Shorter side of the face box, source pixels. */
  faceSize: number;
  detectionScore: number;
  /** Variance of the Laplacian on the aligned crop; lower is blurrier. */
  sharpness?: number;
  passed: boolean;
  reasons: string[];
}

export interface WatchlistPhoto {
  id: string;
  personId: string;
  /** `/api/faces/watchlist/photos/{id}/image` (the photo) and `.../thumbnail` (the aligned face). */
  imageUrl: string;
  thumbnailUrl: string;
  box: { x: number; y: number; width: number; height: number };
  quality: FaceQualityReport;
  createdAt: string;
}

export interface WatchlistPerson {
  id: string;
  name: string;
  idNumber: string | null;
  category: WatchlistCategory;
  priority: number;
  reason: string;
  validFrom: string;
  validUntil: string | null;
  deviceIds: string[];
  enabled: boolean;
  /** Enabled and inside its validity window now. */
  active: boolean;
  photos: WatchlistPhoto[];
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface WatchlistPage {
  items: WatchlistPerson[];
  nextAfter: string | null;
}

/**
 * Why an uploaded photo was refused, in the body of the 4xx answer (`code`): 413 too_large, 415
 * not_an_image, 422 no_face / several_faces / face_too_small / blurred / low_score.
 */
export const FACE_UPLOAD_ERRORS = [
  'too_large',
  'not_an_image',
  'no_face',
  'several_faces',
  'face_too_small',
  'blurred',
  'low_score',
  'no_photo',
] as const;
export type FaceUploadErrorCode = (typeof FACE_UPLOAD_ERRORS)[number];

export interface FaceUploadError {
  statusCode: 400 | 413 | 415 | 422;
  error: string;
  code: FaceUploadErrorCode;
  message: string;
  /** Which uploaded file (0-based), when several were sent. */
  file?: number;
  quality?: FaceQualityReport;
}

/** The text parts of a search by face upload (beside the `photo` file part). */
export const FaceSearchQuery = Type.Object(
  {
    from: withDescription(QueryTimestamp, 'start of the time window'),
    to: withDescription(QueryTimestamp, 'end of the time window'),
    deviceIds: Type.Optional(
      Type.String({
        pattern: '^[0-9]{20}(,[0-9]{20}){0,499}$',
        maxLength: 10_500,
        description: 'face checkpoints, comma-separated; absent = all',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 20, description: 'results, best first' }),
    minSimilarity: Type.Number({
      minimum: -1,
      maximum: 1,
      default: 0.9,
      description: 'leave out captures less similar than this (cosine)',
    }),
  },
  { additionalProperties: false, $id: 'FaceSearchQuery' },
);
export type FaceSearchQuery = Static<typeof FaceSearchQuery>;

export interface FaceSearchHit {
  rank: number;
  similarity: number;
  eventId: string;
  deviceId: string;
  shotTime: string;
  thumbnailUrl: string;
  imageUrl: string;
  quality: FaceQualityReport | null;
  matched: boolean;
}

export interface FaceSearchResult {
  hits: FaceSearchHit[];
  /** Captures compared (inside the window and devices). */
  searched: number;
  tookMs: number;
  /** The face found in the uploaded photo. */
  queryFace: { box: { x: number; y: number; width: number; height: number }; quality: FaceQualityReport };
}

/** The recognition pipeline's state, for the console and operators. */
export interface FacePipelineStatus {
  enabled: boolean;
  /** Captures stored and not yet processed (the database work queue). */
  pending: number;
  /** Age of the oldest pending capture, seconds; null when none. */
  oldestPendingS: number | null;
  processed: number;
  /** Over the last minute. */
  facesPerSecond: number;
  gallery: { people: number; photos: number };
  searchIndex: { days: number; captures: number; megabytes: number };
}
