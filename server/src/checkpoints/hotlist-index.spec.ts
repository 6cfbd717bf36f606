import { describe, expect, it } from 'vitest';
import type { HotlistEntry } from '@citywatch/protocol';
import { HotlistIndex } from './hotlist-index';

const NOW = Date.parse('2026-11-27T08:00:00Z');

function entry(id: string, plate: string, overrides: Partial<HotlistEntry> = {}): HotlistEntry {
  return {
    id,
    plate,
    kind: /[?*]/.test(plate) ? 'pattern' : 'exact',
    category: 'stolen',
    priority: 1,
    reason: 'case 1',
    validFrom: '2026-11-01T00:00:00Z',
    validUntil: null,
    tollgateIds: [],
    fuzzy: true,
    createdBy: null,
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    ...overrides,
  };
}

describe('HotlistIndex', () => {
  it('hits exact plates and patterns', () => {
    const index = new HotlistIndex();
    index.upsert(entry('1', '黑A17345'));
    index.upsert(entry('2', '黑A?23*'));
    index.upsert(entry('3', '*88'));
    expect(index.match('黑A17345', 'TG-1', NOW).map((h) => [h.entry.id, h.fuzzy])).toEqual([['1', false]]);
    expect(index.match('黑A12345', 'TG-1', NOW).map((h) => h.entry.id)).toEqual(['2']);
    expect(index.match('黑AB2399', 'TG-1', NOW).map((h) => h.entry.id)).toEqual(['2']);
    expect(index.match('黑AK7788', 'TG-1', NOW).map((h) => h.entry.id)).toEqual(['3']);
    expect(index.match('黑AK7789', 'TG-1', NOW)).toEqual([]);
  });

  it('hits fuzzy reads with their distance, and only where the entry allows fuzzy', () => {
    const index = new HotlistIndex();
    index.upsert(entry('1', '黑AD8123'));
    index.upsert(entry('2', '黑A55555', { fuzzy: false }));
    expect(index.match('黑A0B123', 'TG-1', NOW)).toMatchObject([{ entry: { id: '1' }, distance: 2, fuzzy: true }]);
    expect(index.match('黑AD812', 'TG-1', NOW)).toMatchObject([{ distance: 1, fuzzy: true }]);
    expect(index.match('黑AD81234', 'TG-1', NOW)).toMatchObject([{ distance: 1, fuzzy: true }]);
    expect(index.match('黑AD8124', 'TG-1', NOW)).toEqual([]);
    expect(index.match('黑AS5555', 'TG-1', NOW)).toEqual([]);
    expect(index.match('黑A0B123', 'TG-1', NOW, false)).toEqual([]);
  });

  it('respects the validity window and the scope', () => {
    const index = new HotlistIndex();
    index.upsert(entry('1', '黑A12345', { validFrom: '2026-11-27T08:00:00Z', validUntil: '2026-11-27T09:00:00Z' }));
    index.upsert(entry('2', '黑A99999', { tollgateIds: ['TG-2'] }));
    expect(index.match('黑A12345', 'TG-1', NOW - 1)).toEqual([]);
    expect(index.match('黑A12345', 'TG-1', NOW)).toHaveLength(1);
    expect(index.match('黑A12345', 'TG-1', NOW + 3_600_000)).toEqual([]);
    expect(index.match('黑A99999', 'TG-1', NOW)).toEqual([]);
    expect(index.match('黑A99999', 'TG-2', NOW)).toHaveLength(1);
  });

  it('replaces and removes entries everywhere', () => {
    const index = new HotlistIndex();
    index.upsert(entry('1', '黑A12345'));
    index.upsert(entry('1', '黑A?999'));
    expect(index.match('黑A12345', 'TG-1', NOW)).toEqual([]);
    expect(index.match('黑A1234', 'TG-1', NOW)).toEqual([]);
    expect(index.match('黑AK999', 'TG-1', NOW)).toHaveLength(1);
    index.remove('1');
    expect(index.match('黑AK999', 'TG-1', NOW)).toEqual([]);
    expect(index.size).toBe(0);
  });
});
