import { describe, expect, it } from 'vitest';
import { feedNavigationKey, nextActiveIndex } from './list-navigation';

describe('nextActiveIndex', () => {
  it('starts at the first row when none is active', () => {
    expect(nextActiveIndex('ArrowDown', -1, 10, 5)).toBe(0);
    expect(nextActiveIndex('ArrowUp', -1, 10, 5)).toBe(0);
  });

  it('moves one row and stops at the ends', () => {
    expect(nextActiveIndex('ArrowDown', 3, 10, 5)).toBe(4);
    expect(nextActiveIndex('ArrowUp', 3, 10, 5)).toBe(2);
    expect(nextActiveIndex('ArrowDown', 9, 10, 5)).toBe(9);
    expect(nextActiveIndex('ArrowUp', 0, 10, 5)).toBe(0);
  });

  it('moves a page and jumps to either end', () => {
    expect(nextActiveIndex('PageDown', 3, 10, 5)).toBe(8);
    expect(nextActiveIndex('PageDown', 8, 10, 5)).toBe(9);
    expect(nextActiveIndex('PageUp', 3, 10, 5)).toBe(0);
    expect(nextActiveIndex('Home', 7, 10, 5)).toBe(0);
    expect(nextActiveIndex('End', 2, 10, 5)).toBe(9);
  });

  it('ignores other keys and empty lists', () => {
    expect(nextActiveIndex('a', 3, 10, 5)).toBeUndefined();
    expect(nextActiveIndex('ArrowDown', -1, 0, 5)).toBeUndefined();
  });
});

describe('feedNavigationKey', () => {
  it('reads j and k as down and up, and leaves other keys alone', () => {
    expect(feedNavigationKey('j')).toBe('ArrowDown');
    expect(feedNavigationKey('k')).toBe('ArrowUp');
    expect(feedNavigationKey('J')).toBe('J');
    expect(feedNavigationKey('PageDown')).toBe('PageDown');
  });
});
