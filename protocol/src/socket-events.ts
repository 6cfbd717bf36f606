import type { AlertChange, AlertOperationReply, AlertRecord, AlertRefusal, AssignAlertBody } from './api/alerts';
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
  /** A new alert or a change to one the console may see, numbered by `seq`. */
  'alert:change': (change: AlertChange) => void;
}

/** Sent on (re)connect: the highest `seq` the console has seen (0 for none), optionally only some areas. */
export interface AlertSyncRequest {
  lastSeq: number;
  /** Narrow the live stream and the catch-up to these areas (roles that see every area only). */
  areas?: string[];
}

/**
 * The alerts changed since `lastSeq`, each once at its latest state, in `seq` order, leaving out those
 * already pushed to this socket as `alert:change`. When `more` is true, send `alerts:sync` again with
 * `lastSeq` set to `upToSeq`.
 */
export type AlertSyncReply =
  { ok: true; alerts: AlertRecord[]; upToSeq: number; more: boolean } | { ok: false; error: AlertRefusal };

type Ack<T> = (reply: T) => void;

/** Events consoles send to the hub; each one answers through a socket.io acknowledgement. */
export interface ClientToServerEvents {
  ping: (ack: (reply: { serverTime: string }) => void) => void;
  'alerts:sync': (request: AlertSyncRequest, ack: Ack<AlertSyncReply>) => void;
  'alert:claim': (request: { alertId: string }, ack: Ack<AlertOperationReply>) => void;
  'alert:assign': (request: { alertId: string } & AssignAlertBody, ack: Ack<AlertOperationReply>) => void;
  'alert:resolve': (request: { alertId: string; resolution: string }, ack: Ack<AlertOperationReply>) => void;
  'alert:false-alarm': (request: { alertId: string; reason: string }, ack: Ack<AlertOperationReply>) => void;
  'alert:reopen': (request: { alertId: string; reason: string }, ack: Ack<AlertOperationReply>) => void;
  'alert:comment': (request: { alertId: string; text: string }, ack: Ack<AlertOperationReply>) => void;
}

export const SOCKET_EVENTS = {
  hello: 'hello',
  passageNew: 'passage:new',
  deviceStatus: 'device:status',
  alertChange: 'alert:change',
} as const satisfies Record<string, keyof ServerToClientEvents>;
