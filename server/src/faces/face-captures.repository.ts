import { Inject, Injectable } from '@nestjs/common';
import type { FaceQualityReport } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';
import { descriptorFromBytes } from './face-descriptor-codec';
import type { IndexedCapture } from './capture-search-index';

export interface ClaimedCapture {
  eventId: string;
  shotTime: string;
  deviceId: string;
  faceJpeg: Buffer;
  attempts: number;
}

export type CaptureOutcome = 'matched' | 'unmatched' | 'rejected' | 'failed';

export interface CaptureResult {
  eventId: string;
  shotTime: string;
  /** The claim this result comes from (`ClaimedCapture.attempts`): only the latest claim may complete. */
  attempts: number;
  outcome: CaptureOutcome;
  descriptor: Buffer | null;
  quality: FaceQualityReport | null;
  thumbnailJpeg: Buffer | null;
  matched: boolean;
  bestPersonId: string | null;
  bestSimilarity: number | null;
}

export interface FaceHitRecord {
  captureEventId: string;
  shotTime: string;
  deviceId: string;
  personId: string;
  photoId: string;
  similarity: number;
  rank: number;
  dedupeKey: string;
}

export interface CaptureDetails {
  eventId: string;
  deviceId: string;
  shotTime: string;
  quality: FaceQualityReport | null;
  matched: boolean;
}

/** The first key of pg_advisory_xact_lock(int, int) while a hit is recorded; the second is the person and device. */
const FACE_HIT_LOCK = 0x0face;

const asBytes = (value: Uint8Array | null) =>
  value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
const iso = (value: Date | string) => new Date(value).toISOString();

/**
 * face_captures as the recognition work queue and its results, face_hits, and what search by face reads.
 * Captures are addressed by event id (unique per device event; the primary key adds the shot time).
 */
