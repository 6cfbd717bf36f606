import { describe, expect, it } from 'vitest';
import { DatabasePlateHistory, MemoryPlateHistory, type Sighting } from './plate-history';

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
    await history.sightings([sighting('黑A12345', 1_000), sighting('黑A12345', 5_000)], 10_000, 64);
    const [others] = await history.sightings([sighting('黑A12345', 9_000)], 10_000, 64);
    expect(others!.map((s) => s.at)).toEqual([1_000, 5_000]);
    const [far] = await history.sightings([sighting('黑A12345', 40_000)], 10_000, 64);
    expect(far).toEqual([]);
  });

  it('holds at most maxSightings in all, forgetting the least recently seen plates first', async () => {
    const history = new MemoryPlateHistory(1_000, 100, 50);
    for (let plate = 0; plate < 40; plate++) {
      await history.sightings(
        [0, 1, 2].map((i) => sighting(`黑A${String(10000 + plate)}`, plate * 10 + i)),
        3_600_000,
        64,
      );
    }
    expect(history.sightingsHeld).toBeLessThanOrEqual(50);
    const [recent] = await history.sightings([sighting('黑A10039', 500)], 3_600_000, 64);
    expect(recent).toHaveLength(3);
    const [forgotten] = await history.sightings([sighting('黑A10000', 500)], 3_600_000, 64);
    expect(forgotten).toEqual([]);
  });

  it("compares a passage with its plate's perPlate latest sightings only", async () => {
    const history = new MemoryPlateHistory();
    await history.sightings(
      Array.from({ length: 10 }, (_, i) => sighting('黑A12345', 1_000 + i * 100)),
      3_600_000,
      64,
    );
    const [others] = await history.sightings([sighting('黑A12345', 5_000)], 3_600_000, 4);
    expect(others!.map((s) => s.at)).toEqual([1_600, 1_700, 1_800, 1_900]);
  });
});

describe('DatabasePlateHistory', () => {
  it("asks for each plate's perPlate latest sightings since the horizon before the batch's oldest passage", async () => {
    const asked: { plates: readonly string[]; since: string; perPlate: number }[] = [];
    const history = new DatabasePlateHistory({
      recentOfPlates: async (plates, since, perPlate) => {
        asked.push({ plates, since, perPlate });
        return [{ plateNo: '黑A12345', eventId: 'earlier', passTime: 4_000, tollgateId: 'TG02', plateConfidence: 0.9 }];
      },
    });
    const [a, b] = await history.sightings([sighting('黑A12345', 5_000), sighting('黑B00001', 7_000)], 10_000, 65);
    expect(asked).toEqual([{ plates: ['黑A12345', '黑B00001'], since: new Date(-5_000).toISOString(), perPlate: 65 }]);
    expect(a!.map((s) => s.eventId)).toEqual(['earlier']);
    expect(b).toEqual([]);
  });
});
