import { describe, expect, it } from 'vitest';
import { CaptureSearchIndex } from './capture-search-index';
import { normaliseL2 } from './face-embedder';

const unit = (seed: number) => normaliseL2(Float32Array.from({ length: 128 }, (_, i) => Math.sin(seed * 17 + i * 3.1)));
const DAY = 86_400_000;

describe('CaptureSearchIndex', () => {
  it('finds the most similar captures within the window and devices, best first, with int8 error under 0.005', () => {
    const index = new CaptureSearchIndex(3);
    const day = CaptureSearchIndex.dayOf(Date.UTC(2026, 10, 27, 12));
    const captures = Array.from({ length: 300 }, (_, n) => ({
      eventId: `event-${n}`,
      deviceId: `dev-${n % 3}`,
      shotTime: day + n * 60_000,
      descriptor: unit(n),
    }));
    index.open(day, captures);
    const query = unit(42);
    const { matches, searched } = index.search(query, { from: day, to: day + DAY - 1, limit: 5, minSimilarity: -1 });
    expect(searched).toBe(300);
    expect(matches[0].eventId).toBe('event-42');
    expect(matches[0].similarity).toBeGreaterThan(0.995);
    const exact = (n: number) => captures[n].descriptor.reduce((sum, v, i) => sum + v * query[i], 0);
    for (const match of matches)
      expect(Math.abs(match.similarity - exact(Number(match.eventId.slice(6))))).toBeLessThan(0.005);
    expect(matches.map((m) => m.similarity)).toEqual([...matches.map((m) => m.similarity)].sort((a, b) => b - a));

    const filtered = index.search(query, {
      from: day,
      to: day + 100 * 60_000,
      deviceIds: new Set(['dev-1']),
      limit: 50,
      minSimilarity: -1,
    });
    expect(filtered.searched).toBe(34);
    expect(filtered.matches.every((m) => m.deviceId === 'dev-1' && m.shotTime <= day + 100 * 60_000)).toBe(true);
  });

  it('adds captures only to loaded days, once each, and keeps at most maxDays', () => {
    const index = new CaptureSearchIndex(2);
    const day = CaptureSearchIndex.dayOf(Date.UTC(2026, 10, 27));
    const capture = { eventId: 'e1', deviceId: 'd', shotTime: day + 1, descriptor: unit(1) };
    expect(index.add(capture)).toBe(false);
    index.open(day);
    expect(index.add(capture)).toBe(true);
    index.add(capture);
    expect(index.captures).toBe(1);
    index.open(day + DAY);
    index.open(day + 2 * DAY);
    expect(index.loadedDays.length).toBe(2);
    index.dropBefore(day + 3 * DAY);
    expect(index.loadedDays).toEqual([]);
  });
});
