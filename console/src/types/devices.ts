import type { DeviceKind } from '@citywatch/protocol';

/**
 * A device as GET /api/devices returns it. The hub declares this shape in
 * `server/src/devices/devices.repository.ts` (`DeviceRecord`) and the protocol package does not export it
 * yet; move it to `protocol/src/api/` and import it from there when it lands.
 */
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

export interface DeviceListQuery {
  kind?: DeviceKind;
  area?: string;
  online?: boolean;
}
