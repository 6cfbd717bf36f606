import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_KINDS, type DeviceKind } from '../device-id';

/** `GET /api/devices`: every filter optional. */
export const DeviceListQuery = Type.Object(
  {
    kind: Type.Optional(Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k)))),
    area: Type.Optional(Type.String({ maxLength: 100 })),
    online: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DeviceListQuery = Static<typeof DeviceListQuery>;

/** `GET /api/devices/:id/history` and `…/events`: how many entries, newest first. */
export const DeviceEntriesQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) },
  { additionalProperties: false },
);
export type DeviceEntriesQuery = Static<typeof DeviceEntriesQuery>;

/** A registered device as the REST API returns it (`GET /api/devices`, `GET /api/devices/:id`). */
export interface DeviceRecord {
  id: string;
  name: string;
  kind: DeviceKind;
  lat: number;
  lon: number;
  place: string;
  area: string;
  tollgateId: string | null;
  laneNo: number | null;
  hasLoudspeaker: boolean;
  heartbeatIntervalS: number;
  online: boolean;
  stateChangedAt: string | null;
  lastSeenAt: string | null;
  lastHeartbeatAt: string | null;
}

/** One online/offline change of a device (`GET /api/devices/:id/history`), newest first. */
export interface DeviceStatusEntry {
  at: string;
  online: boolean;
  reason: 'startup' | 'shutdown' | 'last_will' | 'reconnect' | 'heartbeat_timeout' | 'heartbeat';
}

/** One recent event of a device (`GET /api/devices/:id/events`), newest first, without images. */
export interface DeviceEventSummary {
  kind: 'passage' | 'face' | 'incident';
  eventId: string;
  at: string;
  /** Plate for passages, incident kind for incidents, null for faces. */
  label: string | null;
}

/** A device's recent activity: its events and how many arrived in the last hour, by kind. */
export interface DeviceActivity {
  events: DeviceEventSummary[];
  lastHourCounts: Record<DeviceEventSummary['kind'], number>;
}
