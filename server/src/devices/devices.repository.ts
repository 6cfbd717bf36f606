import { Inject, Injectable } from '@nestjs/common';
import type {
  DeviceActivity,
  DeviceEventSummary,
  DeviceKind,
  DeviceRecord,
  DeviceRegistration,
  DeviceStatusEntry,
  HeartbeatPayload,
  TollgateRegistration,
} from '@citywatch/protocol';
import { DATABASE, type Database, type Queryable } from '../platform/database/database';
import type { RegisteredEstate } from './registry-checks';

export type { DeviceRecord };

interface DeviceRow {
  id: string;
  name: string;
  kind: DeviceKind;
  lat: number;
  lon: number;
  place: string;
  area: string;
  tollgate_id: string | null;
  lane_no: number | null;
  has_loudspeaker: boolean;
  heartbeat_interval_s: number;
  online: boolean;
  state_changed_at: Date | null;
  last_seen_at: Date | null;
  last_heartbeat_at: Date | null;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);
const DEVICE_COLUMNS = `id, name, kind, lat, lon, place, area, tollgate_id, lane_no, has_loudspeaker, heartbeat_interval_s,
  online, state_changed_at, last_seen_at, last_heartbeat_at`;

function toRecord(row: DeviceRow): DeviceRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    lat: row.lat,
    lon: row.lon,
    place: row.place,
    area: row.area,
    tollgateId: row.tollgate_id,
    laneNo: row.lane_no,
    hasLoudspeaker: row.has_loudspeaker,
    heartbeatIntervalS: row.heartbeat_interval_s,
    online: row.online,
    stateChangedAt: iso(row.state_changed_at),
    lastSeenAt: iso(row.last_seen_at),
    lastHeartbeatAt: iso(row.last_heartbeat_at),
  };
}

export interface StateChange {
  deviceId: string;
  kind: DeviceKind;
  online: boolean;
  at: string;
  reason: string;
}

