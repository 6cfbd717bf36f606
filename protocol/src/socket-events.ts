import type { DeviceKind } from './device-id';
import type { PassageEventPayload } from './payloads/event-payloads';

/** The socket.io namespace the console connects to. */
export const LIVE_NAMESPACE = '/live';

/** A stored passage as pushed to consoles (images left out; fetch them through the REST API). */
export type LivePassage = Omit<PassageEventPayload, 'v' | 'images' | 'charConfidences'> & {
  /** When the hub committed the row, ISO 8601. */
  storedAt: string;
};

export interface DeviceStatusChange {
  deviceId: string;
  kind?: DeviceKind;
  state: 'online' | 'offline';
  /** When the hub saw the change, ISO 8601. */
  at: string;
  reason: 'startup' | 'shutdown' | 'last_will' | 'reconnect' | 'heartbeat_timeout' | 'heartbeat';
}

export interface HelloMessage {
  hubId: string;
  serverTime: string;
}

/** Events the hub pushes to consoles. */
export interface ServerToClientEvents {
  hello: (message: HelloMessage) => void;
  'passage:new': (passage: LivePassage) => void;
  'device:status': (change: DeviceStatusChange) => void;
}

/** Events consoles send to the hub; each one answers through a socket.io acknowledgement. */
export interface ClientToServerEvents {
  ping: (ack: (reply: { serverTime: string }) => void) => void;
}

export const SOCKET_EVENTS = {
  hello: 'hello',
  passageNew: 'passage:new',
  deviceStatus: 'device:status',
} as const satisfies Record<string, keyof ServerToClientEvents>;
