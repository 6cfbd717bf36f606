import { describe, expect, it } from 'vitest';
import { withSaved } from './saved-records';

describe('withSaved', () => {
  it('shows a saved copy until a load at least as new arrives', () => {
    const loaded = [
      { id: '1', name: 'a', updatedAt: '2026-01-01T00:00:00.000Z' },
      { id: '2', name: 'b', updatedAt: '2026-01-01T00:00:00.000Z' },
    ];
    const saved = new Map([['1', { id: '1', name: 'a2', updatedAt: '2026-01-02T00:00:00.000Z' }]]);
    expect(withSaved(loaded, saved).map((e) => e.name)).toEqual(['a2', 'b']);
    const reloaded = [{ id: '1', name: 'a3', updatedAt: '2026-01-03T00:00:00.000Z' }];
    expect(withSaved(reloaded, saved).map((e) => e.name)).toEqual(['a3']);
  });
});
