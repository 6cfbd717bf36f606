import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MESSAGES } from '@citywatch/protocol';
import { ImageStore } from '../images/image-store';
import type { EventDraft, EventSink } from '../sources/event-source';
import { buildDistrictEstate, type DistrictEstate } from './district-estate';
import { DistrictSimulator } from './district-simulator';
import { DistrictTrafficModel, SLICE_MS } from './district-traffic-model';

const full = buildDistrictEstate();
// Twelve lanes and twelve street cameras are enough to see the clock, and quick to generate.
const devices = [
  ...full.devices.filter((device) => device.lane).slice(0, 12),
  ...full.devices.filter((device) => device.kind === 'hd_camera').slice(0, 12),
];
const estate: DistrictEstate = { ...full, devices, byId: new Map(devices.map((d) => [d.registration.id, d])) };
// 08:00 in Harbin, a morning peak.
const startAt = Date.UTC(2026, 10, 27, 0, 0, 0);
const realStart = Date.UTC(2026, 10, 30, 4, 0, 0);

interface Submitted {
  deviceId: string;
  kind: string;
  /** The wall-clock time the event carries. */
  at: number;
}

function recordingSink(into: Submitted[]): EventSink {
  return {
    check: () => ({ eventId: 'unused-id' }),
    hasDevice: () => true,
    submit: async (deviceId: string, draft: EventDraft) => {
      const field = MESSAGES[draft.kind].timeField as keyof typeof draft.payload;
      into.push({ deviceId, kind: draft.kind, at: Date.parse(draft.payload[field] as string) });
      return { eventId: `e-${into.length}`, kind: draft.kind, seq: into.length };
    },
  };
}

/** Runs the simulator for `realMs` of (fake) wall-clock time and returns what it submitted. */
async function run(
  timeCompression: number,
  realMs: number,
): Promise<{ simulator: DistrictSimulator; submitted: Submitted[] }> {
  const submitted: Submitted[] = [];
  const simulator = new DistrictSimulator({
    estate,
    seed: 5,
    timeCompression,
    faults: false,
    startAt,
    images: new ImageStore(tmpdir()),
  });
  await simulator.start({
    sink: recordingSink(submitted),
    links: { sever: () => undefined, restore: () => undefined },
  });
  await vi.advanceTimersByTimeAsync(realMs);
  await simulator.stop();
  return { simulator, submitted };
}

/** The model's own events between two simulated instants, in time order. */
function modelEvents(from: number, to: number): { deviceId: string; kind: string; simTime: number }[] {
  const model = new DistrictTrafficModel(estate, { seed: 5 });
  const events = [];
  for (let slice = Math.floor(from / SLICE_MS) * SLICE_MS; slice <= to; slice += SLICE_MS) {
    for (const event of model.generateSlice(slice).events) {
      if (event.simTime >= from && event.simTime <= to)
        events.push({ deviceId: event.deviceId, kind: event.draft.kind, simTime: event.simTime });
    }
  }
  return events;
}

