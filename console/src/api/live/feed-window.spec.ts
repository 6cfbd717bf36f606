import { describe, expect, it } from 'vitest';
import { appendToFeedWindow, emptyFeedWindow } from './feed-window';

describe('appendToFeedWindow', () => {
  it('puts the newest arrival first', () => {
    const window = appendToFeedWindow(emptyFeedWindow<number>(), [1, 2, 3], 10);
    expect(window).toEqual({ items: [3, 2, 1], total: 3 });
    expect(appendToFeedWindow(window, [4, 5], 10)).toEqual({ items: [5, 4, 3, 2, 1], total: 5 });
  });

  it('keeps at most the capacity, dropping the oldest, and still counts every arrival', () => {
    const first = appendToFeedWindow(emptyFeedWindow<number>(), [1, 2, 3], 4);
    const second = appendToFeedWindow(first, [4, 5, 6], 4);
    expect(second).toEqual({ items: [6, 5, 4, 3], total: 6 });
  });

  it('keeps the newest when one batch alone exceeds the capacity', () => {
    const window = appendToFeedWindow(emptyFeedWindow<number>(), [1, 2, 3, 4, 5, 6], 3);
    expect(window).toEqual({ items: [6, 5, 4], total: 6 });
  });

  it('counts arrivals that were dropped before they reached the window', () => {
    const window = appendToFeedWindow(emptyFeedWindow<number>(), [9, 10], 5, 10);
    expect(window).toEqual({ items: [10, 9], total: 10 });
  });

  it('returns the same window when nothing arrived', () => {
    const window = appendToFeedWindow(emptyFeedWindow<number>(), [1], 5);
    expect(appendToFeedWindow(window, [], 5)).toBe(window);
  });
});
