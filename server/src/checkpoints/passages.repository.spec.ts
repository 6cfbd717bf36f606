import { describe, expect, it } from 'vitest';
import { readsPlateByPlate } from './passages.repository';

describe('readsPlateByPlate', () => {
  const range = { from: '2026-11-01T00:00:00.000Z', to: '2026-11-27T00:00:00.000Z' };

  it('reads a list of plates with at most a time range plate by plate, on plain PostgreSQL', () => {
    expect(readsPlateByPlate({ plates: ['黑A12345', '黑A12346'], ...range }, false)).toBe(true);
    expect(readsPlateByPlate({ plates: ['黑A12345', '黑A12346'] }, false)).toBe(true);
  });

  it('leaves one plate, other filters and TimescaleDB to the single query', () => {
    expect(readsPlateByPlate({ plates: ['黑A12345'], ...range }, false)).toBe(false);
    expect(readsPlateByPlate({ ...range }, false)).toBe(false);
    expect(readsPlateByPlate({ plates: ['黑A12345', '黑A12346'], plateColors: ['blue'] }, false)).toBe(false);
    expect(readsPlateByPlate({ plates: ['黑A12345', '黑A12346'], speedMin: 0 }, false)).toBe(false);
    expect(readsPlateByPlate({ plates: ['黑A12345', '黑A12346'], ...range }, true)).toBe(false);
  });
});
