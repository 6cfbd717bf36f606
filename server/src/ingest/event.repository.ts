import { Inject, Injectable } from '@nestjs/common';
import type { FaceEventPayload, IncidentEventPayload, PassageEventPayload } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';

/** What one insert stored: the events new to the table (repeats left out) and their commit time. */
export interface StoredEvents {
  /** Rows stored. */
  count: number;
  /** Whether this event was stored by this insert (false: it was there already). */
  isNew(eventId: string): boolean;
  /** `stored_at` of every row of the statement (the transaction's time), ISO 8601. */
  storedAt: string;
}

const toPgArray = (values: readonly number[] | undefined) => (values ? `{${values.join(',')}}` : null);
const toJson = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Writes device events in batches, one statement a table, idempotent on (event id, time): rows that
 * were already stored are skipped. One row comes back, not one per event: how many were stored, the
 * statement's time (every new row's `stored_at`) and, only when some were there already, the new ids.
 */
@Injectable()
export class EventRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async insertPassages(passages: readonly PassageEventPayload[]): Promise<StoredEvents> {
    const result = await this.database.query<StoredRow>(
      `WITH inserted AS (INSERT INTO passages (event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                             plate_confidence, char_confidences, vehicle_class, vehicle_color, speed_kmh, images)
       SELECT u.event_id, u.pass_time, u.device_id, u.tollgate_id, u.lane_no, u.direction, u.plate_no, u.plate_color,
              u.plate_confidence, u.char_confidences::real[], u.vehicle_class, u.vehicle_color, u.speed_kmh, u.images::jsonb
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[],
                   $8::text[], $9::real[], $10::text[], $11::text[], $12::text[], $13::real[], $14::text[])
            AS u(event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                 plate_confidence, char_confidences, vehicle_class, vehicle_color, speed_kmh, images)
       ON CONFLICT DO NOTHING
       RETURNING event_id)
       SELECT count(*)::int AS stored, now() AS stored_at,
              CASE WHEN count(*) < $15::int THEN coalesce(array_agg(event_id), '{}') END AS ids
       FROM inserted`,
      [
        passages.map((p) => p.eventId),
        passages.map((p) => p.passTime),
        passages.map((p) => p.deviceId),
        passages.map((p) => p.tollgateId),
        passages.map((p) => p.laneNo),
        passages.map((p) => p.direction),
        passages.map((p) => p.plateNo),
        passages.map((p) => p.plateColor),
        passages.map((p) => p.plateConfidence),
        passages.map((p) => toPgArray(p.charConfidences)),
        passages.map((p) => p.vehicleClass),
        passages.map((p) => p.vehicleColor ?? null),
        passages.map((p) => p.speedKmh),
        passages.map((p) => toJson(p.images)),
        passages.length,
      ],
    );
    return stored(result.rows[0]!);
  }

  async insertFaceCaptures(faces: readonly FaceEventPayload[]): Promise<StoredEvents> {
    const result = await this.database.query<StoredRow>(
      `WITH inserted AS (INSERT INTO face_captures (event_id, shot_time, device_id, box, detector_score, face_jpeg, scene_ref)
       SELECT u.event_id, u.shot_time, u.device_id, u.box::jsonb, u.detector_score, decode(u.face, 'base64'), u.scene_ref
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::real[], $6::text[], $7::text[])
            AS u(event_id, shot_time, device_id, box, detector_score, face, scene_ref)
       ON CONFLICT DO NOTHING
       RETURNING event_id)
       SELECT count(*)::int AS stored, now() AS stored_at,
              CASE WHEN count(*) < $8::int THEN coalesce(array_agg(event_id), '{}') END AS ids
       FROM inserted`,
      [
        faces.map((f) => f.eventId),
        faces.map((f) => f.shotTime),
        faces.map((f) => f.deviceId),
        faces.map((f) => JSON.stringify(f.box)),
        faces.map((f) => f.detectorScore ?? null),
        faces.map((f) => f.faceJpegBase64),
        faces.map((f) => f.sceneRef ?? null),
        faces.length,
      ],
    );
    return stored(result.rows[0]!);
  }

  async insertIncidents(incidents: readonly IncidentEventPayload[]): Promise<StoredEvents> {
    const result = await this.database.query<StoredRow>(
      `WITH inserted AS (INSERT INTO incidents (event_id, at, device_id, kind, confidence, description, region, image_ref, image_jpeg)
       SELECT u.event_id, u.at, u.device_id, u.kind, u.confidence, u.description, u.region::jsonb, u.image_ref,
              decode(u.image, 'base64')
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::real[], $6::text[], $7::text[],
                   $8::text[], $9::text[])
            AS u(event_id, at, device_id, kind, confidence, description, region, image_ref, image)
       ON CONFLICT DO NOTHING
       RETURNING event_id)
       SELECT count(*)::int AS stored, now() AS stored_at,
              CASE WHEN count(*) < $10::int THEN coalesce(array_agg(event_id), '{}') END AS ids
       FROM inserted`,
      [
        incidents.map((i) => i.eventId),
        incidents.map((i) => i.at),
        incidents.map((i) => i.deviceId),
        incidents.map((i) => i.kind),
        incidents.map((i) => i.confidence),
        incidents.map((i) => i.description ?? null),
        incidents.map((i) => toJson(i.region)),
        incidents.map((i) => i.imageRef ?? null),
        incidents.map((i) => i.imageJpegBase64 ?? null),
        incidents.length,
      ],
    );
    return stored(result.rows[0]!);
  }
}

interface StoredRow {
  stored: number;
  stored_at: Date | string;
  /** Only when some rows were there already: which ones are new. */
  ids: string[] | null;
}

function stored(row: StoredRow): StoredEvents {
  const fresh = row.ids && new Set(row.ids);
  return {
    count: row.stored,
    isNew: fresh ? (eventId) => fresh.has(eventId) : () => true,
    storedAt: new Date(row.stored_at).toISOString(),
  };
}
