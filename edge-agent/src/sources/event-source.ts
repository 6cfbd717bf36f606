import type {
  EventKind,
  FaceEventPayload,
  IncidentEventPayload,
  PassageEventPayload,
  RejectReason,
} from '@citywatch/protocol';
import type { DeviceControls } from '../commands/device-controls';
import type { Health } from '../health/host-health';
import type { EventPriority } from '../spool/spool-types';

type Draft<T> = Omit<T, 'v' | 'eventId' | 'deviceId'> & {
  /** A source that can make a stable id (a file name, a camera's own id) gives it, so a re-read is not a new event. */
  eventId?: string;
};

/** An event as a source produces it: the agent adds the version, the device id and, if missing, the event id. */
export type EventDraft =
  | { kind: 'passage'; payload: Draft<PassageEventPayload> }
  | { kind: 'face'; payload: Draft<FaceEventPayload> }
  | { kind: 'incident'; payload: Draft<IncidentEventPayload> };

export interface AcceptedEvent {
  eventId: string;
  kind: EventKind;
  seq: number;
}

/** Why the agent refused an event: the protocol's reasons plus the agent's own. */
export type EventRejectReason = RejectReason | 'unknown_device' | 'spool_full' | 'bad_input';

export class EventRejectedError extends Error {
  constructor(
    readonly reason: EventRejectReason,
    message: string,
    readonly errors: string[] = [],
  ) {
    super(message);
    this.name = 'EventRejectedError';
  }
}

/** Where sources hand their events. `submit` resolves once the event is durably spooled: accepted. */
export interface EventSink {
  /**
   * Validates an event as `submit` will (the protocol's checks, the device known here) without spooling
   * it; throws EventRejectedError with every problem. A source that keeps something under the event's
   * id (a picture) checks first, so a refused event leaves nothing behind.
   */
  check(deviceId: string, draft: EventDraft): { eventId: string };
  submit(deviceId: string, draft: EventDraft, options?: { priority?: EventPriority }): Promise<AcceptedEvent>;
  hasDevice(deviceId: string): boolean;
}

/** The device links of the agent, for sources that model devices going away (the simulator). */
export interface DeviceLinks {
  /** The device's link drops without goodbye: the broker publishes its last will. */
  sever(deviceId: string): void;
  /** The link comes back; `rebooted` restarts the device's uptime. */
  restore(deviceId: string, options?: { rebooted?: boolean }): void;
}

export interface SourceContext {
  sink: EventSink;
  links: DeviceLinks;
}

/**
 * A producer of events for one or more devices: the district simulator, a folder watched for FTP
 * uploads, an HTTP receiver for alarm pushes. Sources may also know a device's health and controls.
 */
export interface EventSource {
  readonly name: string;
  start(context: SourceContext): Promise<void>;
  stop(): Promise<void>;
  /** What this source knows of a device's health (frame rate, video loss, tamper). */
  health?(deviceId: string): Partial<Health>;
  /** Controls for a device this source drives, if any. */
  controls?(deviceId: string): DeviceControls | undefined;
}
