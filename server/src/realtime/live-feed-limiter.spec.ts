import { describe, expect, it } from 'vitest';
import { LiveFeedLimiter } from './live-feed-limiter';

describe('LiveFeedLimiter', () => {
  it('admits up to the cap each second and counts what it leaves out', () => {
    let now = 10_000;
    let dropped = 0;
    const limiter = new LiveFeedLimiter(
      3,
      () => dropped++,
      () => now,
    );
    expect([1, 2, 3, 4, 5].map(() => limiter.admit())).toEqual([true, true, true, false, false]);
    expect(dropped).toBe(2);
    now += 999;
    expect(limiter.admit()).toBe(false);
    now += 1;
    expect([1, 2, 3, 4].map(() => limiter.admit())).toEqual([true, true, true, false]);
    expect(dropped).toBe(4);
  });
});
