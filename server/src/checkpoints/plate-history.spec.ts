import { describe, expect, it } from 'vitest';
import { MemoryPlateHistory, type Sighting } from './plate-history';

const sighting = (plateNo: string, at: number, eventId = `${plateNo}-${at}`): Sighting => ({
  plateNo,
  eventId,
  at,
  tollgateId: 'TG01',
  plateConfidence: 0.95,
});

describe('MemoryPlateHistory', () => {
  it('answers the earlier sightings of a plate within the horizon', async () => {
    const history = new MemoryPlateHistory();
    await history.sightings([sighting('黑A12345', 1_000), sighting('黑A12345', 5_000)], 10_000);
    const [others] = await history.sightings([sighting('黑A12345', 9_000)], 10_000);
    expect(others!.map((s) => s.at)).toEqual([1_000, 5_000]);
    const [far] = await history.sightings([sighting('黑A12345', 40_000)], 10_000);
    expect(far).toEqual([]);
  });

  it('holds at most maxSightings in all, forgetting the least recently seen plates first', async () => {
    const history = new MemoryPlateHistory(1_000, 100, 50);
    for (let plate = 0; plate < 40; plate++) {
      await history.sightings(
        [0, 1, 2].map((i) => sighting(`黑A${String(10000 + plate)}`, plate * 10 + i)),
        3_600_000,
      );
    }
    expect(history.sightingsHeld).toBeLessThanOrEqual(50);
    const [recent] = await history.sightings([sighting('黑A10039', 500)], 3_600_000);
    expect(recent).toHaveLength(3);
    const [forgotten] = await history.sightings([sighting('黑A10000', 500)], 3_600_000);
    expect(forgotten).toEqual([]);
  });
});
