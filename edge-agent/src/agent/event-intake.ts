import {
  encodeMessage,
  PAYLOAD_VERSION,
  ProtocolError,
  type EventKind,
  type MessagePayload,
} from '@citywatch/protocol';
import { SpoolFullError, type EventPriority, type NewSpoolEntry, type SpoolEntry } from '../spool/spool-types';
import { EventRejectedError, type AcceptedEvent, type EventDraft, type EventSink } from '../sources/event-source';
import { uuidV7 } from '../util/uuid-v7';

/** Default priority per kind: bulk ANPR reads go first when the spool is full, incidents never. */
export const DEFAULT_PRIORITY: Readonly<Record<EventKind, EventPriority>> = {
  passage: 'low',
  face: 'normal',
  incident: 'alert',
};

export interface EventIntakeOptions {
  spool: { append(entry: NewSpoolEntry): Promise<SpoolEntry> };
  isKnownDevice: (deviceId: string) => boolean;
  /** Called once an event is committed, so the device's publisher sends it. */
  onAccepted: (deviceId: string) => void;
  clock?: () => number;
}

/**
 * The one way into the spool: stamps the version, device id and a stable event id (UUID v7 unless
 * the source gave one), validates the payload with the protocol exactly as the hub will, and spools
 * the encoded bytes so that every resend is the same message.
 */
export class EventIntake implements EventSink {
  private readonly counters = { accepted: 0, rejected: 0 };

  constructor(private readonly options: EventIntakeOptions) {}

  hasDevice(deviceId: string): boolean {
    return this.options.isKnownDevice(deviceId);
  }

  stats(): { accepted: number; rejected: number } {
    return { ...this.counters };
  }

  /**
   * Builds and validates the event exactly as `submit` would, without spooling it; throws
   * EventRejectedError with the reasons. Sources call it before they keep anything of the event (a
   * picture stored under its id), so a refused event leaves nothing behind.
   */
  check(deviceId: string, draft: EventDraft): { eventId: string } {
    return { eventId: this.encode(deviceId, draft).eventId };
  }

  async submit(
    deviceId: string,
    draft: EventDraft,
    options: { priority?: EventPriority } = {},
  ): Promise<AcceptedEvent> {
    try {
      const { eventId, payload } = this.encode(deviceId, draft);
      const priority = options.priority ?? DEFAULT_PRIORITY[draft.kind];
      let entry: SpoolEntry;
      try {
        entry = await this.options.spool.append({ deviceId, kind: draft.kind, eventId, priority, payload });
      } catch (error) {
        if (error instanceof SpoolFullError) throw new EventRejectedError('spool_full', error.message);
        throw error;
      }
      this.counters.accepted += 1;
      this.options.onAccepted(deviceId);
      return { eventId, kind: draft.kind, seq: entry.seq };
    } catch (error) {
      this.counters.rejected += 1;
      throw error;
    }
  }

  /** Stamps version, device id and (when the source gave none) a UUID v7, then validates and encodes with the protocol. */
  private encode(deviceId: string, draft: EventDraft): { eventId: string; payload: Buffer } {
    if (!this.options.isKnownDevice(deviceId)) {
      throw new EventRejectedError('unknown_device', `device ${deviceId} is not configured on this agent`);
    }
    const clock = this.options.clock ?? Date.now;
    const eventId = draft.payload.eventId ?? uuidV7(clock());
    const message = { ...draft.payload, v: PAYLOAD_VERSION, eventId, deviceId } as MessagePayload<typeof draft.kind>;
    try {
      return { eventId, payload: encodeMessage(draft.kind, message, { now: clock(), topicDeviceId: deviceId }) };
    } catch (error) {
      if (error instanceof ProtocolError) {
        throw new EventRejectedError(error.failure.reason, error.failure.message, error.failure.errors);
      }
      throw error;
    }
  }
}
