import type { DeviceKind } from '../device-id';

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
