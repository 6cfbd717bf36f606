import { describe, expect, it } from 'vitest';
import type { IncidentEventPayload, PassageEventPayload } from '@citywatch/protocol';
import { livePassage, splitStored, storedIncident } from './stored-views';

const passage: PassageEventPayload = {
  v: 1,
  eventId: 'e1',
  deviceId: '23010800001210000001',
  tollgateId: 'TG-A',
  laneNo: 2,
  direction: 'N',
  passTime: '2026-11-27T10:00:00.000Z',
  plateNo: '黑A12345',
  plateColor: 'blue',
  plateConfidence: 0.97,
  charConfidences: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
  vehicleClass: 'car',
  vehicleColor: 'white',
  speedKmh: 52,
  images: [{ kind: 'plate', url: 'https://example.test/p.jpg' }],
} as PassageEventPayload;

describe('stored views', () => {
  it('gives the live passage every field of the event but the version, images and character confidences', () => {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { v, images, charConfidences, ...rest } = passage;
    expect(JSON.parse(JSON.stringify(livePassage(passage, 'S')))).toEqual({ ...rest, storedAt: 'S' });
  });

  it('gives the stored incident its fields, without the inline image but saying there was one', () => {
    const incident = {
      v: 1,
      eventId: 'i1',
      deviceId: '23010800001110000001',
      at: '2026-11-27T10:00:00.000Z',
      kind: 'crowding',
      confidence: 0.8,
      imageJpegBase64: '/9j/',
    } as IncidentEventPayload;
    expect(storedIncident(incident, 'S')).toEqual({
      eventId: 'i1',
      deviceId: '23010800001110000001',
      at: '2026-11-27T10:00:00.000Z',
      kind: 'crowding',
      confidence: 0.8,
      storedAt: 'S',
      hasImage: true,
    });
  });

  it('splits a batch into events stored now and events stored before, each once', () => {
    const ids = ['a', 'b', 'a', 'c'].map((eventId) => ({ eventId }));
    const { fresh, again } = splitStored(ids, { count: 2, isNew: (id) => id !== 'b', storedAt: 'S' }, (item, at) => [
      item.eventId,
      at,
    ]);
    expect(fresh).toEqual([
      ['a', 'S'],
      ['c', 'S'],
    ]);
    expect(again.map(([id]) => id)).toEqual(['b']);
  });
});
