import { describe, expect, it } from 'vitest';
import { encodeMessage, PAYLOAD_VERSION } from '@citywatch/protocol';
import { buildDistrictEstate } from './district-estate';
import { DistrictTrafficModel, SLICE_MS } from './district-traffic-model';

const estate = buildDistrictEstate();
// 08:00 in Harbin, a morning peak.
const morning = Date.UTC(2026, 10, 27, 0, 0, 0);

describe('DistrictTrafficModel', () => {
  it('gives the same events for the same seed and slice, and different ones for another seed', () => {
    const a = new DistrictTrafficModel(estate, { seed: 7 }).generateSlice(morning);
    const b = new DistrictTrafficModel(estate, { seed: 7 }).generateSlice(morning);
    const c = new DistrictTrafficModel(estate, { seed: 8 }).generateSlice(morning);
    expect(a.events.length).toBeGreaterThan(0);
    expect(JSON.stringify(b.events)).toBe(JSON.stringify(a.events));
    expect(JSON.stringify(c.events)).not.toBe(JSON.stringify(a.events));
  });

  it('gives the same slices built a few devices at a time as generated at once, cloned plates included', () => {
    const whole = new DistrictTrafficModel(estate, { seed: 11, rateMultiplier: 20 });
    const pieces = new DistrictTrafficModel(estate, { seed: 11, rateMultiplier: 20 });
    let clones = 0;
    for (let slice = morning; slice < morning + 30 * SLICE_MS; slice += SLICE_MS) {
      const expected = whole.generateSlice(slice);
      const building = pieces.beginSlice(slice);
      let calls = 0;
      while (!pieces.continueSlice(building, 7)) calls += 1;
      expect(calls).toBe(Math.ceil(estate.devices.length / 7) - 1);
      const built = pieces.finishSlice(building);
      expect(JSON.stringify(built)).toBe(JSON.stringify(expected));
      clones += built.events.filter((event) => event.tags.includes('clone')).length;
    }
    expect(clones).toBeGreaterThan(0);
  });

  it('produces events the protocol accepts, sorted in time and inside their slice', () => {
    const model = new DistrictTrafficModel(estate, { seed: 3, rateMultiplier: 5 });
    const { events } = model.generateSlice(morning);
    for (const event of events) {
      const payload = {
        ...event.draft.payload,
        v: PAYLOAD_VERSION,
        eventId: `sim-${event.simTime}-0001`,
        deviceId: event.deviceId,
      };
      expect(() => encodeMessage(event.draft.kind, payload as never, { now: morning })).not.toThrow();
      expect(event.simTime).toBeGreaterThanOrEqual(morning);
      expect(event.simTime).toBeLessThan(morning + SLICE_MS);
    }
    expect(events.map((e) => e.simTime)).toEqual([...events.map((e) => e.simTime)].sort((x, y) => x - y));
  });

  it('follows the daily curve and the multiplier', () => {
    const model = new DistrictTrafficModel(estate, { seed: 1 });
    const count = (start: number, slices: number, m = model) => {
      let total = 0;
      for (let i = 0; i < slices; i += 1) total += m.generateSlice(start + i * SLICE_MS).events.length;
      return total;
    };
    const threeAm = morning - 5 * 3_600_000;
    expect(count(morning, 30)).toBeGreaterThan(count(threeAm, 30) * 5);
    const tenfold = new DistrictTrafficModel(estate, { seed: 1, rateMultiplier: 10 });
    const ratio = count(morning, 30, tenfold) / count(morning, 30);
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(12);
  });

  it('mostly Harbin plates, speeds around the limits with some speeders', () => {
    const model = new DistrictTrafficModel(estate, { seed: 5, rateMultiplier: 20 });
    const passages = model.generateSlice(morning + 3_600_000).events.filter((e) => e.draft.kind === 'passage');
    const plates = passages.map((e) => (e.draft.payload as { plateNo: string }).plateNo);
    const harbin = plates.filter((plate) => plate.startsWith('黑A')).length / plates.length;
    expect(harbin).toBeGreaterThan(0.6);
    expect(plates.some((plate) => !plate.startsWith('黑'))).toBe(true);
    expect(passages.some((e) => e.tags.includes('speeder'))).toBe(true);
    expect(new Set(plates).size).toBeLessThan(plates.length);
  });
});
