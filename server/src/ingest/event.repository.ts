import { Inject, Injectable } from '@nestjs/common';
import type { FaceEventPayload, IncidentEventPayload, PassageEventPayload } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';

export interface StoredEvent {
  eventId: string;
  storedAt: string;
}

const toPgArray = (values: readonly number[] | undefined) => (values ? `{${values.join(',')}}` : null);
const toJson = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Writes device events in batches, one statement a table, idempotent on (event id, time): rows that
 * were already stored are skipped, and only the new ones come back.
 */
@Injectable()
export class EventRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async insertPassages(passages: readonly PassageEventPayload[]): Promise<StoredEvent[]> {
    const result = await this.database.query<{ event_id: string; stored_at: Date }>(
      `INSERT INTO passages (event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                             plate_confidence, char_confidences, vehicle_class, vehicle_color, speed_kmh, images)
       SELECT u.event_id, u.pass_time, u.device_id, u.tollgate_id, u.lane_no, u.direction, u.plate_no, u.plate_color,
              u.plate_confidence, u.char_confidences::real[], u.vehicle_class, u.vehicle_color, u.speed_kmh, u.images::jsonb
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[],
                   $8::text[], $9::real[], $10::text[], $11::text[], $12::text[], $13::real[], $14::text[])
            AS u(event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                 plate_confidence, char_confidences, vehicle_class, vehicle_color, speed_kmh, images)
       ON CONFLICT DO NOTHING
       RETURNING event_id, stored_at`,
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
      ],
    );
    return result.rows.map(stored);
  }

  async insertFaceCaptures(faces: readonly FaceEventPayload[]): Promise<StoredEvent[]> {
    const result = await this.database.query<{ event_id: string; stored_at: Date }>(
      `INSERT INTO face_captures (event_id, shot_time, device_id, box, detector_score, face_jpeg, scene_ref)
       SELECT u.event_id, u.shot_time, u.device_id, u.box::jsonb, u.detector_score, decode(u.face, 'base64'), u.scene_ref
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::real[], $6::text[], $7::text[])
            AS u(event_id, shot_time, device_id, box, detector_score, face, scene_ref)
       ON CONFLICT DO NOTHING
       RETURNING event_id, stored_at`,
      [
        faces.map((f) => f.eventId),
        faces.map((f) => f.shotTime),
        faces.map((f) => f.deviceId),
        faces.map((f) => JSON.stringify(f.box)),
        faces.map((f) => f.detectorScore ?? null),
        faces.map((f) => f.faceJpegBase64),
        faces.map((f) => f.sceneRef ?? null),
      ],
    );
    return result.rows.map(stored);
  }

  async insertIncidents(incidents: readonly IncidentEventPayload[]): Promise<StoredEvent[]> {
    const result = await this.database.query<{ event_id: string; stored_at: Date }>(
      `INSERT INTO incidents (event_id, at, device_id, kind, confidence, description, region, image_ref, image_jpeg)
       SELECT u.event_id, u.at, u.device_id, u.kind, u.confidence, u.description, u.region::jsonb, u.image_ref,
              decode(u.image, 'base64')
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::real[], $6::text[], $7::text[],
                   $8::text[], $9::text[])
            AS u(event_id, at, device_id, kind, confidence, description, region, image_ref, image)
       ON CONFLICT DO NOTHING
       RETURNING event_id, stored_at`,
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
      ],
    );
    return result.rows.map(stored);
  }
}

function stored(row: { event_id: string; stored_at: Date | string }): StoredEvent {
  return { eventId: row.event_id, storedAt: new Date(row.stored_at).toISOString() };
}