@Injectable()
export class DevicesRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async importRegistry(
    tollgates: readonly TollgateRegistration[],
    devices: readonly DeviceRegistration[],
  ): Promise<void> {
    await this.database.transaction(async (tx) => {
      for (const tollgate of tollgates) {
        await tx.query(
          `INSERT INTO tollgates (id, name, lat, lon, place) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
             place = EXCLUDED.place, updated_at = now()`,
          [tollgate.id, tollgate.name, tollgate.lat, tollgate.lon, tollgate.place],
        );
      }
      if (devices.length > 0) await upsertDevices(tx, devices);
      for (const tollgate of tollgates) {
        for (const lane of tollgate.lanes) {
          await tx.query(
            `INSERT INTO lanes (tollgate_id, lane_no, direction, speed_limit_kmh, device_id) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tollgate_id, lane_no) DO UPDATE SET direction = EXCLUDED.direction,
               speed_limit_kmh = EXCLUDED.speed_limit_kmh, device_id = EXCLUDED.device_id`,
            [tollgate.id, lane.laneNo, lane.direction, lane.speedLimitKmh, lane.deviceId ?? null],
          );
        }
      }
    });
  }

  /** The registered devices and tollgates among these ids (what a registry change refers to). */
  async registeredEstate(deviceIds: readonly string[], tollgateIds: readonly string[]): Promise<RegisteredEstate> {
    const devices =
      deviceIds.length === 0
        ? []
        : (
            await this.database.query<{
              id: string;
              kind: DeviceKind;
              tollgate_id: string | null;
              lane_no: number | null;
            }>(`SELECT id, kind, tollgate_id, lane_no FROM devices WHERE id = ANY($1::text[])`, [deviceIds])
          ).rows;
    const tollgates =
      tollgateIds.length === 0
        ? []
        : (
            await this.database.query<{ id: string }>(`SELECT id FROM tollgates WHERE id = ANY($1::text[])`, [
              tollgateIds,
            ])
          ).rows;
    return {
      devices: new Map(
        devices.map((row) => [
          row.id,
          { kind: row.kind, tollgateId: row.tollgate_id, laneNo: row.lane_no === null ? null : Number(row.lane_no) },
        ]),
      ),
      tollgates: new Set(tollgates.map((row) => row.id)),
    };
  }

  async find(id: string): Promise<DeviceRecord | undefined> {
    const result = await this.database.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id]);
    return result.rows[0] && toRecord(result.rows[0]);
  }

  async list(filter: { kind?: DeviceKind; area?: string; online?: boolean } = {}): Promise<DeviceRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ['kind', filter.kind],
      ['area', filter.area],
      ['online', filter.online],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      conditions.push(`${column} = $${params.length}`);
    }
    const result = await this.database.query<DeviceRow>(
      `SELECT ${DEVICE_COLUMNS} FROM devices ${conditions.length ? 'WHERE ' + conditions.join(' AND ') : ''} ORDER BY id`,
      params,
    );
    return result.rows.map(toRecord);
  }

  /** Records a state the device reported (or its last will); returns the change when the state flipped. */
  async setState(deviceId: string, online: boolean, at: string, reason: string): Promise<StateChange | undefined> {
    return this.database.transaction(async (tx) => {
      const updated = await tx.query<{ kind: DeviceKind }>(
        `UPDATE devices SET online = $2, state_changed_at = $3, last_seen_at = greatest(last_seen_at, $3)
         WHERE id = $1 AND online IS DISTINCT FROM $2 RETURNING kind`,
        [deviceId, online, at],
      );
      if (updated.rowCount === 0) return undefined;
      await tx.query(`INSERT INTO device_status_changes (device_id, at, online, reason) VALUES ($1, $2, $3, $4)`, [
        deviceId,
        at,
        online,
        reason,
      ]);
      return { deviceId, kind: updated.rows[0]!.kind, online, at, reason };
    });
  }

  /** Stores heartbeats and marks their devices seen; returns devices that were offline until now. */
  async recordHeartbeats(
    heartbeats: readonly { payload: HeartbeatPayload; receivedAt: string }[],
  ): Promise<StateChange[]> {
    return this.database.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO heartbeats (device_id, at, seq, uptime_s, health)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::jsonb[])
         ON CONFLICT DO NOTHING`,
        [
          heartbeats.map((h) => h.payload.deviceId),
          heartbeats.map((h) => h.payload.at),
          heartbeats.map((h) => h.payload.seq),
          heartbeats.map((h) => h.payload.uptimeS),
          heartbeats.map((h) => JSON.stringify(h.payload.health)),
        ],
      );
      const seen = await tx.query<{ id: string; kind: DeviceKind; was_online: boolean; at: Date }>(
        `WITH latest AS (
           SELECT DISTINCT ON (u.device_id) u.device_id, u.received_at, u.interval_s
           FROM unnest($1::text[], $2::timestamptz[], $3::integer[]) AS u(device_id, received_at, interval_s)
           ORDER BY u.device_id, u.received_at DESC
         ), before AS (
           SELECT d.id, d.online FROM devices d JOIN latest l ON l.device_id = d.id FOR UPDATE OF d
         )
         UPDATE devices d SET last_heartbeat_at = l.received_at, last_seen_at = l.received_at,
           heartbeat_interval_s = l.interval_s, online = true,
           state_changed_at = CASE WHEN d.online THEN d.state_changed_at ELSE l.received_at END
         FROM latest l, before b WHERE d.id = l.device_id AND b.id = d.id
         RETURNING d.id, d.kind, b.online AS was_online, l.received_at AS at`,
        [
          heartbeats.map((h) => h.payload.deviceId),
          heartbeats.map((h) => h.receivedAt),
          heartbeats.map((h) => h.payload.intervalS),
        ],
      );
      const changes = seen.rows
        .filter((row) => !row.was_online)
        .map((row) => ({
          deviceId: row.id,
          kind: row.kind,
          online: true,
          at: new Date(row.at).toISOString(),
          reason: 'heartbeat',
        }));
      for (const change of changes) {
        await tx.query(`INSERT INTO device_status_changes (device_id, at, online, reason) VALUES ($1, $2, true, $3)`, [
          change.deviceId,
          change.at,
          change.reason,
        ]);
      }
      return changes;
    });
  }

  /** Marks offline every online device silent for longer than its interval times `missedCount`. */
  async expireSilentDevices(now: Date, missedCount: number): Promise<StateChange[]> {
    return this.database.transaction(async (tx) => {
      const expired = await tx.query<{ id: string; kind: DeviceKind }>(
        `UPDATE devices SET online = false, state_changed_at = $1
         WHERE online AND coalesce(last_heartbeat_at, last_seen_at, state_changed_at, created_at)
               < $1::timestamptz - make_interval(secs => heartbeat_interval_s * $2::integer)
         RETURNING id, kind`,
        [now.toISOString(), missedCount],
      );
      const at = now.toISOString();
      if (expired.rowCount > 0) {
        await tx.query(
          `INSERT INTO device_status_changes (device_id, at, online, reason)
           SELECT id, $2, false, 'heartbeat_timeout' FROM unnest($1::text[]) AS id`,
          [expired.rows.map((row) => row.id), at],
        );
      }
      return expired.rows.map((row) => ({
        deviceId: row.id,
        kind: row.kind,
        online: false,
        at,
        reason: 'heartbeat_timeout',
      }));
    });
  }

  async statusHistory(deviceId: string, limit: number): Promise<DeviceStatusEntry[]> {
    const result = await this.database.query<{ at: Date; online: boolean; reason: DeviceStatusEntry['reason'] }>(
      `SELECT at, online, reason FROM device_status_changes WHERE device_id = $1 ORDER BY at DESC LIMIT $2`,
      [deviceId, limit],
    );
    return result.rows.map((row) => ({ at: new Date(row.at).toISOString(), online: row.online, reason: row.reason }));
  }

  /** The device's newest events of every kind (each read through its device + time index), and the last hour's counts. */
  async recentActivity(deviceId: string, limit: number, now: Date): Promise<DeviceActivity> {
    const hourAgo = new Date(now.getTime() - 3_600_000).toISOString();
    const sources = [
      { kind: 'passage', table: 'passages', time: 'pass_time', label: 'plate_no' },
      { kind: 'face', table: 'face_captures', time: 'shot_time', label: 'NULL::text' },
      { kind: 'incident', table: 'incidents', time: 'at', label: 'kind' },
    ] as const;
    const events: DeviceEventSummary[] = [];
    const lastHourCounts = { passage: 0, face: 0, incident: 0 };
    for (const source of sources) {
      const recent = await this.database.query<{ event_id: string; at: Date; label: string | null }>(
        `SELECT event_id, ${source.time} AS at, ${source.label} AS label FROM ${source.table}
         WHERE device_id = $1 ORDER BY ${source.time} DESC LIMIT $2`,
        [deviceId, limit],
      );
      for (const row of recent.rows) {
        events.push({ kind: source.kind, eventId: row.event_id, at: new Date(row.at).toISOString(), label: row.label });
      }
      const counted = await this.database.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${source.table} WHERE device_id = $1 AND ${source.time} >= $2`,
        [deviceId, hourAgo],
      );
      lastHourCounts[source.kind] = Number(counted.rows[0]?.n ?? 0);
    }
    events.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    return { events: events.slice(0, limit), lastHourCounts };
  }

  async knownIds(ids: readonly string[]): Promise<Map<string, DeviceKind>> {
    const result = await this.database.query<{ id: string; kind: DeviceKind }>(
      `SELECT id, kind FROM devices WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(result.rows.map((row) => [row.id, row.kind]));
  }
}

async function upsertDevices(tx: Queryable, devices: readonly DeviceRegistration[]): Promise<void> {
  await tx.query(
    `INSERT INTO devices (id, name, kind, lat, lon, place, area, tollgate_id, lane_no, has_loudspeaker, heartbeat_interval_s)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[],
                          $8::text[], $9::smallint[], $10::boolean[], $11::integer[])
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
       place = EXCLUDED.place, area = EXCLUDED.area, tollgate_id = EXCLUDED.tollgate_id, lane_no = EXCLUDED.lane_no,
       has_loudspeaker = EXCLUDED.has_loudspeaker, heartbeat_interval_s = EXCLUDED.heartbeat_interval_s,
       updated_at = now()`,
    [
      devices.map((d) => d.id),
      devices.map((d) => d.name),
      devices.map((d) => d.kind),
      devices.map((d) => d.lat),
      devices.map((d) => d.lon),
      devices.map((d) => d.place),
      devices.map((d) => d.area),
      devices.map((d) => d.tollgateId ?? null),
      devices.map((d) => d.laneNo ?? null),
      devices.map((d) => d.hasLoudspeaker ?? false),
      devices.map((d) => d.heartbeatIntervalS ?? 30),
    ],
  );
}
