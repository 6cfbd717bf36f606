import { Inject, Injectable } from '@nestjs/common';
import type { LaneRecord, TollgateCreateBody, TollgateRecord, TravelTime } from '@citywatch/protocol';
import { DATABASE, type Database, type Queryable } from '../platform/database/database';

interface TollgateRow {
  id: string;
  name: string;
  lat: number;
  lon: number;
  place: string;
  created_at: Date;
  updated_at: Date;
  lanes: { lane_no: number; direction: LaneRecord['direction']; speed_limit_kmh: number; device_id: string | null }[];
}

/** The tollgates and lanes tables (shared with the registry import) and the travel times between tollgates. */
@Injectable()
export class TollgatesRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async list(id?: string): Promise<TollgateRecord[]> {
    const result = await this.database.query<TollgateRow>(
      `SELECT t.id, t.name, t.lat, t.lon, t.place, t.created_at, t.updated_at,
              coalesce((SELECT json_agg(json_build_object('lane_no', l.lane_no, 'direction', l.direction,
                          'speed_limit_kmh', l.speed_limit_kmh, 'device_id', l.device_id) ORDER BY l.lane_no)
                        FROM lanes l WHERE l.tollgate_id = t.id), '[]'::json) AS lanes
       FROM tollgates t ${id === undefined ? '' : 'WHERE t.id = $1'} ORDER BY t.id`,
      id === undefined ? [] : [id],
    );
    return result.rows.map((row) => ({
      id: row.id,
      name: row.name,
      lat: row.lat,
      lon: row.lon,
      place: row.place,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      lanes: (typeof row.lanes === 'string' ? (JSON.parse(row.lanes) as TollgateRow['lanes']) : row.lanes).map(
        (lane) => ({
          laneNo: lane.lane_no,
          direction: lane.direction,
          speedLimitKmh: lane.speed_limit_kmh,
          deviceId: lane.device_id,
        }),
      ),
    }));
  }

  /** Inserts a tollgate; false when the id is taken. */
  async create(body: TollgateCreateBody): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO tollgates (id, name, lat, lon, place) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
        [body.id, body.name, body.lat, body.lon, body.place],
      );
      if (inserted.rowCount === 0) return false;
      await replaceLanes(tx, body.id, body.lanes);
      return true;
    });
  }

  /** Replaces a tollgate's fields and lanes; false when there is no such tollgate. */
  async update(body: TollgateCreateBody): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const updated = await tx.query(
        `UPDATE tollgates SET name = $2, lat = $3, lon = $4, place = $5, updated_at = now() WHERE id = $1`,
        [body.id, body.name, body.lat, body.lon, body.place],
      );
      if (updated.rowCount === 0) return false;
      await replaceLanes(tx, body.id, body.lanes);
      return true;
    });
  }

  /** Deletes a tollgate and its lanes; false when there is none. Devices still bound to it make it fail (23503). */
  async remove(id: string): Promise<boolean> {
    const result = await this.database.query(`DELETE FROM tollgates WHERE id = $1`, [id]);
    return result.rowCount > 0;
  }

  async travelTimes(): Promise<TravelTime[]> {
    const result = await this.database.query<{
      from_tollgate_id: string;
      to_tollgate_id: string;
      distance_m: number | null;
      min_travel_s: number;
      typical_travel_s: number | null;
    }>(
      `SELECT from_tollgate_id, to_tollgate_id, distance_m, min_travel_s, typical_travel_s
       FROM tollgate_travel_times ORDER BY from_tollgate_id, to_tollgate_id`,
    );
    return result.rows.map((row) => ({
      fromTollgateId: row.from_tollgate_id,
      toTollgateId: row.to_tollgate_id,
      ...(row.distance_m === null ? {} : { distanceM: row.distance_m }),
      minTravelS: row.min_travel_s,
      ...(row.typical_travel_s === null ? {} : { typicalTravelS: row.typical_travel_s }),
    }));
  }

  async upsertTravelTimes(items: readonly TravelTime[]): Promise<void> {
    await this.database.query(
      `INSERT INTO tollgate_travel_times (from_tollgate_id, to_tollgate_id, distance_m, min_travel_s, typical_travel_s)
       SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::integer[], $5::integer[])
       ON CONFLICT (from_tollgate_id, to_tollgate_id) DO UPDATE SET distance_m = EXCLUDED.distance_m,
         min_travel_s = EXCLUDED.min_travel_s, typical_travel_s = EXCLUDED.typical_travel_s, updated_at = now()`,
      [
        items.map((i) => i.fromTollgateId),
        items.map((i) => i.toTollgateId),
        items.map((i) => i.distanceM ?? null),
        items.map((i) => i.minTravelS),
        items.map((i) => i.typicalTravelS ?? null),
      ],
    );
  }

  async removeTravelTime(from: string, to: string): Promise<boolean> {
    const result = await this.database.query(
      `DELETE FROM tollgate_travel_times WHERE from_tollgate_id = $1 AND to_tollgate_id = $2`,
      [from, to],
    );
    return result.rowCount > 0;
  }
}

async function replaceLanes(tx: Queryable, tollgateId: string, lanes: TollgateCreateBody['lanes']): Promise<void> {
  await tx.query(`DELETE FROM lanes WHERE tollgate_id = $1`, [tollgateId]);
  await tx.query(
    `INSERT INTO lanes (tollgate_id, lane_no, direction, speed_limit_kmh, device_id)
     SELECT $1, * FROM unnest($2::smallint[], $3::text[], $4::smallint[], $5::text[])`,
    [
      tollgateId,
      lanes.map((l) => l.laneNo),
      lanes.map((l) => l.direction),
      lanes.map((l) => l.speedLimitKmh),
      lanes.map((l) => l.deviceId ?? null),
    ],
  );
}