@Injectable()
export class FaceCapturesRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /**
   * Leases up to `limit` unprocessed captures, oldest stored first (then by shot time: one ingest batch
   * shares its stored_at), for `leaseSeconds`: rows another worker holds (locked now, or leased and not
   * lapsed) are skipped, so replicas never share a capture. Each claim counts in `attempts`, which is
   * then the claim's token: `complete` and `release` only act for the latest claim.
   */
  async claim(limit: number, leaseSeconds: number): Promise<ClaimedCapture[]> {
    const result = await this.database.query<{
      event_id: string;
      shot_time: Date;
      device_id: string;
      face_jpeg: Uint8Array;
      attempts: number;
    }>(
      `UPDATE face_captures f SET claimed_until = now() + make_interval(secs => $2), attempts = f.attempts + 1
       FROM (SELECT event_id, shot_time FROM face_captures
             WHERE processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY stored_at, shot_time LIMIT $1 FOR UPDATE SKIP LOCKED) picked
       WHERE f.event_id = picked.event_id AND f.shot_time = picked.shot_time
       RETURNING f.event_id, f.shot_time, f.device_id, f.face_jpeg, f.attempts`,
      [limit, leaseSeconds],
    );
    return result.rows.map((row) => ({
      eventId: row.event_id,
      shotTime: iso(row.shot_time),
      deviceId: row.device_id,
      faceJpeg: asBytes(row.face_jpeg)!,
      attempts: Number(row.attempts),
    }));
  }

  /**
   * Gives leased captures back, unless claimed again since: the batch failed as a whole (they are retried,
   * the claim counted towards the attempts), or the hub is stopping (`countAttempt: false`: the claim was
   * never tried, so it does not count; the next claim gets the same token, which is safe since this one
   * will neither mark nor release them again).
   */
  async release(
    captures: readonly { eventId: string; shotTime: string; attempts: number }[],
    options: { countAttempt?: boolean } = {},
  ): Promise<void> {
    if (captures.length === 0) return;
    await this.database.query(
      `UPDATE face_captures f SET claimed_until = NULL, attempts = f.attempts - $4::smallint
       FROM unnest($1::text[], $2::timestamptz[], $3::smallint[]) AS u(event_id, shot_time, attempts)
       WHERE f.event_id = u.event_id AND f.shot_time = u.shot_time AND f.processed_at IS NULL
         AND f.attempts = u.attempts`,
      [
        captures.map((c) => c.eventId),
        captures.map((c) => c.shotTime),
        captures.map((c) => c.attempts),
        options.countAttempt === false ? 1 : 0,
      ],
    );
  }

  /**
   * Stores the results and marks the captures processed, in one statement, and returns the event ids it
   * marked: a capture already processed, or claimed again after this claim's lease lapsed, is left to
   * the later claim.
   */
  async complete(results: readonly CaptureResult[]): Promise<Set<string>> {
    if (results.length === 0) return new Set();
    const marked = await this.database.query<{ event_id: string }>(
      `UPDATE face_captures f
       SET processed_at = now(), claimed_until = NULL, outcome = u.outcome,
           descriptor = decode(u.descriptor, 'base64'), quality = u.quality::jsonb,
           thumbnail_jpeg = decode(u.thumbnail, 'base64'), matched = f.matched OR u.matched,
           best_person_id = u.best_person_id, best_similarity = u.best_similarity
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[],
                   $8::bigint[], $9::real[], $10::smallint[])
            AS u(event_id, shot_time, outcome, descriptor, quality, thumbnail, matched, best_person_id, best_similarity,
                 attempts)
       WHERE f.event_id = u.event_id AND f.shot_time = u.shot_time AND f.processed_at IS NULL
         AND f.attempts = u.attempts
       RETURNING f.event_id`,
      [
        results.map((r) => r.eventId),
        results.map((r) => r.shotTime),
        results.map((r) => r.outcome),
        results.map((r) => r.descriptor?.toString('base64') ?? null),
        results.map((r) => (r.quality ? JSON.stringify(r.quality) : null)),
        results.map((r) => r.thumbnailJpeg?.toString('base64') ?? null),
        results.map((r) => r.matched),
        results.map((r) => r.bestPersonId),
        results.map((r) => r.bestSimilarity),
        results.map((r) => r.attempts),
      ],
    );
    return new Set(marked.rows.map((row) => row.event_id));
  }

  /**
   * Records a hit (once per capture and person) and returns the dedupe key of its alert, with the alert's
   * id when this hit already raised it (a capture processed again after a crash: raise nothing more).
   * The key is the one this hit was recorded with before, else that of the nearest hit of the same person
   * at the same device less than `mergeMs` before it (or, failing that, after it: captures are not always
   * processed in shot order), else `proposedKey`. Hits of one person at one device are recorded one at a
   * time (an advisory lock), so two workers recording them at once still agree on the key.
   */
  async recordHit(
    hit: Omit<FaceHitRecord, 'dedupeKey'>,
    proposedKey: string,
    mergeMs: number,
  ): Promise<{ dedupeKey: string; alertId: string | null }> {
    return this.database.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [
        FACE_HIT_LOCK,
        `${hit.personId}/${hit.deviceId}`,
      ]);
      const result = await tx.query<{ dedupe_key: string; alert_id: string | null }>(
        `WITH nearest AS (
           SELECT dedupe_key FROM face_hits
           WHERE person_id = $4 AND device_id = $3 AND capture_event_id <> $1
             AND shot_time > $2::timestamptz - make_interval(secs => $9)
             AND shot_time < $2::timestamptz + make_interval(secs => $9)
           ORDER BY shot_time > $2::timestamptz, abs(extract(epoch FROM shot_time - $2::timestamptz))
           LIMIT 1
         ), inserted AS (
           INSERT INTO face_hits (capture_event_id, shot_time, device_id, person_id, photo_id, similarity, rank, dedupe_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce((SELECT dedupe_key FROM nearest), $8))
           ON CONFLICT (capture_event_id, person_id) DO NOTHING
           RETURNING dedupe_key, alert_id
         )
         SELECT dedupe_key, alert_id FROM inserted
         UNION ALL
         SELECT dedupe_key, alert_id FROM face_hits WHERE capture_event_id = $1 AND person_id = $4`,
        [
          hit.captureEventId,
          hit.shotTime,
          hit.deviceId,
          hit.personId,
          hit.photoId,
          hit.similarity,
          hit.rank,
          proposedKey,
          mergeMs / 1000,
        ],
      );
      const row = result.rows[0]!;
      return { dedupeKey: row.dedupe_key, alertId: row.alert_id };
    });
  }

  async setHitAlert(captureEventId: string, personId: string, alertId: string): Promise<void> {
    await this.database.query(`UPDATE face_hits SET alert_id = $3 WHERE capture_event_id = $1 AND person_id = $2`, [
      captureEventId,
      personId,
      alertId,
    ]);
  }

  /** Captures stored and not processed yet, and the age of the oldest, seconds. */
  async backlog(): Promise<{ pending: number; oldestPendingS: number | null }> {
    const result = await this.database.query<{ pending: string; oldest: number | null }>(
      `SELECT count(*)::text AS pending, extract(epoch FROM now() - min(stored_at))::float8 AS oldest
       FROM face_captures WHERE processed_at IS NULL`,
    );
    const row = result.rows[0]!;
    return { pending: Number(row.pending), oldestPendingS: row.oldest === null ? null : Number(row.oldest) };
  }

  /** The processed captures of one UTC day with a descriptor, for the search index. */
  async descriptorsOfDay(dayStart: number): Promise<IndexedCapture[]> {
    const result = await this.database.query<{
      event_id: string;
      device_id: string;
      shot_time: Date;
      descriptor: Uint8Array;
    }>(
      `SELECT event_id, device_id, shot_time, descriptor FROM face_captures
       WHERE shot_time >= $1 AND shot_time < $2 AND descriptor IS NOT NULL`,
      [new Date(dayStart).toISOString(), new Date(dayStart + 86_400_000).toISOString()],
    );
    return result.rows.map(toIndexed);
  }

  /** Captures processed after `since` (by any replica), oldest first, for keeping the index current. */
  async processedSince(since: Date, limit: number): Promise<(IndexedCapture & { processedAt: number })[]> {
    const result = await this.database.query<{
      event_id: string;
      device_id: string;
      shot_time: Date;
      descriptor: Uint8Array;
      processed_at: Date;
    }>(
      `SELECT event_id, device_id, shot_time, descriptor, processed_at FROM face_captures
       WHERE processed_at > $1 AND descriptor IS NOT NULL ORDER BY processed_at LIMIT $2`,
      [since.toISOString(), limit],
    );
    return result.rows.map((row) => ({ ...toIndexed(row), processedAt: new Date(row.processed_at).getTime() }));
  }

  async details(eventIds: readonly string[]): Promise<Map<string, CaptureDetails>> {
    const result = await this.database.query<{
      event_id: string;
      device_id: string;
      shot_time: Date;
      quality: FaceQualityReport | null;
      matched: boolean;
    }>(`SELECT event_id, device_id, shot_time, quality, matched FROM face_captures WHERE event_id = ANY($1::text[])`, [
      eventIds,
    ]);
    return new Map(
      result.rows.map((row) => [
        row.event_id,
        {
          eventId: row.event_id,
          deviceId: row.device_id,
          shotTime: iso(row.shot_time),
          quality: row.quality,
          matched: row.matched,
        },
      ]),
    );
  }

  /** The stored crop or the thumbnail of a capture. */
  async image(eventId: string, which: 'face' | 'thumbnail'): Promise<Buffer | null> {
    const column = which === 'face' ? 'face_jpeg' : 'thumbnail_jpeg';
    const result = await this.database.query<{ image: Uint8Array | null }>(
      `SELECT ${column} AS image FROM face_captures WHERE event_id = $1 LIMIT 1`,
      [eventId],
    );
    return asBytes(result.rows[0]?.image ?? null);
  }
}

function toIndexed(row: {
  event_id: string;
  device_id: string;
  shot_time: Date;
  descriptor: Uint8Array;
}): IndexedCapture {
  return {
    eventId: row.event_id,
    deviceId: row.device_id,
    shotTime: new Date(row.shot_time).getTime(),
    descriptor: descriptorFromBytes(row.descriptor),
  };
}
