import type { FaceEventPayload, IncidentEventPayload, LivePassage, PassageEventPayload } from '@citywatch/protocol';
import type { StoredFaceCapture, StoredIncident } from '../common/hub-events';
import type { StoredEvents } from './event.repository';

/**
 * The events of a batch as their processors see them: those stored now (with their commit time), and
 * those that were already stored (a redelivery; given the time of this batch).
 */
export function splitStored<T extends { eventId: string }, R>(
  items: readonly T[],
  stored: StoredEvents,
  view: (item: T, storedAt: string) => R,
): { fresh: R[]; again: R[] } {
  const fresh: R[] = [];
  const again: R[] = [];
  const seen = new Set<string>();
  let now: string | undefined;
  for (const item of items) {
    if (seen.has(item.eventId)) continue;
    seen.add(item.eventId);
    if (stored.isNew(item.eventId)) fresh.push(view(item, stored.storedAt));
    else again.push(view(item, (now ??= new Date().toISOString())));
  }
  return { fresh, again };
}

/** A passage as the rules and consoles see it (built field by field: copying with a rest pattern is slow). */
export function livePassage(passage: PassageEventPayload, storedAt: string): LivePassage {
  return {
    eventId: passage.eventId,
    deviceId: passage.deviceId,
    tollgateId: passage.tollgateId,
    laneNo: passage.laneNo,
    direction: passage.direction,
    passTime: passage.passTime,
    plateNo: passage.plateNo,
    plateColor: passage.plateColor,
    plateConfidence: passage.plateConfidence,
    vehicleClass: passage.vehicleClass,
    vehicleColor: passage.vehicleColor,
    speedKmh: passage.speedKmh,
    storedAt,
  };
}

export function storedIncident(incident: IncidentEventPayload, storedAt: string): StoredIncident {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { v, imageJpegBase64, ...rest } = incident;
  return { ...rest, storedAt, hasImage: imageJpegBase64 !== undefined };
}

export function storedFace(face: FaceEventPayload, storedAt: string): StoredFaceCapture {
  return { eventId: face.eventId, deviceId: face.deviceId, shotTime: face.shotTime, storedAt };
}