describe('DistrictSimulator time compression', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: realStart });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the simulated clock N times faster and plays the simulated span, stamped with wall-clock times', async () => {
    const { simulator, submitted } = await run(60, 3000);
    // 3 s of wall clock at 60x: three simulated minutes.
    expect(simulator.simNow()).toBe(startAt + 180_000);
    expect(simulator.stats().simulatedTime).toBe(new Date(startAt + 180_000).toISOString());

    // Everything the model has for those three minutes was played, in order, none of what comes after.
    const expected = modelEvents(startAt, startAt + 180_000);
    expect(expected.length).toBeGreaterThan(100);
    expect(submitted.map((e) => `${e.deviceId}/${e.kind}`)).toEqual(expected.map((e) => `${e.deviceId}/${e.kind}`));
    // Each carries the wall-clock moment its simulated time maps to: realStart + (simTime - startAt) / 60.
    submitted.forEach((event, index) => {
      const mapped = realStart + (expected[index].simTime - startAt) / 60;
      expect(Math.abs(event.at - mapped)).toBeLessThanOrEqual(1);
      expect(event.at).toBeLessThanOrEqual(realStart + 3000);
    });
  });

  it('at 1x plays the same three seconds of the model in three seconds', async () => {
    const { simulator, submitted } = await run(1, 3000);
    expect(simulator.simNow()).toBe(startAt + 3000);
    expect(submitted.map((e) => `${e.deviceId}/${e.kind}`)).toEqual(
      modelEvents(startAt, startAt + 3000).map((e) => `${e.deviceId}/${e.kind}`),
    );
    expect(submitted.every((event, index, all) => index === 0 || event.at >= all[index - 1].at)).toBe(true);
  });

  it('when behind, catches up in turns of at most maxEventsPerTurn events, each handing the event loop back', async () => {
    const submitted: Submitted[] = [];
    const simulator = new DistrictSimulator({
      estate,
      seed: 5,
      timeCompression: 60,
      faults: false,
      startAt,
      maxEventsPerTurn: 40,
      images: new ImageStore(tmpdir()),
    });
    await simulator.start({
      sink: recordingSink(submitted),
      links: { sever: () => undefined, restore: () => undefined },
    });
    // The process was busy for 10 s: ten simulated minutes are due at once, many turns' worth.
    vi.setSystemTime(realStart + 10_000);
    const dueNow = modelEvents(startAt, startAt + 600_000).length;
    expect(dueNow).toBeGreaterThan(20 * 40);

    // One timer callback is one turn of the event loop: each plays 40 events and returns, so the
    // agent's socket I/O (acknowledgements) runs between them, and the next turn does not wait for the
    // tick interval. A catch-up in one burst would play everything due in the first turn.
    const perTurn: number[] = [];
    const turnsStarted = Date.now();
    for (let turn = 0; turn < 20; turn += 1) {
      const before = submitted.length;
      vi.advanceTimersToNextTimer();
      perTurn.push(submitted.length - before);
    }
    expect(perTurn).toEqual(Array.from({ length: 20 }, () => 40));
    expect(Date.now() - turnsStarted).toBeLessThan(100 + 20 * 5);
    expect(simulator.stats().lagMs).toBeGreaterThan(0);
    // Slices are generated as they are played, not all that the clock has passed at once.
    expect(simulator.stats().generated).toBeLessThan(20 * 40 + dueNow / 10);

    // Then it catches up with everything that was due, in order, none lost.
    await vi.advanceTimersByTimeAsync(100);
    await simulator.stop();
    expect(simulator.stats().lagMs).toBe(0);
    const model = modelEvents(startAt, simulator.simNow()).map((e) => `${e.deviceId}/${e.kind}`);
    expect(submitted.length).toBeGreaterThanOrEqual(dueNow);
    expect(submitted.map((e) => `${e.deviceId}/${e.kind}`)).toEqual(model.slice(0, submitted.length));
  });

  it('generates the next slice a few devices per tick before the clock reaches it, not all in one tick', async () => {
    const submitted: Submitted[] = [];
    const simulator = new DistrictSimulator({
      estate,
      seed: 5,
      timeCompression: 1,
      faults: false,
      startAt,
      images: new ImageStore(tmpdir()),
    });
    const model = simulator.model;
    const continueSlice = model.continueSlice.bind(model);
    const perTick: number[] = [];
    const builtAt: number[] = [];
    const leftAtFinish: number[] = [];
    vi.spyOn(model, 'continueSlice').mockImplementation((slice, devices) => {
      const before = slice.nextDevice;
      const done = continueSlice(slice, devices);
      (devices === undefined ? leftAtFinish : perTick).push(slice.nextDevice - before);
      if (devices !== undefined) builtAt.push(Date.now());
      return done;
    });
    await simulator.start({
      sink: recordingSink(submitted),
      links: { sever: () => undefined, restore: () => undefined },
    });
    await vi.advanceTimersByTimeAsync(25_000);
    await simulator.stop();
    // The first slice is due at once; the two after it were ready when the clock reached them.
    expect(leftAtFinish).toEqual([estate.devices.length, 0, 0]);
    // 24 devices over the ~100 ticks of a slice: one device every few ticks ...
    expect(perTick.length).toBeGreaterThanOrEqual(2 * estate.devices.length);
    expect(Math.max(...perTick)).toBe(1);
    // ... spread over the ten seconds before the clock reaches the slice.
    const firstSliceBuilds = builtAt.filter((at) => at < realStart + 10_000);
    expect(firstSliceBuilds).toHaveLength(estate.devices.length);
    expect(firstSliceBuilds.at(-1)! - firstSliceBuilds[0]).toBeGreaterThan(8_000);
    expect(submitted.map((e) => `${e.deviceId}/${e.kind}`)).toEqual(
      modelEvents(startAt, startAt + 25_000).map((e) => `${e.deviceId}/${e.kind}`),
    );
  });

  it('refuses a compression that is not positive', () => {
    for (const timeCompression of [0, -2, Number.NaN]) {
      expect(
        () => new DistrictSimulator({ estate, seed: 1, timeCompression, images: new ImageStore(tmpdir()) }),
      ).toThrow(RangeError);
    }
  });
});
