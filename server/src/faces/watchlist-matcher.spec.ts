import { describe, expect, it } from 'vitest';
import { normaliseL2 } from './face-embedder';
import { WatchlistMatcher, parseCategoryThresholds, type WatchlistTarget } from './watchlist-matcher';

const unit = (seed: number) => normaliseL2(Float32Array.from({ length: 128 }, (_, i) => Math.sin(seed * 31 + i * 7.3)));
const person = (id: string, overrides: Partial<WatchlistTarget> = {}): WatchlistTarget => ({
  id,
  name: `person ${id}`,
  category: 'wanted',
  priority: 1,
  reason: 'case',
  enabled: true,
  validFrom: 0,
  validUntil: null,
  deviceIds: new Set(),
  ...overrides,
});

describe('WatchlistMatcher', () => {
  const thresholds = { unknown: 0.9, byCategory: parseCategoryThresholds('wanted=0.97,vip=0.99', 0.97) };

  it('reports each person once with the similarity of their best photo, ranked, and a hit from its category threshold', () => {
    const matcher = new WatchlistMatcher(thresholds);
    // Orthonormal axes: cosines are exact.
    const axis = (n: number) => Float32Array.from({ length: 128 }, (_, i) => (i === n ? 1 : 0));
    const mix = (s: number, other: number) =>
      Float32Array.from(axis(0), (v, i) => s * v + Math.sqrt(1 - s * s) * axis(other)[i]);
    matcher.upsert(person('1'), [
      { id: '11', descriptor: axis(0) },
      { id: '12', descriptor: mix(0.95, 1) },
    ]);
    matcher.upsert(person('2', { category: 'vip' }), [{ id: '21', descriptor: mix(0.98, 2) }]);
    // 0.985 to photo 11, 0.936 to photo 12, 0.965 to photo 21.
    const candidates = matcher.match(mix(0.985, 3), 'dev', 1);
    expect(candidates.map((c) => [c.person.id, c.photoId, c.rank])).toEqual([
      ['1', '11', 1],
      ['2', '21', 2],
    ]);
    expect(candidates[0].hit).toBe(true);
    expect(candidates[1].similarity).toBeLessThan(0.99);
    expect(candidates[1].hit).toBe(false);
  });

  it('leaves out unknown faces, disabled people, those out of their window or scope', () => {
    const matcher = new WatchlistMatcher(thresholds);
    const a = unit(5);
    matcher.upsert(person('1', { deviceIds: new Set(['dev-a']) }), [{ id: '1', descriptor: a }]);
    matcher.upsert(person('2', { enabled: false }), [{ id: '2', descriptor: a }]);
    matcher.upsert(person('3', { validFrom: 100, validUntil: 200 }), [{ id: '3', descriptor: a }]);
    expect(
      matcher
        .match(a, 'dev-a', 150)
        .map((c) => c.person.id)
        .sort(),
    ).toEqual(['1', '3']);
    expect(matcher.match(a, 'dev-b', 250).map((c) => c.person.id)).toEqual([]);
    expect(matcher.match(unit(9), 'dev-a', 150)).toEqual([]);
  });

  it('replaces and removes a person with their photos', () => {
    const matcher = new WatchlistMatcher(thresholds);
    matcher.upsert(person('1'), [
      { id: '1', descriptor: unit(1) },
      { id: '2', descriptor: unit(2) },
    ]);
    matcher.upsert(person('1'), [{ id: '3', descriptor: unit(3) }]);
    expect([matcher.peopleCount, matcher.photoCount]).toEqual([1, 1]);
    expect(matcher.match(unit(1), 'd', 1)).toEqual([]);
    matcher.remove('1');
    expect([matcher.peopleCount, matcher.photoCount]).toEqual([0, 0]);
  });

  it('refuses a bad threshold list', () => {
    expect(() => parseCategoryThresholds('robber=0.9', 0.97)).toThrow(/robber/);
  });
});
